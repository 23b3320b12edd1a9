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
  BLOCK,
  B_AT,
  B_CAP,
  B_MAX_SCORE,
  B_STRIDE,
  B_VALID_UNTIL,
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
  private readonly blocks: Float64Array;
  /** Fastest any score can rise while nothing changes. */
  private readonly maxRisePerMs: number;
  /** Score with health, tokens and idle time saturated and no quota. */
  private readonly capBase: number;
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
  /** Running best of a block-wise scan (fields, so scanning allocates nothing). */
  private runSlot = -1;
  private runScore = Number.NEGATIVE_INFINITY;

  constructor(
    readonly snapshot: PoolSnapshot,
    readonly model: string,
    readonly rung: number,
    readonly now: number,
    /** Slots that cannot serve this request at all (e.g. the model is not in their catalog); null: none. */
    private readonly excluded: Uint8Array | null = null,
  ) {
    const t = snapshot.tuning;
    const w = t.hybrid.weights;
    this.size = snapshot.size;
    this.acc = snapshot.acc;
    const columns = snapshot.columns(model);
    this.cols = columns.cols;
    this.blocks = columns.blocks;
    this.healthPerMs = t.health.recoveryPerHour / 3_600_000;
    // Health counts only up to its starting value: otherwise every success makes the busiest
    // account more attractive still, and one account drains while the others idle.
    this.healthMax = Math.min(t.health.max, t.health.initial);
    this.tokensPerMs = t.bucket.refillPerMinute / 60_000;
    this.tokensMax = t.bucket.max;
    this.wHealth = w.health;
    this.wBucket = t.bucket.max > 0 ? (w.bucket * 100) / t.bucket.max : 0;
    this.wQuota = w.quota;
    this.wIdlePerMs = w.lru / 1000;
    this.idleCapMs = t.hybrid.lruCapSeconds * 1000;
    this.unknownQuota = t.quota.unknownScore;
    this.staleFactor = t.quota.staleFactor;
    this.maxRisePerMs = this.healthPerMs * this.wHealth + this.tokensPerMs * this.wBucket + this.wIdlePerMs;
    this.capBase = this.healthMax * this.wHealth + this.tokensMax * this.wBucket + this.idleCapMs * this.wIdlePerMs;
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
    if (this.excluded?.[slot]) return Number.POSITIVE_INFINITY;
    return this.cols[slot * M_STRIDE + M_HARD_UNTIL] ?? Number.POSITIVE_INFINITY;
  }

  /** Usable on this rung: nothing hard keeps it out, and neither do the soft filters the rung still applies. */
  usable(slot: number): boolean {
    if (!this.usableButForFloor(slot)) return false;
    return this.rung >= IGNORES_FLOOR || this.cols[slot * M_STRIDE + M_FLOOR_UNTIL]! <= this.now;
  }

  /** Usable on this rung if the quota floor did not apply (it holds the account for a window its strategy may judge spendable). */
  usableButForFloor(slot: number): boolean {
    if (slot < 0 || slot >= this.size || this.excluded?.[slot]) return false;
    const now = this.now;
    const mo = slot * M_STRIDE;
    const ao = slot * A_STRIDE;
    if (this.cols[mo + M_HARD_UNTIL]! > now) return false;
    if (this.rung < IGNORES_HEALTH && this.acc[ao + A_HEALTH_OK_AT]! > now) return false;
    if (this.rung < IGNORES_BUCKET && this.acc[ao + A_TOKENS_OK_AT]! > now) return false;
    return true;
  }

  /** Hybrid score: min(health, initial)·w + (tokens/max·100)·w + quotaScore·w + min(idle s, cap)·w. */
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
   * Highest-scoring usable slot, or −1. The result is the same as scanning every slot in order
   * from `start` (wrapping) and keeping the first maximum, so a random start spreads ties across
   * instances. `preferSlot`, when usable, competes with `bonus` added.
   */
  best(start: number, preferSlot = -1, bonus = 0): number {
    const n = this.size;
    if (n === 0) return -1;
    let bestSlot = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    if (preferSlot >= 0 && this.usable(preferSlot)) {
      bestSlot = preferSlot;
      bestScore = this.score(preferSlot) + bonus;
    }
    // Block summaries hold for every request on this model; a filtered scan must neither use nor overwrite them.
    if (this.rung === 0 && !this.excluded) return this.bestByBlocks(start, bestSlot, bestScore);
    const from = start > 0 && start < n ? start : 0;
    for (let k = 0; k < n; k++) {
      let slot = from + k;
      if (slot >= n) slot -= n;
      if (!this.usable(slot)) continue;
      const s = this.score(slot);
      if (s > bestScore) {
        bestScore = s;
        bestSlot = slot;
      }
    }
    return bestSlot;
  }

  /**
   * Normal-level argmax without visiting every slot. Between changes an account's score only
   * rises, by at most `maxRisePerMs`, and never above its cap (health, tokens and idle time all
   * saturate; quota only falls until it resets). So a block whose bound — min(cap, best score
   * when last scanned + rise since) — cannot beat the best so far is skipped. Changes, accounts
   * becoming usable and quota resets void a block's summary; scanning a block refreshes it.
   *
   * The block with the highest bound is scanned first: its best score is a floor for the answer,
   * so the in-order pass that follows (which decides ties exactly like a plain scan) skips almost
   * everything else.
   */
  private bestByBlocks(start: number, bestSlotIn: number, bestScoreIn: number): number {
    const n = this.size;
    const nBlocks = Math.ceil(n / BLOCK);
    let top = -1;
    let topBound = Number.NEGATIVE_INFINITY;
    for (let b = 0; b < nBlocks; b++) {
      const bound = this.boundOf(b);
      if (bound !== Number.POSITIVE_INFINITY && bound > topBound) {
        topBound = bound;
        top = b;
      }
    }
    let floor = Number.NEGATIVE_INFINITY;
    if (top >= 0) {
      this.runSlot = -1;
      this.runScore = Number.NEGATIVE_INFINITY;
      floor = this.scanBlock(top);
    }
    this.runSlot = bestSlotIn;
    this.runScore = bestScoreIn;
    const firstBlock = start > 0 && start < n ? Math.floor(start / BLOCK) : 0;
    for (let k = 0; k < nBlocks; k++) {
      let b = firstBlock + k;
      if (b >= nBlocks) b -= nBlocks;
      const bound = this.boundOf(b);
      if (bound < floor || bound <= this.runScore) continue;
      this.scanBlock(b);
    }
    return this.runSlot;
  }

  /** Best score block `b` could reach now (+∞ when its summary is void, −∞ when nothing in it is usable). */
  private boundOf(b: number): number {
    const blocks = this.blocks;
    const bo = b * B_STRIDE;
    const at = blocks[bo + B_AT]!;
    const now = this.now;
    if (now < at || now >= blocks[bo + B_VALID_UNTIL]!) return Number.POSITIVE_INFINITY;
    const bound = blocks[bo + B_MAX_SCORE]! + this.maxRisePerMs * (now - at);
    const cap = blocks[bo + B_CAP]!;
    return cap < bound ? cap : bound;
  }

  /** Scores every usable slot of block `b`, refreshes its summary, folds it into the running best; returns its max. */
  private scanBlock(b: number): number {
    const now = this.now;
    const cols = this.cols;
    const acc = this.acc;
    const capBase = this.capBase;
    const wQuota = this.wQuota;
    let blockMax = Number.NEGATIVE_INFINITY;
    let blockCap = Number.NEGATIVE_INFINITY;
    let validUntil = Number.POSITIVE_INFINITY;
    let runSlot = this.runSlot;
    let runScore = this.runScore;
    const lo = b * BLOCK;
    const hi = lo + BLOCK < this.size ? lo + BLOCK : this.size;
    for (let slot = lo; slot < hi; slot++) {
      const mo = slot * M_STRIDE;
      const ao = slot * A_STRIDE;
      let release = cols[mo + M_HARD_UNTIL]!;
      const floorUntil = cols[mo + M_FLOOR_UNTIL]!;
      if (floorUntil > release) release = floorUntil;
      const healthOk = acc[ao + A_HEALTH_OK_AT]!;
      if (healthOk > release) release = healthOk;
      const tokensOk = acc[ao + A_TOKENS_OK_AT]!;
      if (tokensOk > release) release = tokensOk;
      if (release > now) {
        if (release < validUntil) validUntil = release;
        continue;
      }
      const expires = cols[mo + M_QUOTA_EXPIRES]!;
      if (expires > now && expires < validUntil) validUntil = expires;
      const cap = capBase + wQuota * cols[mo + M_QUOTA]!;
      if (cap > blockCap) blockCap = cap;
      const s = this.score(slot);
      if (s > blockMax) blockMax = s;
      if (s > runScore) {
        runScore = s;
        runSlot = slot;
      }
    }
    this.runSlot = runSlot;
    this.runScore = runScore;
    const bo = b * B_STRIDE;
    const blocks = this.blocks;
    blocks[bo + B_MAX_SCORE] = blockMax;
    blocks[bo + B_AT] = now;
    blocks[bo + B_CAP] = blockCap;
    blocks[bo + B_VALID_UNTIL] = validUntil;
    return blockMax;
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

  /**
   * The first rung on which some account is usable (LADDER.length when only hard limits are
   * left), found in one pass so a failed normal level does not cost one scan per rung.
   */
  lowestUsableRung(): number {
    const now = this.now;
    const cols = this.cols;
    const acc = this.acc;
    let lowest: number = LADDER.length;
    for (let slot = 0; slot < this.size; slot++) {
      const mo = slot * M_STRIDE;
      if (cols[mo + M_HARD_UNTIL]! > now || this.excluded?.[slot]) continue;
      const ao = slot * A_STRIDE;
      const rung =
        acc[ao + A_TOKENS_OK_AT]! > now
          ? IGNORES_BUCKET
          : acc[ao + A_HEALTH_OK_AT]! > now
            ? IGNORES_HEALTH
            : cols[mo + M_FLOOR_UNTIL]! > now
              ? IGNORES_FLOOR
              : 0;
      if (rung < lowest) lowest = rung;
      if (lowest === 0) break;
    }
    return lowest;
  }

  /** Usable slots on this rung (explain and tests only: it walks the whole pool). */
  count(): number {
    let c = 0;
    for (let slot = 0; slot < this.size; slot++) if (this.usable(slot)) c++;
    return c;
  }
}
