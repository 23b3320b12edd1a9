import { createPool, type PoolOptions } from "../../src/pool/pool.ts";
import { DEFAULT_TUNING } from "../../src/pool/tuning.ts";
import { UpstreamError, type UpstreamErrorInit } from "../../src/upstream/errors.ts";

export const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
export const MODEL = "claude-sonnet-4-5";
/** Where quota cooldowns of MODEL live: its pool's record, shared by every Claude model. */
export const POOL_KEY = "pool:claude";
export const tuning = DEFAULT_TUNING;

export function fakeClock(start = T0) {
  let t = start;
  const clock = () => t;
  clock.advance = (ms: number) => {
    t += ms;
  };
  clock.set = (ms: number) => {
    t = ms;
  };
  return clock;
}

export function ids(n: number, prefix = "acct"): Array<{ id: string }> {
  return Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i + 1}` }));
}

export function makePool(n: number, extra: Partial<PoolOptions> = {}) {
  const clock = fakeClock();
  const pool = createPool({ accounts: ids(n), now: clock, random: () => 0, ...extra });
  return { pool, clock };
}

export function upstreamError(kind: UpstreamErrorInit["kind"], extra: Partial<UpstreamErrorInit> = {}) {
  return new UpstreamError({ kind, message: `${kind} for test`, ...extra });
}
