/**
 * The `fetchAvailableModels` answer for one account, in the late-2026 shape: every entitled model
 * with its details and pool-shared `quotaInfo`, the agent sorts, the role lists (web search, image
 * generation, …) and the retired ids with their successors.
 */
import { quotaInfoFor } from "./quota-pools.ts";
import type { SimAccount, SimState } from "./state.ts";

export function availableModels(state: SimState, account: SimAccount): Record<string, unknown> {
  const info = state.config.catalog;
  const served = state.catalogOf(account);
  const ids = new Set(served.map((m) => m.id));
  const models: Record<string, unknown> = {};
  for (const model of served) {
    models[model.id] = {
      displayName: model.displayName,
      ...model.details,
      ...(model.maxOutputTokens !== undefined && { maxOutputTokens: model.maxOutputTokens }),
      // The pool's 5-hour value, shared by every model of the pool (quota-pools.ts).
      quotaInfo: quotaInfoFor(state, account, model.id),
    };
  }
  const only = (list: string[]) => list.filter((id) => ids.has(id));
  const groups = info.agentModelGroups
    .map((g) => ({ displayName: g.displayName, modelIds: served.filter((m) => m.agent && g.filter(m)).map((m) => m.id) }))
    .filter((g) => g.modelIds.length > 0);
  const agentIds = groups.flatMap((g) => g.modelIds);
  const tiered = Object.fromEntries(Object.entries(info.tieredModelIds).map(([k, v]) => [k, only(v)]));
  return {
    models,
    defaultAgentModelId: agentIds.includes(info.defaultAgentModelId) ? info.defaultAgentModelId : (agentIds[0] ?? ""),
    agentModelSorts: [{ displayName: "Recommended", groups }],
    commandModelIds: only(info.commandModelIds),
    imageGenerationModelIds: only(info.imageGenerationModelIds),
    mqueryModelIds: only(info.mqueryModelIds),
    webSearchModelIds: only(info.webSearchModelIds),
    commitMessageModelIds: only(info.commitMessageModelIds),
    deprecatedModelIds: info.deprecatedModelIds,
    tieredModelIds: tiered,
  };
}
