import { describe, expect, test } from "bun:test";
import type { Pool } from "../../src/pool/pool.ts";
import { makePool, MODEL, upstreamError } from "./helpers.ts";

/** Runs `n` requests the way the request path does: select, take a token, succeed. */
function drive(pool: Pool, n: number, opts: { sessionId?: string; stepMs?: number; clock?: { advance(ms: number): void } } = {}) {
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const sel = pool.select(MODEL, { sessionId: opts.sessionId });
    if (!sel.ok) throw new Error(`selection failed: ${sel.message}`);
    pool.consumeToken(sel.accountId);
    pool.reportSuccess(sel.accountId, MODEL);
    counts.set(sel.accountId, (counts.get(sel.accountId) ?? 0) + 1);
    if (opts.clock && opts.stepMs) opts.clock.advance(opts.stepMs);
  }
  return counts;
}

describe("round-robin", () => {
  test("400 requests over 4 accounts → exactly 100 each", () => {
    const { pool } = makePool(4, { strategy: "round-robin" });
    const counts = drive(pool, 400);
    expect([...counts.values()]).toEqual([100, 100, 100, 100]);
  });

  test("the cursor skips a cooled account and keeps the others in order", () => {
    const { pool } = makePool(3, { strategy: "round-robin" });
    pool.reportFailure("acct-2", MODEL, upstreamError("rate_limited", { status: 429 }));
    const order = Array.from({ length: 4 }, () => {
      const sel = pool.select(MODEL);
      return sel.ok ? sel.accountId : "none";
    });
    expect(order).toEqual(["acct-1", "acct-3", "acct-1", "acct-3"]);
  });
});

describe("sticky", () => {
  test("stays on one account, moves once when it is limited, then stays on the new one", () => {
    const { pool, clock } = makePool(3, { strategy: "sticky" });
    const first = drive(pool, 5, { sessionId: "s1", clock, stepMs: 1000 });
    expect([...first.entries()]).toEqual([["acct-1", 5]]);
    pool.reportFailure("acct-1", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: clock() + 3_600_000 }));
    const after = drive(pool, 5, { sessionId: "s1", clock, stepMs: 1000 });
    expect([...after.entries()]).toEqual([["acct-2", 5]]);
    clock.advance(3_600_000); // acct-1 is back, but the session stays where its cache is
    expect([...drive(pool, 3, { sessionId: "s1" }).entries()]).toEqual([["acct-2", 3]]);
  });

  test("waits for its account when nothing else is usable and it resets within 2 minutes", () => {
    const { pool, clock } = makePool(2, { strategy: "sticky" });
    drive(pool, 1, { sessionId: "s" });
    pool.reportFailure("acct-2", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: clock() + 3_600_000 }));
    pool.reportFailure("acct-1", MODEL, upstreamError("rate_limited", { status: 429, resetAt: clock() + 90_000 }));
    expect(pool.select(MODEL, { sessionId: "s" })).toMatchObject({ ok: true, accountId: "acct-1", level: "sticky-wait", delayMs: 90_000 });
    clock.advance(90_000);
    expect(pool.select(MODEL, { sessionId: "s" })).toMatchObject({ ok: true, accountId: "acct-1", level: "normal" });
  });

  test("does not ask to wait longer than the caller may still wait", () => {
    const { pool, clock } = makePool(2, { strategy: "sticky" });
    drive(pool, 1, { sessionId: "s" });
    pool.reportFailure("acct-2", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: clock() + 3_600_000 }));
    pool.reportFailure("acct-1", MODEL, upstreamError("rate_limited", { status: 429, resetAt: clock() + 90_000 }));
    const sel = pool.select(MODEL, { sessionId: "s", maxWaitMs: 30_000 });
    expect(sel.ok && sel.level === "sticky-wait").toBe(false);
  });

  test("does not wait when the reset is further than 2 minutes away", () => {
    const { pool, clock } = makePool(1, { strategy: "sticky" });
    drive(pool, 1, { sessionId: "s" });
    pool.reportFailure("acct-1", MODEL, upstreamError("rate_limited", { status: 429, resetAt: clock() + 180_000 }));
    expect(pool.select(MODEL, { sessionId: "s" })).toMatchObject({ ok: false, reason: "cooling", earliestResetAt: clock() + 180_000 });
  });
});

describe("hybrid", () => {
  const quotas = (pool: Pool, fractions: number[]) =>
    fractions.forEach((fraction, i) => pool.setQuota(`acct-${i + 1}`, { [MODEL]: { fraction } }));

  test("an account at 4 % with a 5 % floor gets no traffic while others have quota", () => {
    const { pool, clock } = makePool(3);
    const counts = new Map<string, number>();
    for (let round = 0; round < 15; round++) {
      quotas(pool, [0.04, 0.5, 0.5]); // refreshed like the quota loop does, so the data stays fresh
      // One request every 10 s: a load the two good accounts' buckets sustain without the ladder.
      const c = drive(pool, 20, { clock, stepMs: 10_000 });
      for (const [id, n] of c) counts.set(id, (counts.get(id) ?? 0) + n);
    }
    expect(counts.get("acct-1")).toBeUndefined();
    expect(counts.get("acct-2")).toBeGreaterThan(60);
    expect(counts.get("acct-3")).toBeGreaterThan(60);
  });

  test("spreads load instead of draining the best account while others idle", () => {
    const { pool, clock } = makePool(3);
    quotas(pool, [0.9, 0.7, 0.7]);
    const counts = drive(pool, 300, { clock, stepMs: 1_000 });
    for (const id of ["acct-1", "acct-2", "acct-3"]) expect(counts.get(id) ?? 0).toBeGreaterThan(60);
  });

  test("keeps a session on its account while it is comparable, and lets a clearly better one win", () => {
    const { pool, clock } = makePool(3);
    quotas(pool, [0.9, 0.9, 0.9]);
    drive(pool, 3, { clock, stepMs: 20_000 }); // every account recently used: the steady state
    const sticky = drive(pool, 10, { sessionId: "conv", clock, stepMs: 20_000 });
    expect(sticky.size).toBe(1); // the bonus outweighs a few tokens and a few seconds of idleness
    const [home] = [...sticky.keys()];
    // Its quota falls far below the others': the bonus is bounded, so the session moves.
    pool.setQuota(home!, { [MODEL]: { fraction: 0.2 } });
    const moved = pool.select(MODEL, { sessionId: "conv" });
    expect(moved.ok && moved.accountId).not.toBe(home);
  });

  test("without a session there is no bonus: consecutive requests rotate", () => {
    const { pool, clock } = makePool(3);
    const counts = drive(pool, 3, { clock, stepMs: 1_000 });
    expect(counts.size).toBe(3);
  });
});
