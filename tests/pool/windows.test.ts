// Quota pools and windows in the pool (pure logic, fake clock): upstream limits per (account, pool,
// window), so one quota 429 holds for every model of the pool, and the weekly wall is seen.
import { describe, expect, test } from "bun:test";
import type { QuotaWindow } from "../../src/google/quota-pools.ts";
import { createPool } from "../../src/pool/pool.ts";
import { fakeClock, ids, makePool, T0, upstreamError } from "./helpers.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const SONNET = "claude-sonnet-4-6";
const OPUS = "claude-opus-4-6-thinking";
const GPT = "gpt-oss-120b-medium";
const FLASH = "gemini-3-flash";

const win = (pool: "claude" | "gemini", window: "5h" | "weekly", remaining: number, resetAt: number): QuotaWindow => ({ pool, window, remaining, resetAt });

/** Accounts explain says are out for `model` right now (at the normal level). */
function skippedFor(pool: ReturnType<typeof makePool>["pool"], model: string): string[] {
  return pool.select(model, { explain: true }).skipped.map((x) => x.accountId);
}

function picks(pool: ReturnType<typeof makePool>["pool"], model: string, n = 6): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const sel = pool.select(model);
    if (sel.ok) out.push(sel.accountId);
  }
  return out;
}

describe("a quota 429 cools the (account, pool)", () => {
  test("learned once: every model of the pool skips the account, the other pool does not", () => {
    const { pool } = makePool(2);
    const out = pool.reportFailure("acct-1", SONNET, upstreamError("quota_exhausted", { status: 429, resetAt: T0 + 2 * HOUR }));
    expect(out).toMatchObject({ action: "cooled", until: T0 + 2 * HOUR, hits: 1 });
    for (const model of [SONNET, OPUS, GPT]) expect(picks(pool, model)).not.toContain("acct-1");
    expect(skippedFor(pool, FLASH)).toEqual([]);
    // A 429 from another model of the same pool right after is the same event, not a second one.
    const again = pool.reportFailure("acct-1", OPUS, upstreamError("quota_exhausted", { status: 429, resetAt: T0 + 2 * HOUR }));
    expect(again).toMatchObject({ deduped: true, hits: 1 });
    expect(pool.account("acct-1")!.pools).toEqual({
      gemini: { status: "available" },
      claude: { status: "out", until: T0 + 2 * HOUR, reason: "quota_exhausted", window: "5h" },
    });
    // Per-model cooldowns are not where it lives.
    expect(pool.account("acct-1")!.cooldowns).toEqual({});
  });

  test("a reset further away than any 5-hour window is the weekly one, and explain says so", () => {
    const { pool } = makePool(2);
    pool.reportFailure("acct-1", SONNET, upstreamError("quota_exhausted", { status: 429, resetAt: T0 + 3 * DAY }));
    expect(pool.account("acct-1")!.pools.claude).toMatchObject({ status: "out", window: "weekly", until: T0 + 3 * DAY });
    const sel = pool.select(OPUS, { explain: true });
    expect(sel.ok && sel.accountId).toBe("acct-2");
    expect(sel.skipped).toEqual([
      { accountId: "acct-1", why: `out of the claude pool until ${new Date(T0 + 3 * DAY).toISOString()} (in 3d00h): weekly window empty` },
    ]);
  });

  test("rate limits stay per model: they say nothing about the pool's quota", () => {
    const { pool } = makePool(2);
    pool.reportFailure("acct-1", SONNET, upstreamError("rate_limited", { status: 429, resetAt: T0 + 30_000 }));
    expect(picks(pool, SONNET)).not.toContain("acct-1");
    expect(skippedFor(pool, SONNET)).toEqual(["acct-1"]);
    expect(skippedFor(pool, OPUS)).toEqual([]);
    expect(pool.account("acct-1")!.pools.claude).toEqual({ status: "available" });
  });

  test("models outside any pool keep per-model cooldowns", () => {
    const { pool } = makePool(2);
    pool.reportFailure("acct-1", "chat_20706", upstreamError("quota_exhausted", { status: 429, resetAt: T0 + HOUR }));
    expect(pool.account("acct-1")!.cooldowns.chat_20706?.until).toBe(T0 + HOUR);
    expect(skippedFor(pool, "chat_20706")).toEqual(["acct-1"]);
    expect(skippedFor(pool, SONNET)).toEqual([]);
  });
});

describe("windows from the quota summary", () => {
  test("an empty weekly window keeps the account out of the pool until the weekly reset, whatever quotaInfo says", () => {
    const { pool, clock } = makePool(2);
    const weeklyReset = T0 + 2 * DAY;
    // quotaInfo is the 5-hour value only: 80% left. The weekly window is empty.
    pool.setQuota("acct-1", { [SONNET]: { fraction: 0.8, resetAt: T0 + 4 * HOUR } }, [win("claude", "5h", 0.8, T0 + 4 * HOUR), win("claude", "weekly", 0, weeklyReset)]);
    expect(pool.account("acct-1")!.pools.claude).toEqual({ status: "out", until: weeklyReset, reason: "quota_exhausted", window: "weekly" });
    expect(picks(pool, OPUS)).not.toContain("acct-1");
    const sel = pool.select(SONNET, { explain: true });
    expect(sel.skipped[0]?.why).toContain("weekly window empty");

    // A later read that could not get the summary (quotaInfo alone) must not let it back in.
    clock.advance(2 * HOUR);
    pool.setQuota("acct-1", { [SONNET]: { fraction: 1, resetAt: T0 + 7 * HOUR } });
    expect(pool.account("acct-1")!.pools.claude?.status).toBe("out");
    expect(pool.account("acct-1")!.windows.map((w) => [w.window, w.remaining])).toEqual([["5h", 0.8], ["weekly", 0]]);

    // The summary showing the weekly window refilled lets it back at once.
    pool.setQuota("acct-1", { [SONNET]: { fraction: 1 } }, [win("claude", "5h", 1, T0 + 7 * HOUR), win("claude", "weekly", 1, T0 + 9 * DAY)]);
    expect(pool.account("acct-1")!.pools.claude).toEqual({ status: "available" });
    expect(skippedFor(pool, OPUS)).toEqual([]);
  });

  test("without a new read, the pool comes back exactly at the weekly reset", () => {
    const { pool, clock } = makePool(1);
    pool.setQuota("acct-1", {}, [win("claude", "weekly", 0, T0 + DAY)]);
    expect(pool.select(SONNET)).toMatchObject({
      ok: false,
      reason: "cooling",
      earliestResetAt: T0 + DAY,
      poolOut: { pool: "claude", accounts: 1, weekly: 1 },
      message: `All 1 usable accounts are out of their claude quota pool (1 until the weekly reset) for ${SONNET}; the earliest resets at ${new Date(T0 + DAY).toISOString()} (in 1d00h).`,
    });
    clock.set(T0 + DAY - 1);
    expect(pool.select(SONNET).ok).toBe(false);
    clock.set(T0 + DAY);
    expect(pool.select(SONNET)).toMatchObject({ ok: true, accountId: "acct-1" });
  });

  test("floors apply per pool and window: the default 5% to each window, configurable per window and per account", () => {
    const clock = fakeClock();
    const pool = createPool({
      accounts: [{ id: "a" }, { id: "b", floors: { pools: { claude: { "5h": 0.5 } } } }, { id: "c" }],
      now: clock,
      random: () => 0,
      windowFloors: { gemini: { weekly: 0.3 } },
    });
    pool.setQuota("a", {}, [win("claude", "5h", 0.9, T0 + HOUR), win("claude", "weekly", 0.04, T0 + DAY)]);
    pool.setQuota("b", {}, [win("claude", "5h", 0.4, T0 + HOUR), win("claude", "weekly", 0.9, T0 + DAY)]);
    pool.setQuota("c", {}, [win("gemini", "weekly", 0.25, T0 + DAY)]);
    const sel = pool.select(SONNET, { explain: true });
    expect(sel).toMatchObject({ ok: true, accountId: "c", level: "normal" });
    expect(sel.skipped).toEqual([
      { accountId: "a", why: "claude weekly window 4.0% at or below floor 5.0%" },
      { accountId: "b", why: "claude 5h window 40.0% at or below floor 50.0%" },
    ]);
    const flash = pool.select(FLASH, { explain: true });
    expect(flash.skipped).toEqual([{ accountId: "c", why: "gemini weekly window 25.0% at or below floor 30.0%" }]);
    expect(pool.account("a")!.windows.find((w) => w.window === "weekly")?.floor).toBe(0.05);
    expect(pool.account("b")!.windows.find((w) => w.window === "5h")?.floor).toBe(0.5);
    expect(pool.account("a")!.pools.claude?.status).toBe("low");
    expect(pool.account("a")!.status).toBe("low-quota");
  });

  test("per-model floors keep working next to the windows", () => {
    const clock = fakeClock();
    const pool = createPool({ accounts: ids(2), now: clock, random: () => 0, modelFloors: { [OPUS]: 0.5 } });
    pool.setQuota("acct-1", { [OPUS]: { fraction: 0.4 }, [SONNET]: { fraction: 0.4 } });
    pool.setQuota("acct-2", { [OPUS]: { fraction: 0.9 }, [SONNET]: { fraction: 0.9 } });
    expect(picks(pool, OPUS)).toEqual(Array(6).fill("acct-2"));
    expect(pool.select(SONNET, { explain: true }).skipped).toEqual([]);
  });

  test("hybrid scores the tighter window", () => {
    const { pool } = makePool(2);
    // acct-1 looks better on the 5-hour window, but its weekly window is nearly spent.
    pool.setQuota("acct-1", { [SONNET]: { fraction: 0.9 } }, [win("claude", "5h", 0.9, T0 + HOUR), win("claude", "weekly", 0.2, T0 + DAY)]);
    pool.setQuota("acct-2", { [SONNET]: { fraction: 0.5 } }, [win("claude", "5h", 0.5, T0 + HOUR), win("claude", "weekly", 0.6, T0 + DAY)]);
    expect(pool.select(SONNET)).toMatchObject({ ok: true, accountId: "acct-2" });
    // Turn it around: now acct-1's tighter window is the better one.
    pool.setQuota("acct-1", { [SONNET]: { fraction: 0.9 } }, [win("claude", "5h", 0.9, T0 + HOUR), win("claude", "weekly", 0.7, T0 + DAY)]);
    expect(pool.select(SONNET)).toMatchObject({ ok: true, accountId: "acct-1" });
  });

  test("free tier (weekly only): a 429 resetting soon is still the weekly window", () => {
    const { pool } = makePool(2);
    pool.setQuota("acct-1", {}, [win("claude", "weekly", 0.3, T0 + 2 * HOUR), win("gemini", "weekly", 0.9, T0 + DAY)]);
    pool.reportFailure("acct-1", SONNET, upstreamError("quota_exhausted", { status: 429, resetAt: T0 + 2 * HOUR }));
    expect(pool.account("acct-1")!.pools.claude).toMatchObject({ status: "out", window: "weekly" });
  });
});

describe("persistence", () => {
  test("pool cooldowns and windows survive snapshot → JSON → load, and still expire on read", () => {
    const first = makePool(2);
    first.pool.setQuota("acct-1", {}, [win("claude", "5h", 0.5, T0 + HOUR), win("claude", "weekly", 0, T0 + DAY)]);
    first.pool.reportFailure("acct-2", OPUS, upstreamError("quota_exhausted", { status: 429, resetAt: T0 + 2 * HOUR }));
    const saved = JSON.parse(JSON.stringify(first.pool.snapshot())) as unknown[];

    const clock = fakeClock(T0 + 10 * MIN);
    const pool = createPool({ accounts: ids(2), now: clock, random: () => 0 });
    expect(pool.load(saved)).toBe(2);
    expect(pool.account("acct-1")!.pools.claude).toEqual({ status: "out", until: T0 + DAY, reason: "quota_exhausted", window: "weekly" });
    expect(pool.account("acct-1")!.windows.map((w) => [w.pool, w.window, w.remaining, w.resetAt])).toEqual([
      ["claude", "5h", 0.5, T0 + HOUR],
      ["claude", "weekly", 0, T0 + DAY],
    ]);
    expect(pool.account("acct-2")!.pools.claude).toMatchObject({ status: "out", until: T0 + 2 * HOUR, window: "5h" });
    expect(pool.select(SONNET).ok).toBe(false);
    clock.set(T0 + 2 * HOUR);
    expect(pool.select(SONNET)).toMatchObject({ ok: true, accountId: "acct-2" });
    expect(pool.account("acct-1")!.windows.map((w) => w.window)).toEqual(["weekly"]); // the 5h entry is past its reset
  });
});
