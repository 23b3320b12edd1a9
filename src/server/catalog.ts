import { ApiError } from "../anthropic/errors.ts";
import { successorOf, type AccountCatalog } from "../google/catalog.ts";
import {
  DEFAULT_MODEL_ALTERNATIVES,
  isThinkingModel,
  KNOWN_UPSTREAM_MODELS,
  modelFamily,
  resolveModel,
  type ModelMapping,
  type ResolvedModel,
} from "../google/models.ts";

/** Model names Anthropic (and so Claude Code) uses: family, version, optional date; never `-thinking`. */
const CLAUDE_CODE_NAME = /^claude-(?:opus|sonnet|haiku)-\d+(?:-\d+)?(?:-\d{8})?$/i;

export interface CatalogModel {
  id: string;
  displayName: string;
  /** Accounts whose catalog lists it (empty for an alias, or before any catalog was read). */
  accounts: string[];
}

export interface ModelCatalogOptions {
  /** Id → stand-ins for accounts without it, for names the client did not give as upstream ids. */
  alternatives?: Record<string, string[]>;
  /** Told once per retired id that a request moved to its successor. */
  onMigrate?: (from: string, to: string) => void;
}

/**
 * Which upstream models exist and which account serves which. Every account keeps its own catalog
 * (fetchAvailableModels, re-read with its quota): Claude 5.5 is an entitlement, so "opus" is
 * `claude-opus-5-5-high` on one account and `claude-opus-4-6-thinking` on another. Names resolve
 * against the union; `forAccount` then picks what the chosen account really has, and `cannotServe`
 * tells the pool which accounts to leave out. Before any catalog is read, the build-time ids stand in.
 */
export function createModelCatalog(mapping: ModelMapping, options: ModelCatalogOptions = {}) {
  const alternatives = options.alternatives ?? DEFAULT_MODEL_ALTERNATIVES;
  const catalogs = new Map<string, AccountCatalog>();
  /** Ids an account's catalog lists but upstream answered 404 for (until its next catalog read). */
  const missing = new Map<string, Set<string>>();
  /** Ids learned without an account (legacy `learn`), with display names. */
  const loose = new Map<string, string>();
  const names = new Map<string, string>();
  let deprecated: Record<string, string> = {};
  let ids: string[] = [...KNOWN_UPSTREAM_MODELS];
  let effective = mapping;
  const migrated = new Set<string>();
  let exclusionCache = new Map<string, Set<string>>();

  // Until upstream has told us its models, the build-time list stands in. Once it has, an id
  // it does not offer must not map to itself: let the patterns send it somewhere that exists.
  function rebuild() {
    const union = new Set<string>(loose.keys());
    names.clear();
    for (const [id, name] of loose) names.set(id, name);
    deprecated = {};
    for (const catalog of catalogs.values()) {
      for (const [id, entry] of Object.entries(catalog.models)) {
        union.add(id);
        if (entry.displayName && !names.has(id)) names.set(id, entry.displayName);
      }
      Object.assign(deprecated, catalog.deprecatedModelIds);
    }
    if (union.size === 0) return;
    ids = [...union];
    const exact = Object.fromEntries(Object.entries(mapping.exact).filter(([from, to]) => from !== to || union.has(to)));
    effective = { ...mapping, exact };
    exclusionCache = new Map();
  }

  const serves = (accountId: string, catalog: AccountCatalog, id: string) =>
    Object.hasOwn(catalog.models, id) && !missing.get(accountId)?.has(id);

  function migrate(id: string): string {
    const next = successorOf(id, deprecated);
    if (!next) return id;
    if (!migrated.has(id)) {
      migrated.add(id);
      options.onMigrate?.(id, next);
    }
    return next;
  }

  function make(id: string, mapped: boolean): ResolvedModel {
    return { upstream: id, family: modelFamily(id), thinkingModel: isThinkingModel(id), mapped };
  }

  function forAccount(accountId: string, model: ResolvedModel): ResolvedModel | undefined {
    const catalog = catalogs.get(accountId);
    // Nothing read yet for this account: try the id as it is, unless a 404 already said no.
    if (!catalog) return missing.get(accountId)?.has(model.upstream) ? undefined : model;
    const head = successorOf(model.upstream, catalog.deprecatedModelIds) ?? model.upstream;
    if (serves(accountId, catalog, head)) return head === model.upstream ? model : make(head, model.mapped === true);
    // An id the client named itself never moves; a name we mapped may take the account's nearest stand-in.
    if (!model.mapped) return undefined;
    for (const alt of alternatives[head] ?? []) if (serves(accountId, catalog, alt)) return make(alt, true);
    return undefined;
  }

  return {
    /** Takes in one account's freshly read catalog (and forgets what 404s taught about the old one). */
    learnAccount(accountId: string, catalog: AccountCatalog): void {
      catalogs.set(accountId, catalog);
      missing.delete(accountId);
      rebuild();
    },

    forgetAccount(accountId: string): void {
      if (catalogs.delete(accountId)) rebuild();
      missing.delete(accountId);
    },

    accountCatalog(accountId: string): AccountCatalog | undefined {
      return catalogs.get(accountId);
    },

    /** Ids some account's catalog names for a role (web search, image generation), most common first; empty before any read. */
    roleModelIds(role: "webSearchModelIds" | "imageGenerationModelIds"): string[] {
      const counts = new Map<string, number>();
      for (const c of catalogs.values()) for (const id of c[role]) counts.set(id, (counts.get(id) ?? 0) + 1);
      return [...counts].sort((a, b) => b[1] - a[1]).map(([id]) => id);
    },

    /** Merges a model list that belongs to no account in particular. */
    learn(models: Record<string, { displayName?: string }>): void {
      let changed = false;
      for (const [id, m] of Object.entries(models)) {
        if (!loose.has(id)) changed = true;
        loose.set(id, m.displayName ?? loose.get(id) ?? id);
      }
      if (changed) rebuild();
    },

    /** Upstream answered 404 for an id this account's catalog lists: route elsewhere until its next read. */
    markMissing(accountId: string, id: string): void {
      let set = missing.get(accountId);
      if (!set) missing.set(accountId, (set = new Set()));
      set.add(id);
      exclusionCache = new Map();
    },

    /** Maps a client's model name to an upstream id (retired ids move to their successors), or says which names would work. */
    resolve(requested: string): ResolvedModel {
      const name = requested.trim().replace(/\[[^\]]*\]$/, "");
      // Anthropic's own names (`claude-sonnet-4-5`) can collide with retired Antigravity ids; they
      // go through the mapping to their family's best model instead of to the retired id's successor.
      const successor = name && !CLAUDE_CODE_NAME.test(name) ? successorOf(name, deprecated) : undefined;
      if (successor) {
        migrate(name);
        return make(successor, false);
      }
      const resolved = resolveModel(requested, effective, ids);
      if (resolved) {
        const next = migrate(resolved.upstream);
        return next === resolved.upstream ? resolved : make(next, resolved.mapped === true);
      }
      throw new ApiError(
        "not_found_error",
        `model: ${requested} is not available. Upstream models: ${ids.join(", ")}. ` +
          `Client names are mapped by models.exact and models.patterns in agcp.config.ts ` +
          `(patterns: ${effective.patterns.map((p) => `${p.match} → ${p.to}`).join(", ") || "none"}).`,
      );
    },

    forAccount,

    /** Accounts whose catalog says they cannot serve this model (in any stand-in); accounts not yet read are not in it. */
    cannotServe(model: ResolvedModel): ReadonlySet<string> {
      const key = `${model.mapped ? "m" : "x"}:${model.upstream}`;
      let out = exclusionCache.get(key);
      if (!out) {
        out = new Set();
        for (const id of new Set([...catalogs.keys(), ...missing.keys()])) if (!forAccount(id, model)) out.add(id);
        if (exclusionCache.size > 1000) exclusionCache.clear();
        exclusionCache.set(key, out);
      }
      return out;
    },

    /** The union of every account's models, each with the accounts that serve it, plus configured aliases. */
    list(): CatalogModel[] {
      const servedBy = (id: string) => [...catalogs].filter(([account, c]) => serves(account, c, id)).map(([account]) => account);
      const aliases = Object.keys(effective.exact).filter((k) => !ids.includes(k));
      return [
        ...ids.map((id) => ({ id, displayName: names.get(id) ?? id, accounts: servedBy(id) })),
        ...aliases.map((id) => ({ id, displayName: `${id} → ${effective.exact[id]}`, accounts: servedBy(effective.exact[id]!) })),
      ];
    },
  };
}

export type ModelCatalog = ReturnType<typeof createModelCatalog>;
