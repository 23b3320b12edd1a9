import { getRouterParam, type H3Event } from "h3";
import { ApiError } from "../../anthropic/errors.ts";
import type { CatalogModel } from "../catalog.ts";
import type { Runtime } from "../runtime.ts";

/** Anthropic's model objects have a creation date; upstream gives none, so the epoch stands in. */
const CREATED_AT = new Date(0).toISOString();

/** Anthropic's fields, plus which accounts serve the model (Claude 5.5, for one, is per-account). */
const toModel = (m: CatalogModel) => ({ type: "model", id: m.id, display_name: m.displayName, created_at: CREATED_AT, accounts: m.accounts });

/** GET /v1/models in Anthropic's list format: the union of the accounts' models plus configured aliases. */
export function listModelsHandler(rt: Runtime) {
  return () => {
    const data = rt.catalog.list().map(toModel);
    return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  };
}

export function getModelHandler(rt: Runtime) {
  return (event: H3Event) => {
    const id = getRouterParam(event, "id", { decode: true }) ?? "";
    const found = rt.catalog.list().find((m) => m.id === id);
    if (!found) throw new ApiError("not_found_error", `model: ${id} not found`);
    return toModel(found);
  };
}
