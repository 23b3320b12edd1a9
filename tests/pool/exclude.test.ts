// The caller can rule accounts out of one selection (their catalog lacks the model); pure, fake clock.
import { describe, expect, test } from "bun:test";
import { MODEL, makePool, upstreamError } from "./helpers.ts";

describe("select with exclude", () => {
  for (const strategy of ["hybrid", "round-robin", "sticky"] as const) {
    test(`${strategy} never picks an excluded account, on any rung`, () => {
      const { pool } = makePool(4, { strategy });
      const exclude = new Set(["acct-1", "acct-3"]);
      const seen = new Set<string>();
      for (let i = 0; i < 40; i++) {
        const sel = pool.select(MODEL, { sessionId: `s${i % 3}`, exclude });
        expect(sel.ok).toBe(true);
        if (sel.ok) {
          seen.add(sel.accountId);
          pool.consumeToken(sel.accountId);
        }
      }
      expect(seen.size).toBeGreaterThan(0);
      for (const id of seen) expect(["acct-2", "acct-4"]).toContain(id);
      // Spreading strategies use both accounts that are left.
      if (strategy !== "sticky") expect(seen.size).toBe(2);
    });
  }

  test("the same model without exclude still sees every account (block summaries are not spoiled)", () => {
    const { pool } = makePool(3);
    for (let i = 0; i < 5; i++) pool.select(MODEL, { exclude: new Set(["acct-1", "acct-2"]) });
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const sel = pool.select(MODEL);
      if (sel.ok) {
        seen.add(sel.accountId);
        pool.consumeToken(sel.accountId);
        pool.reportSuccess(sel.accountId, MODEL);
      }
    }
    expect(seen.size).toBe(3);
  });

  test("sticky does not wait for an excluded account it was on; cooled and excluded together is 'nothing to pick'", () => {
    const { pool } = makePool(2, { strategy: "sticky" });
    const first = pool.select(MODEL, { sessionId: "s" });
    expect(first.ok && first.accountId).toBe("acct-1");
    const moved = pool.select(MODEL, { sessionId: "s", exclude: new Set(["acct-1"]) });
    expect(moved.ok && moved.accountId).toBe("acct-2");
    pool.reportFailure("acct-2", MODEL, upstreamError("quota_exhausted", { resetAt: Date.now() + 3_600_000 }));
    const none = pool.select(MODEL, { sessionId: "s", exclude: new Set(["acct-1"]) });
    expect(none.ok).toBe(false);
  });
});
