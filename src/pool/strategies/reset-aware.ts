/**
 * Reset-aware: quota is a clock, not a level. A weekly window has to be spent at `remaining ÷
 * hours to its reset` (per hour) or what is left is lost at the reset; the account whose week needs
 * spending fastest goes first. The 5-hour window is a speed limit, not a budget: an account whose
 * 5-hour window is nearly empty is held back until it resets, so no week is drained early while
 * other accounts have room.
 * The session's own account keeps a bonus (prompt caches), and any in-flight work counts against
 * an account, so a burst of parallel subagents spreads.
 *
 * Cost: it reads each candidate's windows, so on pools above SAMPLE accounts it looks at a
 * random sample of that many (plus the session's account) instead of all of them.
 */
import { poolOfModel } from "../../google/quota-pools.ts";
import type { Candidates } from "../candidates.ts";
import { defineStrategy } from "../strategy.ts";
import { windowEntries } from "../windows.ts";

const HOUR = 3_600_000;
/** A window resetting sooner than this is treated as resetting in this long (no division blow-up). */
const MIN_HOURS = 0.25;
/** Candidates examined on large pools. */
const SAMPLE = 64;
/** Urgency (fraction per hour) an account without quota data is given: a fresh week. */
const UNKNOWN = 1 / 168;
/** Below this much left in its 5-hour window an account is progressively held back. */
const FIVE_HOUR_RESERVE = 0.1;

export function urgencyOf(c: Candidates, slot: number, pool: ReturnType<typeof poolOfModel>): number {
  const state = c.snapshot.states[slot];
  if (!state || !pool) return UNKNOWN;
  const windows = windowEntries(state, pool);
  if (windows.length === 0) return UNKNOWN;
  const hoursTo = (resetAt: number | undefined, window: "5h" | "weekly") =>
    Math.max(MIN_HOURS, ((resetAt ?? c.now + (window === "5h" ? 5 : 168) * HOUR) - c.now) / HOUR);
  const weekly = windows.find((w) => w.window === "weekly")?.entry;
  const five = windows.find((w) => w.window === "5h")?.entry;
  // The week is what runs out for good: spend first what its reset would take away.
  let urgency = weekly ? weekly.fraction / hoursTo(weekly.resetAt, "weekly") : (five?.fraction ?? 1) / hoursTo(five?.resetAt, "5h");
  // A nearly empty 5-hour window is about to refuse: leave it until it resets.
  if (five && weekly) urgency *= Math.min(1, five.fraction / FIVE_HOUR_RESERVE);
  return urgency;
}

export const resetAware = defineStrategy({
  name: "reset-aware",
  pick(c, ctx) {
    const pool = poolOfModel(c.model);
    const affinity = ctx.sessionId !== undefined && ctx.affinityId !== undefined && c.rung === 0 ? c.slotOf(ctx.affinityId) : -1;
    const bonus = ctx.tuning.resetAware.affinityBonus;
    const inFlight = ctx.inFlight;
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    const consider = (slot: number) => {
      if (!c.usable(slot)) return;
      let score = urgencyOf(c, slot, pool);
      if (slot === affinity) score += bonus;
      const busy = inFlight?.(c.idOf(slot)) ?? 0;
      score -= busy * ctx.tuning.resetAware.inFlightPenalty;
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
    return best < 0 ? undefined : { slot: best };
  },
});
