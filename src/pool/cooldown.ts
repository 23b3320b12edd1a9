/**
 * What an upstream failure or success does to one account's routing state. Cooldowns are per
 * (account, model) — or per (account, pool) for quota, which every model of a pool shares — and
 * hold an absolute `until`; they are never deleted by a timer, only judged against `now` when
 * read, so a restored state expires exactly when it should.
 */
import type { UpstreamError, UpstreamErrorKind } from "../upstream/errors.ts";
import { adjustHealth } from "./health.ts";
import type { PoolTuning } from "./tuning.ts";
import { clampFraction } from "./quota.ts";
import type { QuotaWindow } from "../google/quota-pools.ts";
import type { AccountState, Cooldown, InvalidKind, QuotaEntry } from "./types.ts";
import { isPoolFact, poolKey as keyOfPool, poolCooldownKey, poolOfKey, windowEntries, windowOfKey, windowOfReset, windowQuota } from "./windows.ts";

/** The rest of the pool, as far as one failure needs to know it. */
export interface FailureContext {
  /** Enabled, valid accounts. */
  poolSize: number;
  /** Accounts other than this one whose model is cooled right now by a non-quota error. */
  nonQuotaCooled: number;
}

export type FailureOutcome =
  | { action: "cooled"; until: number; reason: UpstreamErrorKind; hits: number; deduped: boolean }
  | { action: "invalidated"; kind: InvalidKind }
  | { action: "penalized"; why: string }
  | { action: "ignored"; why: string };

const INVALIDATING = new Set<UpstreamErrorKind>(["auth_revoked", "verification_required", "banned"]);
/** Limits upstream set for this very account: cooling on them is always right. */
const QUOTA_KINDS = new Set<UpstreamErrorKind>(["quota_exhausted", "rate_limited"]);
const STREAK_KINDS = new Set<UpstreamErrorKind>(["server", "network", "empty_response"]);

export function isActive(c: Cooldown | undefined, now: number): c is Cooldown {
  return c !== undefined && now < c.until;
}

export function activeCooldown(state: AccountState, model: string, now: number): Cooldown | undefined {
  const c = state.cooldowns[model];
  return isActive(c, now) ? c : undefined;
}

/** The cooldown of the model's pool, when one is in force. */
export function activePoolCooldown(state: AccountState, model: string, now: number): Cooldown | undefined {
  const key = poolCooldownKey(model);
  return key === undefined ? undefined : activeCooldown(state, key, now);
}

export function isNonQuotaCooldown(c: Cooldown): boolean {
  return !QUOTA_KINDS.has(c.reason);
}

function is429(err: UpstreamError): boolean {
  return err.status === 429 || err.kind === "quota_exhausted" || err.kind === "rate_limited";
}

/** Escalation memory lasts as long as the longest backoff step after the last cooldown ended. */
function priorHits(prev: Cooldown | undefined, now: number, t: PoolTuning["backoff"]): number {
  if (!prev) return 0;
  const memoryMs = t.quotaExhaustedMs[t.quotaExhaustedMs.length - 1] ?? 0;
  return now - prev.until < memoryMs ? prev.hits : 0;
}

function quotaBackoffMs(hits: number, t: PoolTuning["backoff"]): number {
  const steps = t.quotaExhaustedMs;
  return steps[Math.min(hits, steps.length) - 1] ?? t.unknownMs;
}

/** Writes a cooldown, never shortening one already in force. Returns the resulting `until`. */
function cool(
  state: AccountState,
  model: string,
  until: number,
  reason: UpstreamErrorKind,
  hits: number,
  counted429: boolean,
  now: number,
): Cooldown {
  const prev = state.cooldowns[model];
  const active = isActive(prev, now);
  if (active && prev.until >= until) {
    prev.hits = Math.max(prev.hits, hits);
    if (counted429) prev.last429At = now;
    return prev;
  }
  const next: Cooldown = {
    until,
    reason,
    hits,
    since: active ? prev.since : now,
    last429At: counted429 ? now : (prev?.last429At ?? 0),
  };
  if (active && prev.checkedAt !== undefined) next.checkedAt = prev.checkedAt;
  if (active && prev.window !== undefined) next.window = prev.window;
  state.cooldowns[model] = next;
  return next;
}

function mayCoolForNonQuota(state: AccountState, model: string, now: number, ctx: FailureContext, t: PoolTuning): boolean {
  const current = activeCooldown(state, model, now);
  if (current && isNonQuotaCooldown(current)) return true; // already counted in the cap
  return ctx.nonQuotaCooled + 1 <= Math.floor(ctx.poolSize * t.backoff.maxNonQuotaCooledFraction);
}

function hintedUntil(err: UpstreamError, now: number): number | undefined {
  return err.resetAt !== undefined && Number.isFinite(err.resetAt) && err.resetAt > now ? err.resetAt : undefined;
}

/** Applies one upstream failure to the account. Mutates `state`; returns what it did. */
export function applyFailure(
  state: AccountState,
  model: string,
  err: UpstreamError,
  now: number,
  random: () => number,
  tuning: PoolTuning,
  ctx: FailureContext,
): FailureOutcome {
  const b = tuning.backoff;
  if (err.kind === "bad_request") return { action: "ignored", why: "the request's fault, not the account's" };

  if (INVALIDATING.has(err.kind)) {
    const kind = err.kind as InvalidKind;
    state.invalid = { kind, reason: err.message, at: now };
    if (err.validationUrl) state.invalid.url = err.validationUrl;
    return { action: "invalidated", kind };
  }

  // Quota is per pool upstream: one exhaustion is learned for every model of the pool at once.
  const poolKey = err.kind === "quota_exhausted" ? poolCooldownKey(model) : undefined;
  const key = poolKey ?? model;
  const prev = state.cooldowns[key];
  const counts429 = is429(err);
  if (counts429 && prev && now - prev.last429At < b.dedupeWindowMs) {
    // A burst of parallel requests hitting the same limit is one event, not several.
    const until = hintedUntil(err, now);
    const c = until !== undefined ? cool(state, key, until, prev.reason, prev.hits, false, now) : prev;
    return { action: "cooled", until: c.until, reason: c.reason, hits: c.hits, deduped: true };
  }

  if (QUOTA_KINDS.has(err.kind)) {
    adjustHealth(state.health, -tuning.health.rateLimitPenalty, now, tuning.health);
    const earlier = priorHits(prev, now, b);
    const hits = err.kind === "quota_exhausted" ? earlier + 1 : earlier;
    const fallback = err.kind === "quota_exhausted" ? quotaBackoffMs(hits, b) : b.rateLimitedMs;
    const hinted = hintedUntil(err, now);
    const until = hinted ?? now + fallback;
    const c = cool(state, key, until, err.kind, hits, counts429, now);
    const pool = poolKey === undefined ? undefined : poolOfKey(poolKey);
    if (pool && hinted !== undefined && c.until === until) c.window = windowOfReset(state, pool, until, now);
    return { action: "cooled", until: c.until, reason: c.reason, hits: c.hits, deduped: false };
  }

  let coolMs: number | undefined;
  if (err.kind === "capacity") {
    // Upstream-wide overload says nothing about this account's health.
    coolMs = b.capacityMs + (random() * 2 - 1) * b.capacityJitterMs;
  } else {
    adjustHealth(state.health, -tuning.health.failurePenalty, now, tuning.health);
    if (err.kind === "unauthenticated") coolMs = b.unknownMs;
    if (err.kind === "server") coolMs = b.serverErrorMs;
    if (STREAK_KINDS.has(err.kind)) {
      state.consecutiveFailures += 1;
      if (state.consecutiveFailures >= b.consecutiveFailuresToCool) {
        state.consecutiveFailures = 0;
        coolMs = Math.max(coolMs ?? 0, b.consecutiveFailureCooldownMs);
      }
    }
  }
  const until = hintedUntil(err, now) ?? (coolMs === undefined ? undefined : now + coolMs);
  if (until === undefined) return { action: "penalized", why: `${state.consecutiveFailures} failure(s) in a row` };
  if (!mayCoolForNonQuota(state, model, now, ctx, tuning)) {
    return { action: "penalized", why: "non-quota cooling cap reached for this model" };
  }
  const c = cool(state, model, until, err.kind, priorHits(prev, now, b), counts429, now);
  return { action: "cooled", until: c.until, reason: c.reason, hits: c.hits, deduped: false };
}

/** A success heals a little, ends any failure streak and forgets expired cooldowns for the model. */
export function applySuccess(state: AccountState, model: string, now: number, tuning: PoolTuning): void {
  adjustHealth(state.health, tuning.health.successReward, now, tuning.health);
  state.consecutiveFailures = 0;
  for (const key of [model, poolCooldownKey(model)]) {
    if (key === undefined) continue;
    const c = state.cooldowns[key];
    if (c && !isActive(c, now)) delete state.cooldowns[key];
  }
}

/**
 * When a long cooldown deserves a cheap quota probe: min(its end, probeAfterMs after the last look).
 * One that ended long ago needs none: the regular quota refresh has taken over by then.
 */
export function probeDueAt(c: Cooldown, now: number, probeAfterMs: number): number | undefined {
  const long = c.reason === "quota_exhausted" || c.until - c.since >= probeAfterMs;
  if (!long || now - c.until >= probeAfterMs) return undefined;
  const lastLook = c.checkedAt ?? c.since;
  if (lastLook >= c.until) return undefined; // already confirmed after it ended
  return Math.min(c.until, lastLook + probeAfterMs);
}

export type QuotaSnapshot = Record<string, { fraction: number; resetAt?: number }>;

/**
 * Takes in what the quota endpoints say: per-model `quotaInfo` and, when the summary was read, the
 * pools' windows (`undefined`: not read this time, the previous windows stay). This is also the
 * probe that rescues accounts kept cooled after upstream already refilled them: quota back above
 * zero ends a quota cooldown at once, and quota at zero with a known reset cools until then
 * without spending a request to find out. A pool's cooldown ends only when every window it has
 * is above zero — the 5-hour value alone (all quotaInfo shows) cannot see the weekly wall.
 */
export function applyQuotaSnapshot(
  state: AccountState,
  snapshot: QuotaSnapshot,
  now: number,
  tuning: PoolTuning,
  windows?: readonly QuotaWindow[],
): void {
  const quota: Record<string, QuotaEntry> = {};
  for (const [model, q] of Object.entries(snapshot)) {
    if (isPoolFact(model)) continue;
    const entry: QuotaEntry = { fraction: clampFraction(q.fraction), fetchedAt: now };
    if (q.resetAt !== undefined && Number.isFinite(q.resetAt)) entry.resetAt = q.resetAt;
    quota[model] = entry;
  }
  if (windows) Object.assign(quota, windowQuota(windows, now));
  else for (const [key, q] of Object.entries(state.quota)) if (windowOfKey(key)) quota[key] = q;
  state.quota = quota;

  for (const [key, c] of Object.entries(state.cooldowns)) {
    c.checkedAt = now;
    if (c.reason !== "quota_exhausted" || !isActive(c, now)) continue;
    // Keep `hits`: if the endpoint was optimistic, the next exhaustion still escalates.
    const pool = poolOfKey(key);
    if (!pool) {
      const q = quota[key];
      if (q && q.fraction > 0) c.until = now;
      continue;
    }
    const known = windowEntries(state, pool);
    if (known.length > 0) {
      if (known.every((w) => w.entry.fraction > 0)) c.until = now;
    } else if (c.window !== "weekly") {
      const models = Object.entries(quota).filter(([m]) => !isPoolFact(m) && poolCooldownKey(m) === key);
      if (models.length > 0 && models.every(([, q]) => q.fraction > 0)) c.until = now;
    }
  }

  const coolUntil = (key: string, resetAt: number, window?: QuotaWindow["window"]) => {
    const hits = Math.max(1, priorHits(state.cooldowns[key], now, tuning.backoff));
    const c = cool(state, key, resetAt, "quota_exhausted", hits, false, now);
    c.checkedAt = now;
    if (window !== undefined && c.until === resetAt) c.window = window;
  };
  for (const [key, q] of Object.entries(quota)) {
    if (q.fraction > 0 || q.resetAt === undefined || q.resetAt <= now) continue;
    const where = windowOfKey(key);
    if (where) {
      coolUntil(keyOfPool(where.pool), q.resetAt, where.window);
      continue;
    }
    if (isPoolFact(key)) continue;
    // A model at zero is its pool at zero (quotaInfo is the pool's value).
    const poolKey = poolCooldownKey(key);
    if (poolKey === undefined) coolUntil(key, q.resetAt);
    else coolUntil(poolKey, q.resetAt, windowOfReset(state, poolOfKey(poolKey)!, q.resetAt, now));
  }
}

/** Records a probe that could not read quota, so the account is not due again at once. */
export function noteProbed(state: AccountState, now: number): void {
  for (const c of Object.values(state.cooldowns)) c.checkedAt = now;
}
