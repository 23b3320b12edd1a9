/** Client-side token bucket: throttles one account before upstream has to. */
import type { PoolTuning } from "./tuning.ts";
import type { BucketState } from "./types.ts";

type BucketTuning = PoolTuning["bucket"];

const MINUTE_MS = 60_000;

export function initialBucket(now: number, t: BucketTuning): BucketState {
  return { tokens: Math.min(t.max, t.initial), updatedAt: now };
}

/** Tokens at `now`, with continuous refill since the last change. */
export function tokensAt(b: BucketState, now: number, t: BucketTuning): number {
  const elapsed = Math.max(0, now - b.updatedAt);
  return Math.min(t.max, b.tokens + (elapsed / MINUTE_MS) * t.refillPerMinute);
}

/** First instant one selection's cost is available (−∞ if it already is, +∞ if never). */
export function tokensUsableAt(b: BucketState, t: BucketTuning): number {
  if (b.tokens >= t.cost) return Number.NEGATIVE_INFINITY;
  if (t.refillPerMinute <= 0 || t.max < t.cost) return Number.POSITIVE_INFINITY;
  return b.updatedAt + ((t.cost - b.tokens) / t.refillPerMinute) * MINUTE_MS;
}

/**
 * Takes one selection's cost. The last-resort level may pick an empty bucket; the balance then
 * stops at zero. A debt (it once reached −167 under load) kept the account throttled for many
 * minutes after the burst was over, leaving a few requests a second for the whole instance.
 */
export function consume(b: BucketState, now: number, t: BucketTuning): void {
  b.tokens = Math.max(0, tokensAt(b, now, t) - t.cost);
  b.updatedAt = Math.max(now, b.updatedAt);
}

export function refund(b: BucketState, now: number, t: BucketTuning): void {
  b.tokens = Math.min(t.max, tokensAt(b, now, t) + t.cost);
  b.updatedAt = Math.max(now, b.updatedAt);
}
