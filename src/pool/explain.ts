/** Human-readable reasons, built only when someone asks (debug logs, the explain API). */
import { tokensAt } from "./bucket.ts";
import { poolOfModel, WINDOW_IDS } from "../google/quota-pools.ts";
import { activeCooldown, activePoolCooldown } from "./cooldown.ts";
import { healthAt } from "./health.ts";
import { isBelowFloor, liveQuota, resolveWindowFloor } from "./quota.ts";
import { WINDOW_KEYS } from "./windows.ts";
import type { PoolSnapshot } from "./snapshot.ts";
import type { AccountState } from "./types.ts";

/**
 * A duration short enough for a log line or a table cell, with zero-padded minor units so
 * columns of them line up: 45s, 3m05s, 1h02m, 2d03h.
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return `${d}d${two(h)}h`;
  if (h > 0) return `${h}h${two(m)}m`;
  if (m > 0) return `${m}m${two(s)}s`;
  return `${s}s`;
}

/**
 * ISO time, or null for a number no Date can hold (NaN, ±Infinity, beyond ±8.64e15). `toISOString`
 * throws on those, and one such value in a state file once made every report answer 500.
 */
export function isoOrNull(at: number | undefined): string | null {
  if (at === undefined || !Number.isFinite(at) || Math.abs(at) > 8.64e15) return null;
  return new Date(at).toISOString();
}

export function formatInstant(at: number, now: number): string {
  return `${isoOrNull(at) ?? "an unknown time"} (in ${formatDuration(at - now)})`;
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
  const pc = activePoolCooldown(s, model, now);
  const c = activeCooldown(s, model, now);
  if (pc && (!c || pc.until >= c.until)) {
    const what = pc.window === "weekly" ? "weekly window empty" : pc.window === "5h" ? "5-hour window empty" : pc.reason;
    return `out of the ${poolOfModel(model)} pool until ${formatInstant(pc.until, now)}: ${what}`;
  }
  if (c) return `cooling for ${model} until ${formatInstant(c.until, now)} after ${c.reason}`;
  if (rung < 1) {
    const floor = pool.floorFor(s, model);
    const q = s.quota[model];
    if (isBelowFloor(q, floor, now, t.quota)) {
      return `quota ${pct(liveQuota(q, now)?.fraction ?? 0)} at or below floor ${pct(floor)}`;
    }
    const p = poolOfModel(model);
    for (const window of p ? WINDOW_IDS : []) {
      const w = s.quota[WINDOW_KEYS[p!][window]];
      const wFloor = resolveWindowFloor(s, p!, window, pool, t.quota);
      if (isBelowFloor(w, wFloor, now, t.quota)) {
        return `${p} ${window} window ${pct(liveQuota(w, now)?.fraction ?? 0)} at or below floor ${pct(wFloor)}`;
      }
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
