/**
 * The fast selection path (columns, block bounds) must choose exactly what a plain reading of
 * the rules over the account states would: this drives a large pool through random changes and
 * time jumps and checks every hybrid pick against a brute-force argmax built from the pure helpers.
 */
import { expect, test } from "bun:test";
import { tokensAt } from "../../src/pool/bucket.ts";
import { activeCooldown } from "../../src/pool/cooldown.ts";
import { healthAt } from "../../src/pool/health.ts";
import { createPool } from "../../src/pool/pool.ts";
import { isBelowFloor, quotaScore, resolveFloor } from "../../src/pool/quota.ts";
import type { AccountState } from "../../src/pool/types.ts";
import type { UpstreamErrorKind } from "../../src/upstream/errors.ts";
import { fakeClock, ids, T0, tuning, upstreamError } from "./helpers.ts";

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = ["m-a", "m-b"];
const floors = { globalFloor: 0.1, modelFloors: { "m-b": 0.2 } };

function normalUsable(s: AccountState, model: string, now: number): boolean {
  if (!s.enabled || s.invalid || activeCooldown(s, model, now)) return false;
  if (isBelowFloor(s.quota[model], resolveFloor(s, model, floors, tuning.quota), now, tuning.quota)) return false;
  if (healthAt(s.health, now, tuning.health) < tuning.health.minUsable) return false;
  return tokensAt(s.bucket, now, tuning.bucket) >= tuning.bucket.cost;
}

function score(s: AccountState, model: string, now: number): number {
  const w = tuning.hybrid.weights;
  const health = Math.min(healthAt(s.health, now, tuning.health), tuning.health.initial);
  const tokens = tokensAt(s.bucket, now, tuning.bucket);
  const idle = Math.min(Math.max(0, now - s.lastUsedAt) / 1000, tuning.hybrid.lruCapSeconds);
  return health * w.health + (tokens / tuning.bucket.max) * 100 * w.bucket + quotaScore(s.quota[model], now, tuning.quota) * w.quota + idle * w.lru;
}

test("hybrid's fast argmax equals a brute-force one through 3,000 random steps on 300 accounts", () => {
  const rnd = prng(42);
  const clock = fakeClock(T0);
  const pool = createPool({ accounts: ids(300), now: clock, random: prng(7), ...floors });
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const kinds: UpstreamErrorKind[] = ["quota_exhausted", "rate_limited", "capacity", "server", "network", "banned"];
  let checked = 0;
  let fellBack = 0;

  for (let step = 0; step < 3_000; step++) {
    const r = rnd();
    clock.advance(r < 0.02 ? rnd() * 3 * 3_600_000 : rnd() * 5_000);
    const id = `acct-${1 + Math.floor(rnd() * 300)}`;
    const model = pick(MODELS);
    const action = rnd();
    if (action < 0.05) pool.reportFailure(id, model, upstreamError(pick(kinds), { status: 429 }));
    else if (action < 0.1) pool.setQuota(id, { [model]: { fraction: rnd() < 0.3 ? rnd() * 0.25 : rnd(), resetAt: clock() + rnd() * 3_600_000 } });
    else if (action < 0.12) pool.setEnabled(id, rnd() < 0.5);
    else if (action < 0.13) pool.resetAccount(id);
    else if (action < 0.2) for (let k = 0; k < 40; k++) pool.consumeToken(id);

    const sel = pool.select(model);
    const now = clock();
    const states = pool.snapshot();
    let best = Number.NEGATIVE_INFINITY;
    for (const s of states) if (normalUsable(s, model, now)) best = Math.max(best, score(s, model, now));

    if (best === Number.NEGATIVE_INFINITY) {
      // Nothing qualifies at the normal level: the pool must have fallen back or failed.
      expect(sel.ok ? sel.level : "none").not.toBe("normal");
      fellBack++;
    } else {
      if (!sel.ok) throw new Error(`step ${step}: pool found nothing, brute force found ${best}`);
      expect(sel.level).toBe("normal");
      const chosen = states.find((s) => s.id === sel.accountId)!;
      expect(normalUsable(chosen, model, now)).toBe(true);
      expect(score(chosen, model, now)).toBeCloseTo(best, 6);
      checked++;
    }
    if (sel.ok && rnd() < 0.7) pool.consumeToken(sel.accountId);
  }
  // The run must have exercised the fast path a lot (a failing generator would make this vacuous).
  expect(checked).toBeGreaterThan(2_500);
  expect(fellBack + checked).toBe(3_000);
});

test("a quota reset that lifts a whole block's scores is noticed even though nothing changed", () => {
  const clock = fakeClock(T0);
  const pool = createPool({ accounts: ids(128), now: clock, random: () => 0, globalFloor: 0.01 });
  for (let i = 1; i <= 128; i++) {
    // Slots 0–63 hold 40 % for hours; slots 64–127 hold 2 % until a reset one minute from now.
    const q = i <= 64 ? { fraction: 0.4, resetAt: T0 + 5 * 3_600_000 } : { fraction: 0.02, resetAt: T0 + 60_000 };
    pool.setQuota(`acct-${i}`, { "m-a": q });
  }
  expect(pool.select("m-a")).toMatchObject({ ok: true, accountId: "acct-1" });
  clock.advance(60_000);
  // After the reset their quota is unknown (score 50), which beats 40 %.
  expect(pool.select("m-a")).toMatchObject({ ok: true, accountId: "acct-65" });
});

test("accounts whose cooldown ends rejoin a block's summary without any change to them", () => {
  const clock = fakeClock(T0);
  const pool = createPool({ accounts: ids(128), now: clock, random: () => 0 });
  for (let i = 1; i <= 128; i++) pool.setQuota(`acct-${i}`, { "m-a": { fraction: i <= 64 ? 0.4 : 0.9 } });
  for (let i = 65; i <= 128; i++) {
    pool.reportFailure(`acct-${i}`, "m-a", upstreamError("rate_limited", { status: 429, resetAt: T0 + 60_000 }));
  }
  expect(pool.select("m-a")).toMatchObject({ ok: true, accountId: "acct-1" });
  clock.advance(60_000);
  expect(pool.select("m-a")).toMatchObject({ ok: true, accountId: "acct-65" });
});
