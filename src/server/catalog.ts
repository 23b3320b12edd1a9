import { ApiError } from "../anthropic/errors.ts";
import { KNOWN_UPSTREAM_MODELS, resolveModel, type ModelMapping, type ResolvedModel } from "../google/models.ts";

export interface CatalogModel {
  id: string;
  displayName: string;
}

/**
 * Which upstream models exist, as last reported by any account's fetchAvailableModels, plus
 * the ids agcp knows at build time (so requests work before the first quota fetch lands).
 */
export function createModelCatalog(mapping: ModelMapping) {
  const discovered = new Map<string, string>();
  let ids: string[] = [...KNOWN_UPSTREAM_MODELS];
  let effective = mapping;

  // Until upstream has told us its models, the build-time list stands in. Once it has, an id
  // it does not offer must not map to itself: let the patterns send it somewhere that exists.
  function rebuild() {
    ids = [...discovered.keys()];
    const exact = Object.fromEntries(Object.entries(mapping.exact).filter(([from, to]) => from !== to || discovered.has(to)));
    effective = { ...mapping, exact };
  }

  return {
    /** Merges one account's model list in. */
    learn(models: Record<string, { displayName?: string }>): void {
      let changed = false;
      for (const [id, m] of Object.entries(models)) {
        if (!discovered.has(id)) changed = true;
        discovered.set(id, m.displayName ?? discovered.get(id) ?? id);
      }
      if (changed) rebuild();
    },

    /** Maps a client's model name to an upstream id, or says which names would work. */
    resolve(requested: string): ResolvedModel {
      const resolved = resolveModel(requested, effective, ids);
      if (resolved) return resolved;
      throw new ApiError(
        "not_found_error",
        `model: ${requested} is not available. Upstream models: ${ids.join(", ")}. ` +
          `Client names are mapped by models.exact and models.patterns in agcp.config.ts ` +
          `(patterns: ${effective.patterns.map((p) => `${p.match} → ${p.to}`).join(", ") || "none"}).`,
      );
    },

    list(): CatalogModel[] {
      const aliases = Object.keys(effective.exact).filter((k) => !ids.includes(k));
      return [
        ...ids.map((id) => ({ id, displayName: discovered.get(id) ?? id })),
        ...aliases.map((id) => ({ id, displayName: `${id} → ${effective.exact[id]}` })),
      ];
    },
  };
}

export type ModelCatalog = ReturnType<typeof createModelCatalog>;
