/** Read-only pictures of accounts at an instant, for the API, console, CLI and metrics. */
import { tokensAt } from "./bucket.ts";
import { isActive } from "./cooldown.ts";
import { healthAt } from "./health.ts";
import { isFresh, liveQuota } from "./quota.ts";
import type { PoolSnapshot } from "./snapshot.ts";
import type { AccountState, AccountStatus, AccountView, PoolCounts } from "./types.ts";

export function viewAccount(pool: PoolSnapshot, s: AccountState, now: number): AccountView {
  const t = pool.tuning;
  const cooldowns: AccountView["cooldowns"] = {};
  let nextResetAt = Number.POSITIVE_INFINITY;
  for (const [model, c] of Object.entries(s.cooldowns)) {
    if (!isActive(c, now)) continue;
    cooldowns[model] = { until: c.until, reason: c.reason, hits: c.hits, since: c.since };
    nextResetAt = Math.min(nextResetAt, c.until);
  }
  const quota: AccountView["quota"] = {};
  for (const [model, entry] of Object.entries(s.quota)) {
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
    consecutiveFailures: s.consecutiveFailures,
    cooldowns,
    quota,
  };
  if (s.tier !== undefined) view.tier = s.tier;
  if (s.invalid) view.invalid = { ...s.invalid };
  if (nextResetAt !== Number.POSITIVE_INFINITY) view.nextResetAt = nextResetAt;
  return view;
}

/** The status word alone, without building a view (counts run on every request). */
export function statusOf(pool: PoolSnapshot, s: AccountState, now: number): AccountStatus {
  if (!s.enabled) return "disabled";
  if (s.invalid) return "invalid";
  for (const c of Object.values(s.cooldowns)) if (isActive(c, now)) return "cooling";
  for (const [model, entry] of Object.entries(s.quota)) {
    const q = liveQuota(entry, now);
    if (q && isFresh(q, now, pool.tuning.quota) && q.fraction <= pool.floorFor(s, model)) return "low-quota";
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
