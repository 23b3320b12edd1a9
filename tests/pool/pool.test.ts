import { describe, expect, test } from "bun:test";
import { createPool } from "../../src/pool/pool.ts";
import { fakeClock, ids, makePool, MODEL, POOL_KEY, T0, upstreamError } from "./helpers.ts";

const MIN = 60_000;
const HOUR = 60 * MIN;

describe("quota probes", () => {
  test("a long cooldown is due for a probe 15 min after it began, then every 15 min after each look", () => {
    const { pool, clock } = makePool(2);
    pool.reportFailure("acct-1", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: T0 + 5 * HOUR }));
    expect(pool.dueProbes(T0 + 15 * MIN - 1)).toEqual([]);
    expect(pool.dueProbes(T0 + 15 * MIN)).toEqual([{ accountId: "acct-1", models: [POOL_KEY], dueAt: T0 + 15 * MIN }]);
    clock.set(T0 + 16 * MIN);
    pool.setQuota("acct-1", { [MODEL]: { fraction: 0, resetAt: T0 + 5 * HOUR } }); // still empty
    expect(pool.dueProbes(T0 + 31 * MIN - 1)).toEqual([]);
    expect(pool.dueProbes(T0 + 31 * MIN).map((p) => p.accountId)).toEqual(["acct-1"]);
  });

  test("a cooldown shorter than 15 min is probed when it ends; a short rate limit never", () => {
    const { pool } = makePool(2);
    pool.reportFailure("acct-1", MODEL, upstreamError("quota_exhausted", { status: 429 })); // 60 s backoff
    pool.reportFailure("acct-2", MODEL, upstreamError("rate_limited", { status: 429 }));
    expect(pool.dueProbes(T0 + MIN - 1)).toEqual([]);
    expect(pool.dueProbes(T0 + MIN)).toEqual([{ accountId: "acct-1", models: [POOL_KEY], dueAt: T0 + MIN }]);
  });

  test("a probe showing quota again ends the cooldown at once; one showing none keeps it", () => {
    const { pool, clock } = makePool(1);
    pool.reportFailure("acct-1", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: T0 + 5 * HOUR }));
    clock.advance(15 * MIN);
    pool.setQuota("acct-1", { [MODEL]: { fraction: 0, resetAt: T0 + 5 * HOUR } });
    expect(pool.select(MODEL).ok).toBe(false);
    pool.setQuota("acct-1", { [MODEL]: { fraction: 0.8, resetAt: T0 + 10 * HOUR } });
    expect(pool.select(MODEL)).toMatchObject({ ok: true, accountId: "acct-1", level: "normal" });
    expect(pool.dueProbes(clock() + 15 * MIN)).toEqual([]);
  });

  test("quota reported empty with a reset time cools the model's pool without spending a request", () => {
    const { pool } = makePool(2);
    pool.setQuota("acct-1", { [MODEL]: { fraction: 0, resetAt: T0 + 2 * HOUR } });
    expect(pool.account("acct-1")?.pools.claude).toEqual({ status: "out", until: T0 + 2 * HOUR, reason: "quota_exhausted", window: "5h" });
    pool.setQuota("acct-2", { [MODEL]: { fraction: 0, resetAt: T0 + HOUR } });
    expect(pool.select(MODEL)).toMatchObject({ ok: false, reason: "cooling", earliestResetAt: T0 + HOUR });
  });

  test("a failed probe is not due again until probeAfterMs later", () => {
    const { pool, clock } = makePool(1);
    pool.reportFailure("acct-1", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: T0 + 5 * HOUR }));
    clock.set(T0 + 20 * MIN);
    pool.noteProbeFailed("acct-1");
    expect(pool.dueProbes(T0 + 34 * MIN)).toEqual([]);
    expect(pool.dueProbes(T0 + 35 * MIN)).toHaveLength(1);
  });
});

describe("manual control", () => {
  test("resetAccount really clears cooldowns, the invalid flag, failure streak and health", () => {
    const { pool } = makePool(1);
    pool.reportFailure("acct-1", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: T0 + 5 * HOUR }));
    pool.reportFailure("acct-1", "other-model", upstreamError("network"));
    pool.reportFailure("acct-1", MODEL, upstreamError("banned"));
    pool.setQuota("acct-1", { [MODEL]: { fraction: 0.01 } });
    expect(pool.account("acct-1")?.status).toBe("invalid");
    expect(pool.resetAccount("acct-1")).toBe(true);
    const view = pool.account("acct-1");
    expect(view).toMatchObject({ status: "available", health: 70, tokens: 50, consecutiveFailures: 0, cooldowns: {}, quota: {} });
    expect(view?.invalid).toBeUndefined();
    expect(pool.select(MODEL)).toMatchObject({ ok: true, accountId: "acct-1", level: "normal" });
    expect(pool.resetAccount("nope")).toBe(false);
  });

  test("a disabled account is never picked, and comes back when enabled", () => {
    const { pool } = makePool(2, { strategy: "round-robin" });
    pool.setEnabled("acct-1", false);
    const picks = [pool.select(MODEL), pool.select(MODEL)].map((s) => s.ok && s.accountId);
    expect(picks).toEqual(["acct-2", "acct-2"]);
    pool.setEnabled("acct-1", true);
    expect(pool.select(MODEL)).toMatchObject({ accountId: "acct-1" });
  });

  test("strategy can be switched at run time", () => {
    const { pool } = makePool(2);
    expect(pool.strategy).toBe("hybrid");
    pool.setStrategy("round-robin");
    expect(pool.strategy).toBe("round-robin");
    expect(() => pool.setStrategy("fill-first" as never)).toThrow(/unknown strategy/);
  });

  test("accounts can be added and removed while running; round-robin stays fair", () => {
    const { pool } = makePool(2, { strategy: "round-robin" });
    pool.addAccount({ id: "acct-3" });
    expect(() => pool.addAccount({ id: "acct-3" })).toThrow(/already/);
    const picks = () => Array.from({ length: 6 }, () => pool.select(MODEL)).map((s) => s.ok && s.accountId);
    expect(picks()).toEqual(["acct-1", "acct-2", "acct-3", "acct-1", "acct-2", "acct-3"]);
    expect(pool.removeAccount("acct-2")).toBe(true);
    expect(picks()).toEqual(["acct-1", "acct-3", "acct-1", "acct-3", "acct-1", "acct-3"]);
    pool.syncAccounts([{ id: "acct-3", label: "work" }, { id: "acct-9" }]);
    expect(pool.accounts().map((a) => [a.id, a.label])).toEqual([["acct-3", "work"], ["acct-9", "acct-9"]]);
  });
});

describe("views and counts", () => {
  test("status words and counts reflect the state at now, expiring cooldowns on read", () => {
    const { pool, clock } = makePool(5);
    pool.reportFailure("acct-1", MODEL, upstreamError("rate_limited", { status: 429 }));
    pool.reportFailure("acct-2", MODEL, upstreamError("verification_required", { validationUrl: "https://v.test" }));
    pool.setEnabled("acct-3", false);
    pool.setQuota("acct-4", { [MODEL]: { fraction: 0.02, resetAt: T0 + HOUR } });
    expect(pool.accounts().map((a) => a.status)).toEqual(["cooling", "invalid", "disabled", "low-quota", "available"]);
    expect(pool.counts()).toEqual({ total: 5, available: 2, cooling: 1, invalid: 1, disabled: 1 });
    expect(pool.account("acct-1")?.nextResetAt).toBe(T0 + 30_000);
    expect(pool.account("acct-2")?.invalid?.url).toBe("https://v.test");
    clock.advance(30_000);
    expect(pool.account("acct-1")).toMatchObject({ status: "available", cooldowns: {} });
  });

  test("onChange names each account that changed, and unsubscribes", () => {
    const { pool } = makePool(2);
    const seen: string[] = [];
    const off = pool.onChange((id) => seen.push(id));
    pool.consumeToken("acct-1");
    pool.reportFailure("acct-2", MODEL, upstreamError("rate_limited", { status: 429 }));
    pool.reportFailure("acct-2", MODEL, upstreamError("bad_request", { status: 400 })); // nothing changed
    off();
    pool.consumeToken("acct-1");
    expect(seen).toEqual(["acct-1", "acct-2"]);
  });
});

describe("persistence", () => {
  test("snapshot → JSON → load restores cooldowns, which still expire on read", () => {
    const first = makePool(2);
    first.pool.reportFailure("acct-1", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: T0 + HOUR }));
    first.pool.reportFailure("acct-2", MODEL, upstreamError("rate_limited", { status: 429 }));
    const saved = JSON.parse(JSON.stringify(first.pool.snapshot())) as unknown[];

    // A restart 10 minutes later: the rate limit is over, the quota cooldown is not.
    const clock = fakeClock(T0 + 10 * MIN);
    const pool = createPool({ accounts: ids(2), now: clock, random: () => 0 });
    expect(pool.load(saved)).toBe(2);
    expect(pool.select(MODEL)).toMatchObject({ ok: true, accountId: "acct-2" });
    expect(pool.account("acct-1")?.pools.claude?.until).toBe(T0 + HOUR);
    clock.set(T0 + HOUR);
    expect(pool.account("acct-1")?.status).toBe("available");
  });

  test("a persisted cooldown long past is simply expired, not blocking rotation forever", () => {
    const clock = fakeClock(T0);
    const pool = createPool({ accounts: ids(1), now: clock, random: () => 0 });
    const stale = {
      id: "acct-1",
      cooldowns: { [MODEL]: { until: T0 - 3 * 24 * HOUR, reason: "quota_exhausted", hits: 4, since: T0 - 4 * 24 * HOUR, last429At: 0 } },
    };
    pool.load([stale]);
    expect(pool.select(MODEL)).toMatchObject({ ok: true, level: "normal" });
    expect(pool.dueProbes()).toEqual([]);
  });

  test("load ignores unknown accounts and malformed fields", () => {
    const { pool } = makePool(1);
    const applied = pool.load([
      { id: "ghost" },
      null,
      { id: "acct-1", health: { score: "x" }, bucket: 5, cooldowns: { [MODEL]: { until: "soon" } }, quota: { [MODEL]: { fraction: 2 } } },
    ]);
    expect(applied).toBe(1);
    const view = pool.account("acct-1");
    expect(view).toMatchObject({ health: 70, tokens: 50, cooldowns: {} });
    expect(view?.quota[MODEL]?.fraction).toBe(1);
  });

  test("configuration keeps the upper hand on label and a disabled flag", () => {
    const { pool } = makePool(1);
    pool.load([{ id: "acct-1", label: "old-label", enabled: false }]);
    expect(pool.account("acct-1")).toMatchObject({ label: "acct-1", enabled: false });
  });
});

test("size is the number of accounts, kept in step with adds and removes", () => {
  const { pool } = makePool(3);
  expect(pool.size).toBe(3);
  pool.addAccount({ id: "x" });
  pool.removeAccount("acct-1");
  pool.removeAccount("acct-2");
  expect(pool.size).toBe(2);
  expect(pool.counts().total).toBe(2);
});
