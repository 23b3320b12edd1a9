/**
 * What changed in one account since the shared store last heard of it. Instances exchange these
 * deltas rather than whole states, so two instances limiting the same account on different models
 * at the same moment both keep their cooldown: each cooldown is merged per model, the rest is
 * last-writer-wins. The token bucket is not part of it (Redis holds the shared bucket).
 */
import type { AccountState, Cooldown, HealthState, InvalidFlag, QuotaEntry } from "../pool/types.ts";

export interface AccountDelta {
  enabled?: boolean;
  /** null: the flag was cleared. */
  invalid?: InvalidFlag | null;
  tier?: string | null;
  health?: HealthState;
  consecutiveFailures?: number;
  lastUsedAt?: number;
  /** The whole quota picture (a quota read replaces it). */
  quota?: Record<string, QuotaEntry>;
  /** Per model; null: the cooldown was removed. */
  cooldowns?: Record<string, Cooldown | null>;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The delta from `prev` (undefined: nothing known) to `next`, or undefined when nothing shared changed. */
export function diffState(prev: AccountState | undefined, next: AccountState): AccountDelta | undefined {
  const d: AccountDelta = {};
  if (!prev || prev.enabled !== next.enabled) d.enabled = next.enabled;
  if (!prev || !same(prev.invalid, next.invalid)) {
    if (prev || next.invalid) d.invalid = next.invalid ?? null;
  }
  if (!prev || prev.tier !== next.tier) {
    if (prev || next.tier !== undefined) d.tier = next.tier ?? null;
  }
  if (!prev || !same(prev.health, next.health)) d.health = { ...next.health };
  if (!prev || prev.consecutiveFailures !== next.consecutiveFailures) d.consecutiveFailures = next.consecutiveFailures;
  if (!prev || prev.lastUsedAt !== next.lastUsedAt) d.lastUsedAt = next.lastUsedAt;
  if (!prev || !same(prev.quota, next.quota)) d.quota = structuredClone(next.quota);
  const cooldowns: Record<string, Cooldown | null> = {};
  let changed = false;
  for (const [model, c] of Object.entries(next.cooldowns)) {
    if (prev && same(prev.cooldowns[model], c)) continue;
    cooldowns[model] = { ...c };
    changed = true;
  }
  if (prev) {
    for (const model of Object.keys(prev.cooldowns)) {
      if (!(model in next.cooldowns)) {
        cooldowns[model] = null;
        changed = true;
      }
    }
  }
  if (changed) d.cooldowns = cooldowns;
  return Object.keys(d).length > 0 ? d : undefined;
}

/** `base` with the delta applied (a new object; `base` is not changed). */
export function applyDelta(base: AccountState, d: AccountDelta): AccountState {
  const s = structuredClone(base);
  if (d.enabled !== undefined) s.enabled = d.enabled;
  if (d.invalid !== undefined) {
    if (d.invalid === null) delete s.invalid;
    else s.invalid = { ...d.invalid };
  }
  if (d.tier !== undefined) {
    if (d.tier === null) delete s.tier;
    else s.tier = d.tier;
  }
  // Health moves on both sides; the later reading wins.
  if (d.health && d.health.updatedAt >= s.health.updatedAt) s.health = { ...d.health };
  if (d.consecutiveFailures !== undefined) s.consecutiveFailures = d.consecutiveFailures;
  if (d.lastUsedAt !== undefined) s.lastUsedAt = Math.max(s.lastUsedAt, d.lastUsedAt);
  if (d.quota) s.quota = structuredClone(d.quota);
  if (d.cooldowns) {
    for (const [model, c] of Object.entries(d.cooldowns)) {
      if (c === null) delete s.cooldowns[model];
      else s.cooldowns[model] = { ...c };
    }
  }
  return s;
}
