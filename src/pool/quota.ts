/** Quota awareness: what upstream says is left per model, and the floors that protect it. */
import type { PoolTuning } from "./tuning.ts";
import type { PoolId, WindowId } from "../google/quota-pools.ts";
import type { AccountState, QuotaEntry, WindowFloors } from "./types.ts";

type QuotaTuning = PoolTuning["quota"];

export interface FloorSettings {
  /** Global floor for every model. */
  globalFloor?: number;
  /** Global per-model floors. */
  modelFloors?: Record<string, number>;
  /** Global floors per pool and window. */
  windowFloors?: WindowFloors;
}

const MAX_FLOOR = 0.99;

function usable(n: number | undefined): n is number {
  return typeof n === "number" && Number.isFinite(n);
}

function clampFloor(f: number): number {
  return Math.min(MAX_FLOOR, Math.max(0, f));
}

/** Floor for (account, model): per-account-per-model → per-account → global per-model → global → default. */
export function resolveFloor(
  account: Pick<AccountState, "floors">,
  model: string,
  settings: FloorSettings,
  t: QuotaTuning,
): number {
  const own = account.floors;
  const candidates = [own?.perModel?.[model], own?.default, settings.modelFloors?.[model], settings.globalFloor];
  for (const f of candidates) if (usable(f)) return clampFloor(f);
  return clampFloor(t.defaultFloor);
}

/** Floor for (account, pool, window): per-account-per-window → per-account → global per-window → global → default. */
export function resolveWindowFloor(
  account: Pick<AccountState, "floors">,
  pool: PoolId,
  window: WindowId,
  settings: FloorSettings,
  t: QuotaTuning,
): number {
  const own = account.floors;
  const candidates = [own?.pools?.[pool]?.[window], own?.default, settings.windowFloors?.[pool]?.[window], settings.globalFloor];
  for (const f of candidates) if (usable(f)) return clampFloor(f);
  return clampFloor(t.defaultFloor);
}

/** An entry past its reset says nothing about now. */
export function liveQuota(entry: QuotaEntry | undefined, now: number): QuotaEntry | undefined {
  if (!entry) return undefined;
  if (entry.resetAt !== undefined && now >= entry.resetAt) return undefined;
  return entry;
}

export function isFresh(entry: QuotaEntry, now: number, t: QuotaTuning): boolean {
  return now - entry.fetchedAt < t.staleAfterMs;
}

/** 0..100: remaining fraction × 100, the unknown score without data, discounted when stale. */
export function quotaScore(entry: QuotaEntry | undefined, now: number, t: QuotaTuning): number {
  const live = liveQuota(entry, now);
  if (!live) return t.unknownScore;
  const score = live.fraction * 100;
  return isFresh(live, now, t) ? score : score * t.staleFactor;
}

/** Fresh data at or below the floor keeps the account out at the normal level. */
export function isBelowFloor(entry: QuotaEntry | undefined, floor: number, now: number, t: QuotaTuning): boolean {
  const live = liveQuota(entry, now);
  return live !== undefined && isFresh(live, now, t) && live.fraction <= floor;
}

/** Until when the floor keeps the account out (the data goes stale, or the quota resets). */
export function belowFloorUntil(entry: QuotaEntry | undefined, floor: number, t: QuotaTuning): number {
  if (!entry || entry.fraction > floor) return Number.NEGATIVE_INFINITY;
  return Math.min(entry.fetchedAt + t.staleAfterMs, entry.resetAt ?? Number.POSITIVE_INFINITY);
}

export function clampFraction(f: number): number {
  if (!Number.isFinite(f)) return 0;
  return Math.min(1, Math.max(0, f));
}
