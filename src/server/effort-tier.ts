import type { MessagesRequest } from "../anthropic/types.ts";
import type { ResolvedModel } from "../google/models.ts";
import { effortTierId, requestedEffort } from "../google/thinking.ts";
import type { Runtime } from "./runtime.ts";

/**
 * Tiered models carry the reasoning effort in their id (`gemini-3.8-flash-low`,
 * `claude-opus-5-5-medium`): when the client's name was mapped to one and it asks for an effort,
 * the tier of that effort answers instead — if upstream offers it. An id the client named itself
 * stays exactly what it asked for.
 */
export function withEffortTier(rt: Runtime, req: Pick<MessagesRequest, "model" | "output_config">, model: ResolvedModel): ResolvedModel {
  const named = req.model.trim().replace(/\[[^\]]*\]$/, "");
  if (named === model.upstream) return model;
  const id = effortTierId(model.upstream, requestedEffort(req), (candidate) => offers(rt, candidate));
  // Still a name agcp mapped: an account without this tier may serve its stand-in.
  return id === model.upstream ? model : { ...rt.catalog.resolve(id), mapped: true };
}

function offers(rt: Runtime, id: string): boolean {
  try {
    return rt.catalog.resolve(id).upstream === id;
  } catch {
    return false;
  }
}
