import { describe, expect, test } from "bun:test";
import { createPool } from "../../src/pool/pool.ts";
import { DEFAULT_TUNING } from "../../src/pool/tuning.ts";
import { applyDelta, diffState } from "../../src/state/delta.ts";
import { dropExpired, MAX_COOLDOWN_MS } from "../../src/state/expiry.ts";
import { fakeClock, MODEL, POOL_KEY, upstreamError } from "../pool/helpers.ts";

const OTHER = "gemini-3-pro-high";

/** Two instances' views of the same account, starting equal. */
function twoViews() {
  const clock = fakeClock();
  const mk = () => createPool({ accounts: [{ id: "a" }], now: clock, random: () => 0 });
  const a = mk();
  const b = mk();
  b.applyRemote(a.stateOf("a"));
  return { a, b, clock, base: a.stateOf("a")! };
}

describe("account deltas", () => {
  test("nothing changed → no delta; from nothing → everything", () => {
    const { a, base } = twoViews();
    expect(diffState(base, a.stateOf("a")!)).toBeUndefined();
    const full = diffState(undefined, base)!;
    expect(full.enabled).toBe(true);
    expect(full.health).toEqual(base.health);
    expect(full.quota).toEqual({});
  });

  test("limits on different pools and models at the same moment all survive the exchange", () => {
    const { a, b, clock, base } = twoViews();
    a.reportFailure("a", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: clock() + 60_000 }));
    b.reportFailure("a", OTHER, upstreamError("quota_exhausted", { status: 429, resetAt: clock() + 90_000 }));
    b.reportFailure("a", MODEL, upstreamError("rate_limited", { status: 429, resetAt: clock() + 20_000 }));
    const fromA = diffState(base, a.stateOf("a")!)!;
    const fromB = diffState(base, b.stateOf("a")!)!;
    expect(Object.keys(fromA.cooldowns!)).toEqual([POOL_KEY]);
    b.applyRemote(applyDelta(b.stateOf("a")!, fromA));
    a.applyRemote(applyDelta(a.stateOf("a")!, fromB));
    for (const p of [a, b]) {
      const view = p.account("a")!;
      expect(view.pools.claude?.until).toBe(clock() + 60_000);
      expect(view.pools.gemini?.until).toBe(clock() + 90_000);
      expect(view.cooldowns[MODEL]?.until).toBe(clock() + 20_000);
    }
  });

  test("a reset spreads: removed cooldowns and a cleared invalid flag travel as nulls", () => {
    const { a, b, clock } = twoViews();
    a.reportFailure("a", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: clock() + 60_000 }));
    a.reportFailure("a", MODEL, upstreamError("auth_revoked"));
    b.applyRemote(applyDelta(b.stateOf("a")!, diffState(undefined, a.stateOf("a")!)!));
    expect(b.account("a")!.status).toBe("invalid");
    const before = a.stateOf("a")!;
    a.resetAccount("a");
    const d = diffState(before, a.stateOf("a")!)!;
    expect(d.invalid).toBeNull();
    expect(d.cooldowns).toEqual({ [POOL_KEY]: null });
    b.applyRemote(applyDelta(b.stateOf("a")!, d));
    expect(b.account("a")!.status).toBe("available");
    expect(b.account("a")!.pools.claude).toEqual({ status: "available" });
  });

  test("health: the later reading wins; lastUsedAt only moves forward", () => {
    const { base } = twoViews();
    const later = { ...base, health: { score: 40, updatedAt: base.health.updatedAt + 10 }, lastUsedAt: 5 };
    const local = { ...base, health: { score: 90, updatedAt: base.health.updatedAt + 20 }, lastUsedAt: 9 };
    const merged = applyDelta(local, diffState(base, later)!);
    expect(merged.health.score).toBe(90);
    expect(merged.lastUsedAt).toBe(9);
    const merged2 = applyDelta(base, diffState(base, later)!);
    expect(merged2.health.score).toBe(40);
    expect(merged2.lastUsedAt).toBe(5);
  });

  test("the token bucket is never part of a delta", () => {
    const { a, base } = twoViews();
    a.consumeToken("a");
    const d = diffState(base, a.stateOf("a")!)!;
    expect(d).not.toHaveProperty("bucket");
    expect(d.lastUsedAt).toBeGreaterThan(0);
  });
});

describe("expiry of restored facts", () => {
  test("cooldowns stay while they still count for escalation, quota entries until their reset", () => {
    const { a, clock } = twoViews();
    a.reportFailure("a", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: clock() + 60_000 }));
    a.setQuota("a", { [MODEL]: { fraction: 0.5, resetAt: clock() + 30_000 }, [OTHER]: { fraction: 0.9 } });
    const s = a.stateOf("a")!;
    const memory = DEFAULT_TUNING.backoff.quotaExhaustedMs.at(-1)!;

    const soon = dropExpired(s, clock() + 10_000, DEFAULT_TUNING).state;
    expect(Object.keys(soon.cooldowns)).toEqual([POOL_KEY]);
    expect(Object.keys(soon.quota).sort()).toEqual([MODEL, OTHER].sort());

    const afterReset = dropExpired(s, clock() + 30_000, DEFAULT_TUNING).state;
    expect(Object.keys(afterReset.quota)).toEqual([OTHER]); // MODEL's quota reset: unknown now
    expect(Object.keys(afterReset.cooldowns)).toEqual([POOL_KEY]);

    const forgotten = dropExpired(s, clock() + 60_000 + memory, DEFAULT_TUNING).state;
    expect(forgotten.cooldowns).toEqual({});
    expect(s.cooldowns[POOL_KEY]).toBeDefined(); // input untouched
  });

  test("a cooldown ending implausibly far ahead is dropped and named", () => {
    const { a, clock } = twoViews();
    const s = a.stateOf("a")!;
    s.cooldowns[MODEL] = { until: clock() + MAX_COOLDOWN_MS + 1, reason: "quota_exhausted", hits: 1, since: clock(), last429At: clock() };
    s.cooldowns[OTHER] = { until: clock() + 1000, reason: "rate_limited", hits: 0, since: clock(), last429At: clock() };
    const r = dropExpired(s, clock(), DEFAULT_TUNING);
    expect(r.implausible).toEqual([MODEL]);
    expect(Object.keys(r.state.cooldowns)).toEqual([OTHER]);
  });
});
