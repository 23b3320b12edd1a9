/**
 * One account's model catalog, parsed from its `fetchAvailableModels` answer (cloudcode-protocol.md,
 * "fetchAvailableModels"). Pure. What an account may call differs per account (Claude 5.5 is an
 * entitlement), so agcp keeps one of these per account and routes by it.
 */
import type { ThinkingModelInfo } from "./thinking.ts";

export interface CatalogEntry extends ThinkingModelInfo {
  id: string;
  displayName?: string;
  maxTokens?: number;
  /** Upstream's enum for the model (`MODEL_PLACEHOLDER_M320`); official clients echo it in labels. */
  model?: string;
  quotaInfo?: { remainingFraction?: number; resetTime?: string };
}

export interface AccountCatalog {
  /** Every id the account may call (the keys of `models`). */
  models: Record<string, CatalogEntry>;
  /** The selectable agent models, in upstream's order (`agentModelSorts`). */
  agentModelIds: string[];
  defaultAgentModelId?: string;
  webSearchModelIds: string[];
  imageGenerationModelIds: string[];
  /** Retired id → its successor. */
  deprecatedModelIds: Record<string, string>;
}

export function emptyCatalog(): AccountCatalog {
  return { models: {}, agentModelIds: [], webSearchModelIds: [], imageGenerationModelIds: [], deprecatedModelIds: {} };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

export function parseCatalog(answer: unknown): AccountCatalog {
  const root = isRecord(answer) ? answer : {};
  const catalog = emptyCatalog();
  for (const [id, raw] of Object.entries(isRecord(root.models) ? root.models : {})) {
    if (!isRecord(raw)) continue;
    const entry: CatalogEntry = { id };
    const set = <K extends keyof CatalogEntry>(key: K, value: CatalogEntry[K] | undefined) => {
      if (value !== undefined) entry[key] = value;
    };
    set("displayName", str(raw.displayName));
    set("maxTokens", num(raw.maxTokens));
    set("maxOutputTokens", num(raw.maxOutputTokens));
    set("thinkingBudget", num(raw.thinkingBudget));
    set("thinkingLevel", str(raw.thinkingLevel));
    set("supportsThinking", typeof raw.supportsThinking === "boolean" ? raw.supportsThinking : undefined);
    set("model", str(raw.model));
    if (isRecord(raw.quotaInfo)) {
      const q: NonNullable<CatalogEntry["quotaInfo"]> = {};
      if (num(raw.quotaInfo.remainingFraction) !== undefined) q.remainingFraction = num(raw.quotaInfo.remainingFraction);
      if (str(raw.quotaInfo.resetTime)) q.resetTime = str(raw.quotaInfo.resetTime);
      entry.quotaInfo = q;
    }
    catalog.models[id] = entry;
  }
  const sorts = Array.isArray(root.agentModelSorts) ? root.agentModelSorts : [];
  const agent = new Set<string>();
  for (const sort of sorts) {
    for (const group of isRecord(sort) && Array.isArray(sort.groups) ? sort.groups : []) {
      for (const id of strings(isRecord(group) ? group.modelIds : undefined)) agent.add(id);
    }
  }
  catalog.agentModelIds = [...agent];
  const def = str(root.defaultAgentModelId);
  if (def) catalog.defaultAgentModelId = def;
  catalog.webSearchModelIds = strings(root.webSearchModelIds);
  catalog.imageGenerationModelIds = strings(root.imageGenerationModelIds);
  for (const [old, raw] of Object.entries(isRecord(root.deprecatedModelIds) ? root.deprecatedModelIds : {})) {
    // `{newModelId, oldModelEnum, newModelEnum}` in captures; a bare string is taken as well.
    const next = typeof raw === "string" ? raw : isRecord(raw) ? str(raw.newModelId) : undefined;
    if (next && next !== old) catalog.deprecatedModelIds[old] = next;
  }
  return catalog;
}

/** The id a retired one moved to (following chains, never looping), or undefined when `id` is not retired. */
export function successorOf(id: string, deprecated: Record<string, string>): string | undefined {
  let current = id;
  const seen = new Set<string>([id]);
  while (Object.hasOwn(deprecated, current)) {
    const next = deprecated[current]!;
    if (seen.has(next)) break;
    seen.add(next);
    current = next;
  }
  return current === id ? undefined : current;
}
