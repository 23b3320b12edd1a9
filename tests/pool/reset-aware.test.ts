// The reset-aware strategy and the in-flight cap (pure logic, fake clock): quota is spent by its
// reset time, a weekly floor stops holding back quota the reset would take away, and a cap per
// account spreads bursts without moving the main conversation off its account.
import { describe, expect, test } from "bun:test";
import type { QuotaWindow } from "../../src/google/quota-pools.ts";
import { DEFAULT_TUNING, type PoolTuning } from "../../src/pool/tuning.ts";
import { makePool, T0 } from "./helpers.ts";

const HOUR = 3_600_000;
const SONNET = "claude-sonnet-4-6";
const win = (window: "5h" | "weekly", remaining: number, resetAt: number): QuotaWindow => ({ pool: "claude", window, remaining, resetAt });
const withTuning = (patch: Partial<PoolTuning>): PoolTuning => ({ ...DEFAULT_TUNING, ...patch });

describe("reset-aware", () => {
  test("spends first the week that resets soonest for what it has left", () => {
    const { pool } = makePool(3, { strategy: "reset-aware" });
    // 30 % left resetting in 10 h must go at 3 %/h; 90 % resetting in 6 days at 0.6 %/h.
    pool.setQuota("acct-1", { [SONNET]: { fraction: 1 } }, [win("5h", 1, T0 + 5 * HOUR), win("weekly", 0.9, T0 + 144 * HOUR)]);
    pool.setQuota("acct-2", { [SONNET]: { fraction: 1 } }, [win("5h", 1, T0 + 5 * HOUR), win("weekly", 0.3, T0 + 10 * HOUR)]);
    pool.setQuota("acct-3", { [SONNET]: { fraction: 1 } }, [win("5h", 1, T0 + 5 * HOUR), win("weekly", 0.6, T0 + 100 * HOUR)]);
    const sel = pool.select(SONNET, { explain: true });
    expect(sel.ok && sel.accountId).toBe("acct-2");
    // The request log's trace says why in the strategy's own terms.
    expect(sel.ok && sel.why).toBe("reset-aware on the normal level: 3 usable; claude week 30% left, resets in 10h00m → 3.0%/h");
  });

  test("a nearly empty 5-hour window holds an account back while another week is as urgent", () => {
    const { pool } = makePool(2, { strategy: "reset-aware" });
    pool.setQuota("acct-1", { [SONNET]: { fraction: 0.06 } }, [win("5h", 0.06, T0 + 4 * HOUR), win("weekly", 0.5, T0 + 50 * HOUR)]);
    pool.setQuota("acct-2", { [SONNET]: { fraction: 1 } }, [win("5h", 1, T0 + 5 * HOUR), win("weekly", 0.5, T0 + 50 * HOUR)]);
    const sel = pool.select(SONNET);
    expect(sel.ok && sel.accountId).toBe("acct-2");
  });

  test("within floorReleaseHours of its reset, a weekly floor no longer keeps the last of the week unspent", () => {
    const setup = (hoursToReset: number, floorReleaseHours = DEFAULT_TUNING.resetAware.floorReleaseHours) => {
      const tuning = withTuning({ resetAware: { ...DEFAULT_TUNING.resetAware, floorReleaseHours } });
      const { pool } = makePool(2, { strategy: "reset-aware", tuning });
      // acct-1: 4 % of its week left (under the default 5 % floor), 5-hour window full; acct-2's
      // week is less urgent still (10 % over 160 h), so only the floor can keep acct-1 out.
      pool.setQuota("acct-1", { [SONNET]: { fraction: 1 } }, [win("5h", 1, T0 + 5 * HOUR), win("weekly", 0.04, T0 + hoursToReset * HOUR)]);
      pool.setQuota("acct-2", { [SONNET]: { fraction: 1 } }, [win("5h", 1, T0 + 5 * HOUR), win("weekly", 0.1, T0 + 160 * HOUR)]);
      const sel = pool.select(SONNET, { explain: true });
      if (!sel.ok) throw new Error(sel.message);
      return sel;
    };
    // 20 h before the reset: what the floor keeps would be lost, so it is spent (at the normal level).
    expect(setup(20)).toMatchObject({ accountId: "acct-1", level: "normal" });
    // Two days before: the floor holds.
    expect(setup(48).accountId).toBe("acct-2");
    // Released never when set to 0.
    expect(setup(20, 0).accountId).toBe("acct-2");
  });

  test("the release is for the weekly floor only: a 5-hour window at its floor still holds", () => {
    const { pool } = makePool(2, { strategy: "reset-aware" });
    pool.setQuota("acct-1", { [SONNET]: { fraction: 0.03 } }, [win("5h", 0.03, T0 + 4 * HOUR), win("weekly", 0.04, T0 + 3 * HOUR)]);
    pool.setQuota("acct-2", { [SONNET]: { fraction: 1 } }, [win("5h", 1, T0 + 5 * HOUR), win("weekly", 0.8, T0 + 150 * HOUR)]);
    const sel = pool.select(SONNET);
    expect(sel.ok && sel.accountId).toBe("acct-2");
  });
});

describe("in-flight cap per account", () => {
  const capped = (n: number, cap: number, strategy: "reset-aware" | "hybrid" | "sticky" = "reset-aware") =>
    makePool(n, { strategy, tuning: withTuning({ maxInFlightPerAccount: cap }) });

  for (const strategy of ["reset-aware", "hybrid", "sticky"] as const) {
    test(`${strategy}: 20 parallel requests of one session spread over ≥ 3 accounts with a cap of 8; the main conversation's next turn returns to its account`, () => {
      const { pool, clock } = capped(5, 8, strategy);
      const main = pool.select(SONNET, { sessionId: "s1/main" });
      if (!main.ok) throw new Error(main.message);
      pool.consumeToken(main.accountId);
      pool.reportSuccess(main.accountId, SONNET);
      const inFlight = new Map<string, number>();
      for (let i = 0; i < 20; i++) {
        const sel = pool.select(SONNET, { sessionId: `s1/agent-${i}` });
        if (!sel.ok) throw new Error(sel.message);
        pool.consumeToken(sel.accountId);
        pool.started(sel.accountId);
        inFlight.set(sel.accountId, (inFlight.get(sel.accountId) ?? 0) + 1);
      }
      expect(inFlight.size).toBeGreaterThanOrEqual(3);
      expect(Math.max(...inFlight.values())).toBeLessThanOrEqual(8);
      // The main conversation goes on once its subagents have answered.
      for (const [id, n] of inFlight) for (let k = 0; k < n; k++) pool.finished(id);
      clock.advance(1000);
      const next = pool.select(SONNET, { sessionId: "s1/main" });
      expect(next.ok && next.accountId).toBe(main.accountId);
    });
  }

  test("every account at its cap: busy, and a finished request frees a slot (and says so once)", () => {
    const { pool } = capped(2, 1);
    for (const id of ["acct-1", "acct-2"]) pool.started(id);
    const sel = pool.select(SONNET);
    expect(sel).toMatchObject({ ok: false, reason: "busy" });
    let woken = 0;
    pool.onSlotFree(() => woken++);
    pool.finished("acct-2");
    pool.finished("acct-2");
    expect(woken).toBe(1);
    const after = pool.select(SONNET);
    expect(after.ok && after.accountId).toBe("acct-2");
  });

  test("busy is only said when a capped account could serve: cooled accounts are still cooling", () => {
    const { pool } = capped(1, 1);
    pool.started("acct-1");
    pool.setEnabled("acct-1", false);
    expect(pool.select(SONNET)).toMatchObject({ ok: false, reason: "unavailable" });
  });

  test("no cap (the default): requests in flight never keep an account out", () => {
    const { pool } = makePool(1, { strategy: "reset-aware" });
    for (let i = 0; i < 50; i++) pool.started("acct-1");
    expect(pool.select(SONNET).ok).toBe(true);
  });
});
