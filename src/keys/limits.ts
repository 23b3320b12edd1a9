/**
 * What a key may do right now, given what it has done: pure arithmetic over counts, shared by the
 * in-process limiter and mirrored by the Redis script (src/state/key-limits-redis.ts), so one
 * instance alone and several on one Redis refuse the same request for the same reason.
 */
import type { Budget, KeyLimits, KeyPool } from "./types.ts";

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
/** A lease that was never released (its instance died) stops counting against concurrency after this. */
export const LEASE_TTL_MS = 15 * MINUTE_MS;

export type LimitName = "rpm" | "concurrency" | "requestsPerDay" | "tokensPerDay" | "poolShare" | "models";

export interface Refusal {
  limit: LimitName;
  /** When it frees up; 0 when waiting does not help (a model the key may not use). */
  retryAfterMs: number;
  message: string;
}

export interface DayUse {
  requests: number;
  tokens: number;
}

export interface KeyCounts {
  /** Start times of requests in the last minute, oldest first. */
  recent: readonly number[];
  inFlight: number;
  /** Today's use (UTC) per pool. */
  day: Record<KeyPool, DayUse>;
}

/** The UTC day an instant falls in, as a number (days since the epoch). */
export function dayOf(now: number): number {
  return Math.floor(now / DAY_MS);
}

export function untilNextDay(now: number): number {
  return (dayOf(now) + 1) * DAY_MS - now;
}

/** [limit for this pool, limit for all pools together]; -1 = none. */
export function budgetFor(budget: Budget | undefined, pool: KeyPool): [number, number] {
  if (budget === undefined) return [-1, -1];
  if (typeof budget === "number") return [-1, budget];
  return [budget[pool] ?? -1, -1];
}

function over(used: number, [perPool, total]: [number, number], poolUsed: number): boolean {
  return (perPool >= 0 && poolUsed >= perPool) || (total >= 0 && used >= total);
}

export function check(name: string, limits: KeyLimits, pool: KeyPool, counts: KeyCounts, now: number): Refusal | undefined {
  if (limits.rpm !== undefined && counts.recent.length >= limits.rpm) {
    const oldest = counts.recent[0] ?? now;
    return describeRefusal({ name, limit: "rpm", limits, pool, retryAfterMs: oldest + MINUTE_MS - now, inFlight: counts.inFlight, now });
  }
  if (limits.concurrency !== undefined && counts.inFlight >= limits.concurrency) {
    return describeRefusal({ name, limit: "concurrency", limits, pool, retryAfterMs: 1000, inFlight: counts.inFlight, now });
  }
  const poolDay = counts.day[pool];
  const all = (f: keyof DayUse) => counts.day.gemini[f] + counts.day.claude[f];
  if (over(all("requests"), budgetFor(limits.requestsPerDay, pool), poolDay.requests)) {
    return describeRefusal({ name, limit: "requestsPerDay", limits, pool, retryAfterMs: untilNextDay(now), inFlight: counts.inFlight, now });
  }
  if (over(all("tokens"), budgetFor(limits.tokensPerDay, pool), poolDay.tokens)) {
    return describeRefusal({ name, limit: "tokensPerDay", limits, pool, retryAfterMs: untilNextDay(now), inFlight: counts.inFlight, now });
  }
  return undefined;
}

/** The refusal in the user's words: which limit, and when it frees up. */
export function describeRefusal(r: {
  name: string;
  limit: "rpm" | "concurrency" | "requestsPerDay" | "tokensPerDay";
  limits: KeyLimits;
  pool: KeyPool;
  retryAfterMs: number;
  inFlight: number;
  now: number;
}): Refusal {
  const retryAfterMs = Math.max(1, r.retryAfterMs);
  const key = `Key "${r.name}"`;
  switch (r.limit) {
    case "rpm":
      return { limit: r.limit, retryAfterMs, message: `${key} is at its limit of ${r.limits.rpm} requests per minute; ${frees(retryAfterMs)}.` };
    case "concurrency":
      return {
        limit: r.limit,
        retryAfterMs,
        message: `${key} already has ${r.inFlight} requests in flight, its limit of ${r.limits.concurrency}; it frees up when one finishes.`,
      };
    default: {
      const unit = r.limit === "requestsPerDay" ? "requests" : "tokens";
      const [perPool, total] = budgetFor(r.limit === "requestsPerDay" ? r.limits.requestsPerDay : r.limits.tokensPerDay, r.pool);
      const which = perPool >= 0 ? `${perPool} ${r.pool} ${unit}` : `${total} ${unit}`;
      return { limit: r.limit, retryAfterMs, message: `${key} used its ${which} for today (UTC); ${frees(retryAfterMs)}.` };
    }
  }
}

/**
 * Pool share: the part of a pool's current window this key spent — the window's used fraction
 * across the pool times the key's share of the requests served from it — must stay below F.
 */
export function checkPoolShare(
  name: string,
  share: number | undefined,
  pool: KeyPool,
  windows: ReadonlyArray<{ window: string; usedFraction: number; keyRequests: number; allRequests: number; resetAt?: number }>,
  now: number,
): Refusal | undefined {
  if (share === undefined) return undefined;
  for (const w of windows) {
    if (w.allRequests <= 0) continue;
    const spent = w.usedFraction * (w.keyRequests / w.allRequests);
    if (spent >= share) {
      const retryAfterMs = Math.max(1000, (w.resetAt ?? now + MINUTE_MS) - now);
      return {
        limit: "poolShare",
        retryAfterMs,
        message: `Key "${name}" spent ${Math.round(spent * 100)}% of the ${pool} pool's ${w.window} window, its share is ${Math.round(share * 100)}%; ${frees(retryAfterMs)}.`,
      };
    }
  }
  return undefined;
}

export function modelAllowed(limits: KeyLimits, names: readonly string[]): boolean {
  if (!limits.models || limits.models.length === 0) return true;
  return limits.models.some((glob) => {
    const re = globToRegExp(glob);
    return names.some((n) => re.test(n));
  });
}

const globCache = new Map<string, RegExp>();
function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (!re) {
    re = new RegExp(`^${glob.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "i");
    globCache.set(glob, re);
  }
  return re;
}

function frees(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 120) return `it frees up in ${s} s`;
  const m = Math.ceil(s / 60);
  if (m < 120) return `it frees up in ${m} min`;
  return `it frees up in ${Math.floor(m / 60)} h ${m % 60} min`;
}
