/**
 * Time-bound facts are stored with their absolute expiry; this drops the ones a restored state no
 * longer needs, so nothing read back can keep an account out past its reset.
 */
import type { PoolTuning } from "../pool/tuning.ts";
import type { AccountState } from "../pool/types.ts";

/** No upstream limit lasts longer than a weekly quota; a cooldown beyond this is a broken clock or file. */
export const MAX_COOLDOWN_MS = 8 * 24 * 3_600_000;

export interface Pruned {
  state: AccountState;
  /** Cooldowns dropped because their end lay implausibly far ahead. */
  implausible: string[];
}

/**
 * Cooldowns are kept past their end only as long as the pool remembers them for escalation (the
 * longest quota backoff step); quota entries past their reset say nothing any more.
 */
export function dropExpired(state: AccountState, now: number, tuning: PoolTuning): Pruned {
  const steps = tuning.backoff.quotaExhaustedMs;
  const memoryMs = steps[steps.length - 1] ?? 0;
  const implausible: string[] = [];
  const cooldowns: AccountState["cooldowns"] = {};
  for (const [model, c] of Object.entries(state.cooldowns)) {
    if (c.until - now > MAX_COOLDOWN_MS) {
      implausible.push(model);
      continue;
    }
    if (now - c.until < memoryMs) cooldowns[model] = c;
  }
  const quota: AccountState["quota"] = {};
  for (const [model, q] of Object.entries(state.quota)) {
    if (q.resetAt === undefined || q.resetAt > now) quota[model] = q;
  }
  return { state: { ...state, cooldowns, quota }, implausible };
}
