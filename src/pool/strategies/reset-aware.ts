/**
 * Reset-aware: quota is a clock, not a level. A weekly window has to be spent at `remaining ÷
 * hours to its reset` (per hour) or what is left is lost at the reset; the account whose week needs
 * spending fastest goes first. The 5-hour window is a speed limit, not a budget: an account whose
 * 5-hour window is nearly empty is held back until it resets, so no week is drained early while
 * other accounts have room.
 * The session's own account keeps a bonus (prompt caches), and any in-flight work counts against
 * an account, so a burst of parallel subagents spreads.
 *
 * A weekly floor is a reserve against running dry; in the last hours before that window resets the
 * reserve would simply be lost, so within `floorReleaseHours` of the reset an account held only by
 * its weekly floor is spent like any other.
 *
 * Cost: it reads each candidate's windows, so on pools above SAMPLE accounts it looks at a
 * random sample of that many (plus the session's account) instead of all of them.
 */
import { poolOfModel, type PoolId } from "../../google/quota-pools.ts";
import type { Candidates } from "../candidates.ts";
import { formatDuration } from "../explain.ts";
import { liveQuota, resolveWindowFloor } from "../quota.ts";
import { defineStrategy } from "../strategy.ts";
import { WINDOW_KEYS } from "../windows.ts";

const HOUR = 3_600_000;
/** A window resetting sooner than this is treated as resetting in this long (no division blow-up). */
const MIN_HOURS = 0.25;
/** Candidates examined on large pools. */
const SAMPLE = 64;
/** Urgency (fraction per hour) an account without quota data is given: a fresh week. */
const UNKNOWN = 1 / 168;
/** Below this much left in its 5-hour window an account is progressively held back. */
const FIVE_HOUR_RESERVE = 0.1;

export function urgencyOf(c: Candidates, slot: number, pool: PoolId | undefined): number {
  const state = c.snapshot.states[slot];
  if (!state || !pool) return UNKNOWN;
  const keys = WINDOW_KEYS[pool];
  const weekly = state.quota[keys.weekly];
  const five = state.quota[keys["5h"]];
  if (!weekly && !five) return UNKNOWN;
  const now = c.now;
  // The week is what runs out for good: spend first what its reset would take away.
  let urgency = weekly
    ? weekly.fraction / Math.max(MIN_HOURS, ((weekly.resetAt ?? now + 168 * HOUR) - now) / HOUR)
    : (five?.fraction ?? 1) / Math.max(MIN_HOURS, ((five?.resetAt ?? now + 5 * HOUR) - now) / HOUR);
  // A nearly empty 5-hour window is about to refuse: leave it until it resets.
  if (five && weekly) urgency *= Math.min(1, five.fraction / FIVE_HOUR_RESERVE);
  return urgency;
}

/**
 * True when only the weekly window's floor keeps the account out and that window resets within
 * `hours`: what the floor holds back would be lost at the reset.
 */
function weeklyFloorExpiring(c: Candidates, slot: number, pool: PoolId | undefined, hours: number): boolean {
  if (!pool || hours <= 0 || c.rung !== 0 || !c.usableButForFloor(slot)) return false;
  const state = c.snapshot.states[slot];
  if (!state) return false;
  const now = c.now;
  const weekly = liveQuota(state.quota[WINDOW_KEYS[pool].weekly], now);
  if (!weekly || weekly.resetAt === undefined || weekly.fraction <= 0 || weekly.resetAt - now > hours * HOUR) return false;
  const snap = c.snapshot;
  const five = liveQuota(state.quota[WINDOW_KEYS[pool]["5h"]], now);
  if (five && five.fraction <= resolveWindowFloor(state, pool, "5h", snap, snap.tuning.quota)) return false;
  const own = liveQuota(state.quota[c.model], now);
  return !own || own.fraction > snap.floorFor(state, c.model);
}

export const resetAware = defineStrategy({
  name: "reset-aware",
  pick(c, ctx) {
    const pool = poolOfModel(c.model);
    const affinity = ctx.sessionId !== undefined && ctx.affinityId !== undefined && c.rung === 0 ? c.slotOf(ctx.affinityId) : -1;
    const { affinityBonus, inFlightPenalty, floorReleaseHours } = ctx.tuning.resetAware;
    const inFlight = ctx.inFlight;
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    const consider = (slot: number) => {
      if (!c.usable(slot) && !weeklyFloorExpiring(c, slot, pool, floorReleaseHours)) return;
      let score = urgencyOf(c, slot, pool);
      if (slot === affinity) score += affinityBonus;
      const busy = inFlight?.(c.idOf(slot)) ?? 0;
      score -= busy * inFlightPenalty;
      // Ties (no quota data yet): the hybrid score decides, scaled far below any quota difference.
      score += c.score(slot) * 1e-6;
      if (score > bestScore) {
        bestScore = score;
        best = slot;
      }
    };
    if (c.size <= SAMPLE) for (let slot = 0; slot < c.size; slot++) consider(slot);
    else {
      if (affinity >= 0) consider(affinity);
      for (let i = 0; i < SAMPLE; i++) consider(Math.floor(ctx.random() * c.size));
      if (best < 0) {
        const any = c.next(Math.floor(ctx.random() * c.size));
        if (any >= 0) consider(any);
      }
    }
    if (best < 0) return undefined;
    return ctx.explain ? { slot: best, why: describe(c, best, pool, best === affinity, inFlight?.(c.idOf(best)) ?? 0, floorReleaseHours) } : { slot: best };
  },
});

/** "claude week 42% left, resets in 20h00m → 2.1%/h; the conversation's account; 2 in flight". */
function describe(c: Candidates, slot: number, pool: PoolId | undefined, own: boolean, busy: number, releaseHours: number): string {
  const parts: string[] = [];
  const state = c.snapshot.states[slot];
  const weekly = pool && state ? state.quota[WINDOW_KEYS[pool].weekly] : undefined;
  if (pool && weekly) {
    const left = `${pool} week ${Math.round(weekly.fraction * 100)}% left`;
    const reset = weekly.resetAt !== undefined ? `, resets in ${formatDuration(weekly.resetAt - c.now)}` : "";
    parts.push(`${left}${reset} → ${(urgencyOf(c, slot, pool) * 100).toFixed(1)}%/h`);
  } else parts.push("no quota windows known yet");
  if (!c.usable(slot) && weeklyFloorExpiring(c, slot, pool, releaseHours)) parts.push("below its weekly floor, which resets within the release window");
  if (own) parts.push("the conversation's account");
  if (busy > 0) parts.push(`${busy} in flight`);
  return parts.join("; ");
}
