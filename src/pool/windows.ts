/**
 * Pool-wide quota facts inside an account's state. Upstream's real limits are per (account, pool,
 * window) — see src/google/quota-pools.ts — so a quota 429 on one Claude model holds for every
 * Claude model. These facts share the per-model records on purpose, under reserved keys:
 *
 *   cooldowns["pool:claude"]       the (account, pool) is out until `until` (a quota 429 or an empty window)
 *   quota["pool:claude:weekly"]    what the quota summary says of that window
 *
 * so persistence, expiry and the cross-instance deltas (merged per key) treat them exactly like
 * per-model facts, with no second code path. Model ids never start with "pool:".
 */
import { poolOfModel, POOL_IDS, WINDOW_IDS, WINDOW_MS, type PoolId, type QuotaWindow, type WindowId } from "../google/quota-pools.ts";
import type { AccountState, Cooldown, QuotaEntry } from "./types.ts";

export type { PoolId, WindowId };

const PREFIX = "pool:";

export function poolKey(pool: PoolId): string {
  return `${PREFIX}${pool}`;
}

function windowKey(pool: PoolId, window: WindowId): string {
  return `${PREFIX}${pool}:${window}`;
}

/** Every window's key, built once: the strategies read them on the hot path. */
export const WINDOW_KEYS = Object.fromEntries(
  POOL_IDS.map((pool) => [pool, Object.fromEntries(WINDOW_IDS.map((window) => [window, windowKey(pool, window)]))]),
) as Record<PoolId, Record<WindowId, string>>;

/** True for the reserved keys above (not a model). */
export function isPoolFact(key: string): boolean {
  return key.startsWith(PREFIX);
}

/** The pool a `pool:<id>` cooldown key names. */
export function poolOfKey(key: string): PoolId | undefined {
  if (!key.startsWith(PREFIX)) return undefined;
  const id = key.slice(PREFIX.length);
  return (POOL_IDS as readonly string[]).includes(id) ? (id as PoolId) : undefined;
}

/** The (pool, window) a `pool:<id>:<window>` quota key names. */
export function windowOfKey(key: string): { pool: PoolId; window: WindowId } | undefined {
  if (!key.startsWith(PREFIX)) return undefined;
  const [pool, window] = key.slice(PREFIX.length).split(":");
  if (!(POOL_IDS as readonly (string | undefined)[]).includes(pool)) return undefined;
  if (!(WINDOW_IDS as readonly (string | undefined)[]).includes(window)) return undefined;
  return { pool: pool as PoolId, window: window as WindowId };
}

/** The cooldown key a failure on `model` belongs to: its pool for quota, the model otherwise. */
export function poolCooldownKey(model: string): string | undefined {
  const pool = poolOfModel(model);
  return pool ? poolKey(pool) : undefined;
}

/** The window entries the account holds for `pool` (the ones it has: free tier has no 5-hour window). */
export function windowEntries(state: Pick<AccountState, "quota">, pool: PoolId): Array<{ window: WindowId; entry: QuotaEntry }> {
  const out: Array<{ window: WindowId; entry: QuotaEntry }> = [];
  for (const window of WINDOW_IDS) {
    const entry = state.quota[WINDOW_KEYS[pool][window]];
    if (entry) out.push({ window, entry });
  }
  return out;
}

/**
 * Which window an exhaustion lifting at `until` belongs to. Upstream's 429 does not name its
 * bucket, so: a pool with only a weekly window (free tier) → weekly; a reset matching the known
 * weekly reset, or further away than any 5-hour window can be → weekly; otherwise 5h.
 */
export function windowOfReset(state: Pick<AccountState, "quota">, pool: PoolId, until: number, now: number): WindowId {
  const known = windowEntries(state, pool);
  if (known.length > 0 && known.every((w) => w.window === "weekly")) return "weekly";
  const weekly = state.quota[WINDOW_KEYS[pool].weekly];
  if (weekly?.resetAt !== undefined && Math.abs(weekly.resetAt - until) < 120_000 && weekly.fraction <= 0) return "weekly";
  return until - now > WINDOW_MS["5h"] + 60_000 ? "weekly" : "5h";
}

/** Window entries for the quota record, from a summary read. */
export function windowQuota(windows: readonly QuotaWindow[], now: number): Record<string, QuotaEntry> {
  const out: Record<string, QuotaEntry> = {};
  for (const w of windows) {
    const entry: QuotaEntry = { fraction: Math.min(1, Math.max(0, w.remaining)), fetchedAt: now };
    if (w.resetAt !== undefined && Number.isFinite(w.resetAt)) entry.resetAt = w.resetAt;
    out[WINDOW_KEYS[w.pool][w.window]] = entry;
  }
  return out;
}

/** Per-model entries only (the records minus the pool facts). */
export function modelEntries<T>(record: Record<string, T>): Array<[string, T]> {
  return Object.entries(record).filter(([key]) => !isPoolFact(key));
}

/** Active pool cooldowns of the account. */
export function poolCooldowns(state: Pick<AccountState, "cooldowns">, now: number): Array<{ pool: PoolId; cooldown: Cooldown }> {
  const out: Array<{ pool: PoolId; cooldown: Cooldown }> = [];
  for (const pool of POOL_IDS) {
    const c = state.cooldowns[poolKey(pool)];
    if (c && now < c.until) out.push({ pool, cooldown: c });
  }
  return out;
}
