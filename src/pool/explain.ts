/** Human-readable reasons, built only when someone asks (debug logs, the explain API). */
import { tokensAt } from "./bucket.ts";
import { activeCooldown } from "./cooldown.ts";
import { healthAt } from "./health.ts";
import { isBelowFloor, liveQuota } from "./quota.ts";
import type { PoolSnapshot } from "./snapshot.ts";
import type { AccountState } from "./types.ts";

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (h > 0) return m > 0 ? `${h}h${m}m` : `${h}h`;
  if (m > 0) return sec > 0 ? `${m}m${sec}s` : `${m}m`;
  return `${sec}s`;
}

export function formatInstant(at: number, now: number): string {
  return `${new Date(at).toISOString()} (in ${formatDuration(at - now)})`;
}

const pct = (f: number) => `${(f * 100).toFixed(1)}%`;

/** Why the account is out for `model` on ladder rung `rung` (0 = normal), or undefined if it is not. */
export function exclusionReason(
  pool: PoolSnapshot,
  s: AccountState,
  model: string,
  rung: number,
  now: number,
): string | undefined {
  const t = pool.tuning;
  if (!s.enabled) return "disabled";
  if (s.invalid) return `invalid (${s.invalid.kind}): ${s.invalid.reason}`;
  const c = activeCooldown(s, model, now);
  if (c) return `cooling for ${model} until ${formatInstant(c.until, now)} after ${c.reason}`;
  if (rung < 1) {
    const floor = pool.floorFor(s, model);
    const q = s.quota[model];
    if (isBelowFloor(q, floor, now, t.quota)) {
      return `quota ${pct(liveQuota(q, now)?.fraction ?? 0)} at or below floor ${pct(floor)}`;
    }
  }
  if (rung < 2) {
    const h = healthAt(s.health, now, t.health);
    if (h < t.health.minUsable) return `health ${h.toFixed(0)} below ${t.health.minUsable}`;
  }
  if (rung < 3) {
    const tokens = tokensAt(s.bucket, now, t.bucket);
    if (tokens < t.bucket.cost) return `token bucket empty (${tokens.toFixed(2)} left)`;
  }
  return undefined;
}

export function skippedOn(pool: PoolSnapshot, model: string, rung: number, now: number, pickedId?: string) {
  const skipped: Array<{ accountId: string; why: string }> = [];
  for (const s of pool.states) {
    if (s.id === pickedId) continue;
    const why = exclusionReason(pool, s, model, rung, now);
    if (why !== undefined) skipped.push({ accountId: s.id, why });
  }
  return skipped;
}
