/** Health: a 0..100 score that failures lower and time slowly restores. */
import type { PoolTuning } from "./tuning.ts";
import type { HealthState } from "./types.ts";

type HealthTuning = PoolTuning["health"];

const HOUR_MS = 3_600_000;

function clamp(score: number, t: HealthTuning): number {
  return Math.min(t.max, Math.max(t.min, score));
}

export function initialHealth(now: number, t: HealthTuning): HealthState {
  return { score: clamp(t.initial, t), updatedAt: now };
}

/** Score at `now`, with recovery since the last change. */
export function healthAt(h: HealthState, now: number, t: HealthTuning): number {
  const elapsed = Math.max(0, now - h.updatedAt);
  return clamp(h.score + (elapsed / HOUR_MS) * t.recoveryPerHour, t);
}

/** First instant the score reaches `minUsable` (−∞ if it already has, +∞ if it never will). */
export function healthUsableAt(h: HealthState, t: HealthTuning): number {
  if (h.score >= t.minUsable) return Number.NEGATIVE_INFINITY;
  if (t.recoveryPerHour <= 0 || t.max < t.minUsable) return Number.POSITIVE_INFINITY;
  return h.updatedAt + ((t.minUsable - h.score) / t.recoveryPerHour) * HOUR_MS;
}

/** Folds recovery in, then applies `delta`. Mutates `h`. */
export function adjustHealth(h: HealthState, delta: number, now: number, t: HealthTuning): void {
  h.score = clamp(healthAt(h, now, t) + delta, t);
  h.updatedAt = Math.max(now, h.updatedAt);
}
