/**
 * One rung of the fallback ladder for one model at one instant: which accounts qualify, how
 * they score, and the scans strategies are built from. The scans walk the snapshot's columns
 * without allocating, which is what keeps selection fast at thousands of accounts.
 */
import {
  A_HEALTH,
  A_HEALTH_AT,
  A_HEALTH_OK_AT,
  A_LAST_USED,
  A_STRIDE,
  A_TOKENS,
  A_TOKENS_AT,
  A_TOKENS_OK_AT,
  M_FLOOR_UNTIL,
  M_HARD_UNTIL,
  M_QUOTA,
  M_QUOTA_EXPIRES,
  M_STALE_AT,
  M_STRIDE,
  type PoolSnapshot,
} from "./snapshot.ts";

export const LADDER = ["normal", "ignore-floor", "emergency", "last-resort"] as const;
export type LadderLevel = (typeof LADDER)[number];

/** Rung indexes: each rung drops one more soft filter. */
const IGNORES_FLOOR = 1;
const IGNORES_HEALTH = 2;
const IGNORES_BUCKET = 3;

export class Candidates {
  readonly size: number;
  private readonly acc: Float64Array;
  private readonly cols: Float64Array;
  private readonly healthPerMs: number;
  private readonly healthMax: number;
  private readonly tokensPerMs: number;
  private readonly tokensMax: number;
  private readonly wHealth: number;
  private readonly wBucket: number;
  private readonly wQuota: number;
  private readonly wIdlePerMs: number;
  private readonly idleCapMs: number;
  private readonly unknownQuota: number;
  private readonly staleFactor: number;

  constructor(
    readonly snapshot: PoolSnapshot,
    readonly model: string,
    readonly rung: number,
    readonly now: number,
  ) {
    const t = snapshot.tuning;
    const w = t.hybrid.weights;
    this.size = snapshot.size;
    this.acc = snapshot.acc;
    this.cols = snapshot.model(model);
    this.healthPerMs = t.health.recoveryPerHour / 3_600_000;
    this.healthMax = t.health.max;
    this.tokensPerMs = t.bucket.refillPerMinute / 60_000;
    this.tokensMax = t.bucket.max;
    this.wHealth = w.health;
    this.wBucket = t.bucket.max > 0 ? (w.bucket * 100) / t.bucket.max : 0;
    this.wQuota = w.quota;
    this.wIdlePerMs = w.lru / 1000;
    this.idleCapMs = t.hybrid.lruCapSeconds * 1000;
    this.unknownQuota = t.quota.unknownScore;
    this.staleFactor = t.quota.staleFactor;
  }

  get level(): LadderLevel {
    return LADDER[this.rung] ?? "last-resort";
  }

  idOf(slot: number): string {
    return this.snapshot.states[slot]?.id ?? "";
  }

  slotOf(id: string): number {
    return this.snapshot.slotOf(id);
  }

  /** Until when the account is out for this model whatever the rung (+∞: disabled or invalid). */
  hardUntil(slot: number): number {
    return this.cols[slot * M_STRIDE + M_HARD_UNTIL] ?? Number.POSITIVE_INFINITY;
  }

  usable(slot: number): boolean {
    if (slot < 0 || slot >= this.size) return false;
    const now = this.now;
    const mo = slot * M_STRIDE;
    const ao = slot * A_STRIDE;
    const cols = this.cols;
    const acc = this.acc;
    if (cols[mo + M_HARD_UNTIL]! > now) return false;
    if (this.rung < IGNORES_FLOOR && cols[mo + M_FLOOR_UNTIL]! > now) return false;
    if (this.rung < IGNORES_HEALTH && acc[ao + A_HEALTH_OK_AT]! > now) return false;
    if (this.rung < IGNORES_BUCKET && acc[ao + A_TOKENS_OK_AT]! > now) return false;
    return true;
  }

  /** Hybrid score: health·w + (tokens/max·100)·w + quotaScore·w + min(idle s, cap)·w. */
  score(slot: number): number {
    const now = this.now;
    const ao = slot * A_STRIDE;
    const mo = slot * M_STRIDE;
    const acc = this.acc;
    const cols = this.cols;
    let dt = now - acc[ao + A_HEALTH_AT]!;
    let health = acc[ao + A_HEALTH]! + (dt > 0 ? dt : 0) * this.healthPerMs;
    if (health > this.healthMax) health = this.healthMax;
    dt = now - acc[ao + A_TOKENS_AT]!;
    let tokens = acc[ao + A_TOKENS]! + (dt > 0 ? dt : 0) * this.tokensPerMs;
    if (tokens > this.tokensMax) tokens = this.tokensMax;
    let quota: number;
    if (now >= cols[mo + M_QUOTA_EXPIRES]!) quota = this.unknownQuota;
    else {
      quota = cols[mo + M_QUOTA]!;
      if (now >= cols[mo + M_STALE_AT]!) quota *= this.staleFactor;
    }
    let idle = now - acc[ao + A_LAST_USED]!;
    if (idle > this.idleCapMs) idle = this.idleCapMs;
    else if (idle < 0) idle = 0;
    return health * this.wHealth + tokens * this.wBucket + quota * this.wQuota + idle * this.wIdlePerMs;
  }

  /**
   * Highest-scoring usable slot, or −1. Scanning starts at `start` and wraps, so ties go to the
   * first slot after it: a random start spreads ties across instances. `preferSlot` gets `bonus`.
   */
  best(start: number, preferSlot = -1, bonus = 0): number {
    const n = this.size;
    if (n === 0) return -1;
    const from = start > 0 && start < n ? start : 0;
    let bestSlot = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < n; k++) {
      let slot = from + k;
      if (slot >= n) slot -= n;
      if (!this.usable(slot)) continue;
      let s = this.score(slot);
      if (slot === preferSlot) s += bonus;
      if (s > bestScore) {
        bestScore = s;
        bestSlot = slot;
      }
    }
    return bestSlot;
  }

  /** First usable slot at or after `from`, wrapping; −1 if none. */
  next(from: number): number {
    const n = this.size;
    if (n === 0) return -1;
    const start = from > 0 ? from % n : 0;
    for (let k = 0; k < n; k++) {
      let slot = start + k;
      if (slot >= n) slot -= n;
      if (this.usable(slot)) return slot;
    }
    return -1;
  }

  /** Usable slots on this rung (explain and tests only: it walks the whole pool). */
  count(): number {
    let c = 0;
    for (let slot = 0; slot < this.size; slot++) if (this.usable(slot)) c++;
    return c;
  }
}
