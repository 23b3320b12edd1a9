/**
 * The pool as selection reads it: the account states plus numeric columns derived from them.
 * Selection at 10,000 accounts has a budget of microseconds, so everything that does not change
 * with time alone (gates as "excluded until" instants, floors resolved per model, quota scores)
 * is computed when an account changes, not when it is read. The states stay the only truth:
 * after mutating one, call `touch(id)`.
 */
import { healthUsableAt } from "./health.ts";
import { tokensUsableAt } from "./bucket.ts";
import { poolOfModel, WINDOW_IDS } from "../google/quota-pools.ts";
import { belowFloorUntil, resolveFloor, resolveWindowFloor, type FloorSettings } from "./quota.ts";
import type { PoolTuning } from "./tuning.ts";
import type { AccountState, QuotaEntry } from "./types.ts";
import { poolKey, WINDOW_KEYS } from "./windows.ts";

/** Per-account columns (model independent). */
export const A_HEALTH = 0;
export const A_HEALTH_AT = 1;
export const A_HEALTH_OK_AT = 2;
export const A_TOKENS = 3;
export const A_TOKENS_AT = 4;
export const A_TOKENS_OK_AT = 5;
export const A_LAST_USED = 6;
export const A_STRIDE = 8;

/** Per-(account, model) columns. */
export const M_HARD_UNTIL = 0; // disabled/invalid (+∞) or cooled for the model or its pool
export const M_FLOOR_UNTIL = 1; // the model or a window of its pool at or below its floor, while the data is fresh
export const M_QUOTA = 2; // quota score while fresh: the tightest of the model's value and its pool's windows
export const M_STALE_AT = 3;
export const M_QUOTA_EXPIRES = 4; // quota reset: the score is unknown after it
export const M_STRIDE = 5;

/**
 * Hybrid selection keeps, per model, a summary of each block of BLOCK slots so whole blocks can be
 * ruled out by an upper bound on their best score (see Candidates.best). A block is refreshed
 * whenever it is scanned; changing an account marks its block stale.
 */
export const BLOCK = 64;
export const B_MAX_SCORE = 0; // best usable score in the block at B_AT
export const B_AT = 1;
export const B_CAP = 2; // no usable account can score above this before it changes
export const B_VALID_UNTIL = 3; // an account joins the usable set or a quota resets: summary void from then
export const B_STRIDE = 4;

export interface ModelColumns {
  cols: Float64Array;
  blocks: Float64Array;
}

/** Strategy memory that outlives one selection. */
export interface RoutingMemory {
  /** Round-robin: the slot to try first next time. */
  cursor: number;
  /** Session (or "" for session-less sticky) → account id, oldest first. */
  affinity: Map<string, string>;
}

/** Models with derived columns; beyond this the least recently added is dropped (rebuilt on use). */
export const MAX_MODEL_COLUMNS = 64;

/** Sessions remembered for affinity; the oldest is forgotten beyond this. */
export const MAX_AFFINITIES = 10_000;

export interface SnapshotSettings extends FloorSettings {
  tuning: PoolTuning;
}

export class PoolSnapshot {
  readonly states: AccountState[] = [];
  readonly routing: RoutingMemory = { cursor: 0, affinity: new Map() };
  tuning: PoolTuning;
  globalFloor: number | undefined;
  modelFloors: Record<string, number> | undefined;
  windowFloors: FloorSettings["windowFloors"];
  acc: Float64Array = new Float64Array(0);
  private readonly slots = new Map<string, number>();
  private readonly models = new Map<string, ModelColumns>();
  private capacity = 0;

  constructor(states: readonly AccountState[], settings: SnapshotSettings) {
    this.tuning = settings.tuning;
    this.globalFloor = settings.globalFloor;
    this.modelFloors = settings.modelFloors;
    this.windowFloors = settings.windowFloors;
    this.grow(Math.max(8, states.length));
    for (const s of states) this.add(s);
  }

  get size(): number {
    return this.states.length;
  }

  slotOf(id: string): number {
    return this.slots.get(id) ?? -1;
  }

  get(id: string): AccountState | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.states[slot];
  }

  /** Re-derives columns if tuning or floors differ from what they were built with. */
  configure(settings: SnapshotSettings): void {
    if (
      settings.tuning === this.tuning &&
      settings.globalFloor === this.globalFloor &&
      settings.modelFloors === this.modelFloors &&
      settings.windowFloors === this.windowFloors
    ) return;
    this.tuning = settings.tuning;
    this.globalFloor = settings.globalFloor;
    this.modelFloors = settings.modelFloors;
    this.windowFloors = settings.windowFloors;
    this.models.clear();
    for (let i = 0; i < this.states.length; i++) this.writeAccount(i);
  }

  add(state: AccountState): number {
    if (this.slots.has(state.id)) throw new Error(`account ${state.id} is already in the pool`);
    if (this.states.length === this.capacity) this.grow(this.capacity * 2);
    const slot = this.states.length;
    this.states.push(state);
    this.slots.set(state.id, slot);
    this.touchSlot(slot);
    return slot;
  }

  remove(id: string): boolean {
    const slot = this.slots.get(id);
    if (slot === undefined) return false;
    this.states.splice(slot, 1);
    this.slots.clear();
    this.states.forEach((s, i) => this.slots.set(s.id, i));
    this.acc.copyWithin(slot * A_STRIDE, (slot + 1) * A_STRIDE);
    for (const m of this.models.values()) {
      m.cols.copyWithin(slot * M_STRIDE, (slot + 1) * M_STRIDE);
      m.blocks.fill(Number.NEGATIVE_INFINITY); // every later block shifted
    }
    if (this.routing.cursor > slot) this.routing.cursor -= 1;
    for (const [key, accountId] of this.routing.affinity) if (accountId === id) this.routing.affinity.delete(key);
    return true;
  }

  /** Replaces an account's state object (e.g. after load) and re-derives its columns. */
  replace(state: AccountState): void {
    const slot = this.slots.get(state.id);
    if (slot === undefined) throw new Error(`account ${state.id} is not in the pool`);
    this.states[slot] = state;
    this.touchSlot(slot);
  }

  /** Call after mutating an account's state. */
  touch(id: string): void {
    const slot = this.slots.get(id);
    if (slot !== undefined) this.touchSlot(slot);
  }

  touchSlot(slot: number): void {
    this.writeAccount(slot);
    const block = Math.floor(slot / BLOCK) * B_STRIDE;
    for (const [model, m] of this.models) {
      this.writeModel(m.cols, slot, model);
      m.blocks[block + B_VALID_UNTIL] = Number.NEGATIVE_INFINITY;
    }
  }

  /** Columns for one model, derived on first use. */
  model(model: string): Float64Array {
    return this.columns(model).cols;
  }

  columns(model: string): ModelColumns {
    let m = this.models.get(model);
    if (!m) {
      // Model names come from clients: never let them grow memory without bound.
      if (this.models.size >= MAX_MODEL_COLUMNS) {
        const oldest = this.models.keys().next();
        if (!oldest.done) this.models.delete(oldest.value);
      }
      m = { cols: new Float64Array(this.capacity * M_STRIDE), blocks: this.newBlocks(this.capacity) };
      for (let i = 0; i < this.states.length; i++) this.writeModel(m.cols, i, model);
      this.models.set(model, m);
    }
    return m;
  }

  private newBlocks(capacity: number): Float64Array {
    // Every summary starts stale: B_VALID_UNTIL = −∞.
    return new Float64Array(Math.ceil(capacity / BLOCK) * B_STRIDE).fill(Number.NEGATIVE_INFINITY);
  }

  floorFor(state: AccountState, model: string): number {
    return resolveFloor(state, model, this, this.tuning.quota);
  }

  remember(sessionKey: string, accountId: string): void {
    const affinity = this.routing.affinity;
    if (affinity.get(sessionKey) === accountId) return;
    affinity.delete(sessionKey);
    affinity.set(sessionKey, accountId);
    if (affinity.size > MAX_AFFINITIES) {
      const oldest = affinity.keys().next();
      if (!oldest.done) affinity.delete(oldest.value);
    }
  }

  private grow(capacity: number): void {
    const acc = new Float64Array(capacity * A_STRIDE);
    acc.set(this.acc);
    this.acc = acc;
    for (const m of this.models.values()) {
      const next = new Float64Array(capacity * M_STRIDE);
      next.set(m.cols);
      m.cols = next;
      m.blocks = this.newBlocks(capacity);
    }
    this.capacity = capacity;
  }

  private writeAccount(slot: number): void {
    const s = this.states[slot];
    if (!s) return;
    const t = this.tuning;
    const o = slot * A_STRIDE;
    const acc = this.acc;
    acc[o + A_HEALTH] = s.health.score;
    acc[o + A_HEALTH_AT] = s.health.updatedAt;
    acc[o + A_HEALTH_OK_AT] = healthUsableAt(s.health, t.health);
    acc[o + A_TOKENS] = s.bucket.tokens;
    acc[o + A_TOKENS_AT] = s.bucket.updatedAt;
    acc[o + A_TOKENS_OK_AT] = tokensUsableAt(s.bucket, t.bucket);
    acc[o + A_LAST_USED] = s.lastUsedAt;
  }

  private writeModel(cols: Float64Array, slot: number, model: string): void {
    const s = this.states[slot];
    if (!s) return;
    const t = this.tuning.quota;
    const o = slot * M_STRIDE;
    const blocked = !s.enabled || s.invalid !== undefined;
    const pool = poolOfModel(model);
    const modelUntil = s.cooldowns[model]?.until ?? Number.NEGATIVE_INFINITY;
    const poolUntil = pool ? (s.cooldowns[poolKey(pool)]?.until ?? Number.NEGATIVE_INFINITY) : Number.NEGATIVE_INFINITY;
    cols[o + M_HARD_UNTIL] = blocked ? Number.POSITIVE_INFINITY : Math.max(modelUntil, poolUntil);
    const q = s.quota[model];
    let floorUntil = belowFloorUntil(q, this.floorFor(s, model), t);
    // Hybrid scores the tightest limit: the model's own value or either window of its pool.
    let tightest: QuotaEntry | undefined = q;
    if (pool) {
      for (const window of WINDOW_IDS) {
        const w = s.quota[WINDOW_KEYS[pool][window]];
        if (!w) continue;
        const until = belowFloorUntil(w, resolveWindowFloor(s, pool, window, this, t), t);
        if (until > floorUntil) floorUntil = until;
        if (!tightest || w.fraction < tightest.fraction) tightest = w;
      }
    }
    cols[o + M_FLOOR_UNTIL] = floorUntil;
    cols[o + M_QUOTA] = tightest ? tightest.fraction * 100 : t.unknownScore;
    cols[o + M_STALE_AT] = tightest ? tightest.fetchedAt + t.staleAfterMs : Number.POSITIVE_INFINITY;
    cols[o + M_QUOTA_EXPIRES] = tightest?.resetAt ?? Number.POSITIVE_INFINITY;
  }
}
