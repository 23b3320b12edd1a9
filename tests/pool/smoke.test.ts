import { expect, test } from "bun:test";
import { makePool, MODEL, upstreamError } from "./helpers.ts";

test("a fresh pool selects an account at the normal level", () => {
  const { pool } = makePool(3);
  const sel = pool.select(MODEL);
  expect(sel.ok).toBe(true);
  if (sel.ok) {
    expect(sel.level).toBe("normal");
    expect(sel.delayMs).toBe(0);
  }
});

test("a cooled account is skipped and the pool reports when it resets", () => {
  const { pool, clock } = makePool(1);
  const out = pool.reportFailure("acct-1", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: clock() + 60_000 }));
  expect(out).toMatchObject({ action: "cooled", until: clock() + 60_000 });
  const sel = pool.select(MODEL, { explain: true });
  expect(sel).toMatchObject({ ok: false, reason: "cooling", earliestResetAt: clock() + 60_000, waitMs: 60_000 });
  clock.advance(60_000);
  expect(pool.select(MODEL).ok).toBe(true);
});
