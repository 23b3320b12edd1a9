/** Read-only pictures of accounts at an instant, for the API, console, CLI and metrics. */
import { tokensAt } from "./bucket.ts";
import { isActive } from "./cooldown.ts";
import { healthAt } from "./health.ts";
import { POOL_IDS, WINDOW_IDS } from "../google/quota-pools.ts";
import { isFresh, liveQuota, resolveWindowFloor } from "./quota.ts";
import type { PoolSnapshot } from "./snapshot.ts";
import type { AccountState, AccountStatus, AccountView, PoolCounts, PoolView, WindowView } from "./types.ts";
import { isPoolFact, poolKey, WINDOW_KEYS, windowOfKey } from "./windows.ts";

/** `inFlight`: what the caller counts (the pool's stateful shell); a bare snapshot knows none. */
export function viewAccount(pool: PoolSnapshot, s: AccountState, now: number, inFlight = 0): AccountView {
  const t = pool.tuning;
  const cooldowns: AccountView["cooldowns"] = {};
  let nextResetAt = Number.POSITIVE_INFINITY;
  for (const [model, c] of Object.entries(s.cooldowns)) {
    if (!isActive(c, now)) continue;
    nextResetAt = Math.min(nextResetAt, c.until);
    if (isPoolFact(model)) continue;
    cooldowns[model] = { until: c.until, reason: c.reason, hits: c.hits, since: c.since };
  }
  const windows = windowsOf(pool, s, now);
  for (const w of windows) {
    if (!w.stale && w.remaining <= w.floor && w.resetAt !== undefined) nextResetAt = Math.min(nextResetAt, w.resetAt);
  }
  const quota: AccountView["quota"] = {};
  for (const [model, entry] of Object.entries(s.quota)) {
    if (isPoolFact(model)) continue;
    const q = liveQuota(entry, now);
    if (!q) continue;
    const floor = pool.floorFor(s, model);
    const stale = !isFresh(q, now, t.quota);
    quota[model] = { fraction: q.fraction, fetchedAt: q.fetchedAt, stale, floor };
    if (q.resetAt !== undefined) quota[model].resetAt = q.resetAt;
    if (!stale && q.fraction <= floor && q.resetAt !== undefined) nextResetAt = Math.min(nextResetAt, q.resetAt);
  }
  const view: AccountView = {
    id: s.id,
    label: s.label,
    enabled: s.enabled,
    status: statusOf(pool, s, now),
    health: healthAt(s.health, now, t.health),
    tokens: tokensAt(s.bucket, now, t.bucket),
    lastUsedAt: s.lastUsedAt,
    inFlight,
    consecutiveFailures: s.consecutiveFailures,
    cooldowns,
    quota,
    windows,
    pools: poolsOf(s, windows, now),
  };
  if (s.tier !== undefined) view.tier = s.tier;
  if (s.invalid) view.invalid = { ...s.invalid };
  if (nextResetAt !== Number.POSITIVE_INFINITY) view.nextResetAt = nextResetAt;
  return view;
}

/**
 * The account's quota windows (pool, window, remaining, reset), live ones only, ordered by pool
 * then window. This is the data reset-aware strategies read.
 */
export function windowsOf(pool: PoolSnapshot, s: AccountState, now: number): WindowView[] {
  const out: WindowView[] = [];
  // Four keyed reads, not a walk over every model's entry: this runs on every quota change.
  for (const id of POOL_IDS) {
    for (const window of WINDOW_IDS) {
      const q = liveQuota(s.quota[WINDOW_KEYS[id][window]], now);
      if (!q) continue;
      const w: WindowView = {
        pool: id,
        window,
        remaining: q.fraction,
        fetchedAt: q.fetchedAt,
        stale: !isFresh(q, now, pool.tuning.quota),
        floor: resolveWindowFloor(s, id, window, pool, pool.tuning.quota),
      };
      if (q.resetAt !== undefined) w.resetAt = q.resetAt;
      out.push(w);
    }
  }
  // A quota 429 is newer news than the last read: the window it emptied is shown empty until the reset.
  for (const id of POOL_IDS) {
    const c = s.cooldowns[poolKey(id)];
    if (!isActive(c, now) || c.reason !== "quota_exhausted" || c.window === undefined) continue;
    const known = out.find((w) => w.pool === id && w.window === c.window);
    if (known) {
      known.remaining = 0;
      known.resetAt = c.until;
    } else {
      out.push({
        pool: id,
        window: c.window,
        remaining: 0,
        resetAt: c.until,
        fetchedAt: c.since,
        stale: false,
        floor: resolveWindowFloor(s, id, c.window, pool, pool.tuning.quota),
      });
    }
  }
  const order = (w: WindowView) => POOL_IDS.indexOf(w.pool) * 2 + (w.window === "5h" ? 0 : 1);
  return out.sort((a, b) => order(a) - order(b));
}

/** Per pool: out (cooled for the whole pool), low (a fresh window at its floor) or available. */
export function poolsOf(s: AccountState, windows: readonly WindowView[], now: number): AccountView["pools"] {
  const out: AccountView["pools"] = {};
  for (const id of POOL_IDS) {
    const c = s.cooldowns[poolKey(id)];
    if (isActive(c, now)) {
      const v: PoolView = { status: "out", until: c.until, reason: c.reason };
      if (c.window !== undefined) v.window = c.window;
      out[id] = v;
      continue;
    }
    const low = windows.some((w) => w.pool === id && !w.stale && w.remaining <= w.floor);
    out[id] = { status: low ? "low" : "available" };
  }
  return out;
}

/** The status word alone, without building a view (counts run on every request). */
export function statusOf(pool: PoolSnapshot, s: AccountState, now: number): AccountStatus {
  if (!s.enabled) return "disabled";
  if (s.invalid) return "invalid";
  for (const c of Object.values(s.cooldowns)) if (isActive(c, now)) return "cooling";
  for (const [model, entry] of Object.entries(s.quota)) {
    const q = liveQuota(entry, now);
    if (!q || !isFresh(q, now, pool.tuning.quota)) continue;
    const where = windowOfKey(model);
    const floor = where ? resolveWindowFloor(s, where.pool, where.window, pool, pool.tuning.quota) : pool.floorFor(s, model);
    if (q.fraction <= floor) return "low-quota";
  }
  return "available";
}

export function countStatuses(pool: PoolSnapshot, now: number): PoolCounts {
  const counts: PoolCounts = { total: pool.size, available: 0, cooling: 0, invalid: 0, disabled: 0 };
  for (const s of pool.states) {
    const status = statusOf(pool, s, now);
    if (status === "available" || status === "low-quota") counts.available++;
    else counts[status]++;
  }
  return counts;
}
