/**
 * Upstream's real limits: two quota pools per account ("Gemini Models"; "Claude and GPT models"),
 * each with a 5-hour and a weekly window, read from `retrieveUserQuotaSummary`. Every model of a
 * pool shares its windows, so what one model learns about quota holds for all of them. Pure:
 * names, the model → pool map and the summary parser; no I/O.
 */

export type PoolId = "gemini" | "claude";
export type WindowId = "5h" | "weekly";

export const POOL_IDS: readonly PoolId[] = ["gemini", "claude"];
export const WINDOW_IDS: readonly WindowId[] = ["5h", "weekly"];

/** What upstream calls each pool, and its bucket ids per window. */
export const POOL_GROUPS: Readonly<Record<PoolId, { displayName: string; description: string; buckets: Record<WindowId, string> }>> = {
  gemini: {
    displayName: "Gemini Models",
    description: "Models within this group: Gemini Flash, Gemini Pro",
    buckets: { "5h": "gemini-5h", weekly: "gemini-weekly" },
  },
  claude: {
    displayName: "Claude and GPT models",
    description: "Models within this group: Claude Opus, Claude Sonnet, GPT-OSS",
    buckets: { "5h": "3p-5h", weekly: "3p-weekly" },
  },
};

/** Nominal length of each window: a reset further away than the 5-hour window must be the weekly one. */
export const WINDOW_MS: Readonly<Record<WindowId, number>> = { "5h": 5 * 3_600_000, weekly: 7 * 24 * 3_600_000 };

/**
 * The pool a model draws from: ids starting `gemini` → "gemini"; `claude*` and `gpt-oss*` →
 * "claude"; anything else (tab/chat models, unknown ids) belongs to no pool.
 */
export function poolOfModel(modelId: string): PoolId | undefined {
  const id = modelId.toLowerCase();
  if (id.startsWith("gemini")) return "gemini";
  if (id.startsWith("claude") || id.startsWith("gpt-oss")) return "claude";
  return undefined;
}

export function bucketIdOf(pool: PoolId, window: WindowId): string {
  return POOL_GROUPS[pool].buckets[window];
}

/** The (pool, window) a bucket id names, or undefined for ids this build does not know. */
export function bucketById(bucketId: string): { pool: PoolId; window: WindowId } | undefined {
  for (const pool of POOL_IDS) {
    for (const window of WINDOW_IDS) if (POOL_GROUPS[pool].buckets[window] === bucketId) return { pool, window };
  }
  return undefined;
}

export interface QuotaWindow {
  pool: PoolId;
  window: WindowId;
  /** Remaining fraction 0..1. */
  remaining: number;
  /** Epoch ms; absent when upstream gave none. */
  resetAt?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const WINDOW_WORDS: Record<string, WindowId> = { "5h": "5h", weekly: "weekly" };

function windowOf(raw: Record<string, unknown>, known: { window: WindowId } | undefined): WindowId | undefined {
  if (typeof raw.window === "string" && WINDOW_WORDS[raw.window]) return WINDOW_WORDS[raw.window];
  return known?.window;
}

function poolOfGroup(displayName: unknown): PoolId | undefined {
  if (typeof displayName !== "string") return undefined;
  const name = displayName.toLowerCase();
  if (name.includes("claude") || name.includes("gpt")) return "claude";
  if (name.includes("gemini")) return "gemini";
  return undefined;
}

/**
 * The windows a `retrieveUserQuotaSummary` answer reports. Buckets are placed by `bucketId` when
 * known, else by their group's name and `window`; disabled buckets and unknown ones are left out.
 * A bucket with a reset time but no fraction is empty (proto3 JSON omits a zero). Accepts the
 * language server's `{"response": {...}}` wrapping too.
 */
export function parseQuotaSummary(answer: unknown): QuotaWindow[] {
  const root = isRecord(answer) && isRecord(answer.response) && !("groups" in answer) ? answer.response : answer;
  if (!isRecord(root)) return [];
  const out = new Map<string, QuotaWindow>();
  const take = (raw: unknown, groupPool: PoolId | undefined) => {
    if (!isRecord(raw) || raw.disabled === true) return;
    const known = typeof raw.bucketId === "string" ? bucketById(raw.bucketId) : undefined;
    const pool = known?.pool ?? groupPool;
    const window = windowOf(raw, known);
    if (!pool || !window) return;
    const resetAt = typeof raw.resetTime === "string" ? Date.parse(raw.resetTime) : Number.NaN;
    const fraction = typeof raw.remainingFraction === "number" && Number.isFinite(raw.remainingFraction) ? raw.remainingFraction : undefined;
    if (fraction === undefined && Number.isNaN(resetAt)) return;
    const entry: QuotaWindow = { pool, window, remaining: Math.min(1, Math.max(0, fraction ?? 0)) };
    if (!Number.isNaN(resetAt)) entry.resetAt = resetAt;
    out.set(`${pool}/${window}`, entry);
  };
  if (Array.isArray(root.groups)) {
    for (const group of root.groups) {
      if (!isRecord(group) || !Array.isArray(group.buckets)) continue;
      const pool = poolOfGroup(group.displayName);
      for (const bucket of group.buckets) take(bucket, pool);
    }
  }
  if (Array.isArray(root.buckets)) for (const bucket of root.buckets) take(bucket, undefined);
  return [...out.values()].sort((a, b) => POOL_IDS.indexOf(a.pool) - POOL_IDS.indexOf(b.pool) || WINDOW_IDS.indexOf(a.window) - WINDOW_IDS.indexOf(b.window));
}
