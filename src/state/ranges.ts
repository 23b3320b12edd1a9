/**
 * Range checks on a loaded account state. The schema check (documents.ts) only knows types: a
 * `lastUsedAt` of 1e20 or a bucket at −1e9 tokens are numbers, yet one of them made every report
 * answer 500 (an invalid Date) and kept round-robin off the account for good, and the other would
 * throttle it for years. Each value out of its range is replaced by its default and named in
 * `problems`, which the loader reports once; the fixed state is what gets written back.
 */
import type { PoolTuning } from "../pool/tuning.ts";
import type { AccountState } from "../pool/types.ts";

/** How far ahead of this machine's clock a "when it happened" time may lie (another host's clock). */
export const CLOCK_SKEW_MS = 24 * 3_600_000;
/** How far ahead a reset or cooldown end may lie: a weekly quota window, and a day of slack. */
export const MAX_AHEAD_MS = 8 * 24 * 3_600_000;

export interface RangeChecked {
  state: AccountState;
  /** One sentence per value replaced, e.g. `lastUsedAt 1e+20 is in the future; now 0 (never)`. */
  problems: string[];
}

const show = (v: unknown) => (typeof v === "number" ? String(v) : JSON.stringify(v));

export function checkRanges(input: AccountState, now: number, tuning: PoolTuning): RangeChecked {
  const state = structuredClone(input);
  const problems: string[] = [];
  /** A time something happened: not negative, not in the future. */
  const past = (v: number) => Number.isFinite(v) && v >= 0 && v <= now + CLOCK_SKEW_MS;
  /** A time something ends: not negative, not further ahead than any upstream limit lasts. */
  const ahead = (v: number) => Number.isFinite(v) && v >= 0 && v <= now + MAX_AHEAD_MS;
  const fix = (what: string, value: unknown, replacement: string) => problems.push(`${what} ${show(value)} is out of range; ${replacement}`);

  if (!past(state.lastUsedAt)) {
    fix("lastUsedAt", state.lastUsedAt, "now 0 (never used)");
    state.lastUsedAt = 0;
  }

  const h = tuning.health;
  if (!Number.isFinite(state.health.score) || state.health.score < h.min || state.health.score > h.max) {
    fix("health.score", state.health.score, `now ${h.initial}`);
    state.health = { score: h.initial, updatedAt: now };
  } else if (!past(state.health.updatedAt)) {
    fix("health.updatedAt", state.health.updatedAt, "now the load time");
    state.health.updatedAt = now;
  }

  const b = tuning.bucket;
  if (!Number.isFinite(state.bucket.tokens) || state.bucket.tokens < 0 || state.bucket.tokens > b.max) {
    fix("bucket.tokens", state.bucket.tokens, `now ${Math.min(b.max, b.initial)}`);
    state.bucket = { tokens: Math.min(b.max, b.initial), updatedAt: now };
  } else if (!past(state.bucket.updatedAt)) {
    fix("bucket.updatedAt", state.bucket.updatedAt, "now the load time");
    state.bucket.updatedAt = now;
  }

  if (!Number.isFinite(state.consecutiveFailures) || state.consecutiveFailures < 0) {
    fix("consecutiveFailures", state.consecutiveFailures, "now 0");
    state.consecutiveFailures = 0;
  }

  if (state.invalid && !past(state.invalid.at)) {
    fix("invalid.at", state.invalid.at, "now the load time");
    state.invalid.at = now;
  }

  for (const [key, c] of Object.entries(state.cooldowns)) {
    const bad = !ahead(c.until) ? "until" : !past(c.since) ? "since" : !past(c.last429At) ? "last429At" : c.checkedAt !== undefined && !past(c.checkedAt) ? "checkedAt" : undefined;
    if (bad) {
      fix(`cooldowns.${key}.${bad}`, (c as unknown as Record<string, unknown>)[bad], "cooldown dropped");
      delete state.cooldowns[key];
    }
  }

  for (const [model, q] of Object.entries(state.quota)) {
    const bad =
      !Number.isFinite(q.fraction) || q.fraction < 0 || q.fraction > 1
        ? "fraction"
        : !past(q.fetchedAt)
          ? "fetchedAt"
          : q.resetAt !== undefined && !ahead(q.resetAt)
            ? "resetAt"
            : undefined;
    if (bad) {
      fix(`quota.${model}.${bad}`, (q as unknown as Record<string, unknown>)[bad], "quota unknown until the next read");
      delete state.quota[model];
    }
  }

  const floors = state.floors;
  if (floors) {
    const floorOk = (v: number) => Number.isFinite(v) && v >= 0 && v <= 1;
    if (floors.default !== undefined && !floorOk(floors.default)) {
      fix("floors.default", floors.default, "the configured floor applies");
      delete floors.default;
    }
    for (const [model, v] of Object.entries(floors.perModel ?? {})) {
      if (!floorOk(v)) {
        fix(`floors.perModel.${model}`, v, "the configured floor applies");
        delete floors.perModel![model];
      }
    }
    for (const [pool, windows] of Object.entries(floors.pools ?? {}) as Array<[string, Record<string, number | undefined> | undefined]>) {
      for (const [window, v] of Object.entries(windows ?? {})) {
        if (v !== undefined && !floorOk(v)) {
          fix(`floors.pools.${pool}.${window}`, v, "the configured floor applies");
          delete windows![window];
        }
      }
    }
  }
  return { state, problems };
}
