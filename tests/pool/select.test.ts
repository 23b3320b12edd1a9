import { describe, expect, test } from "bun:test";
import { selectAccount, type SelectContext } from "../../src/pool/select.ts";
import { PoolSnapshot } from "../../src/pool/snapshot.ts";
import { newAccountState } from "../../src/pool/state.ts";
import type { StrategyName } from "../../src/pool/tuning.ts";
import type { AccountState } from "../../src/pool/types.ts";
import { MODEL, T0, tuning } from "./helpers.ts";

const HOUR = 3_600_000;

function account(id: string, patch: (s: AccountState) => void = () => {}): AccountState {
  const s = newAccountState({ id }, T0 - 2 * HOUR, tuning);
  patch(s);
  return s;
}
const lowQuota = (s: AccountState) => {
  s.quota[MODEL] = { fraction: 0.03, fetchedAt: T0 };
};
const unhealthy = (s: AccountState) => {
  s.health = { score: 10, updatedAt: T0 };
};
const drained = (s: AccountState) => {
  s.bucket = { tokens: 0, updatedAt: T0 };
};
const cooled = (s: AccountState) => {
  s.cooldowns[MODEL] = { until: T0 + 90_000, reason: "rate_limited", hits: 0, since: T0, last429At: T0 };
};

function run(states: AccountState[], strategy: StrategyName = "hybrid", extra: Partial<SelectContext> = {}) {
  const pool = new PoolSnapshot(states, { tuning });
  return selectAccount(pool, { model: MODEL, explain: true }, { strategy, now: T0, random: () => 0, tuning, ...extra });
}

describe("fallback ladder", () => {
  test.each(["hybrid", "sticky", "round-robin", "reset-aware"] as const)("%s walks normal → ignore-floor → emergency → last resort", (strategy) => {
    // Each case adds one more soft problem to the otherwise best account, and gives the other a hard one.
    const other = account("other", cooled);
    expect(run([account("a"), other], strategy)).toMatchObject({ ok: true, accountId: "a", level: "normal", delayMs: 0 });
    expect(run([account("a", lowQuota), other], strategy)).toMatchObject({ level: "ignore-floor", delayMs: 0 });
    const emergency = account("a", (s) => (lowQuota(s), unhealthy(s)));
    expect(run([emergency, other], strategy)).toMatchObject({ level: "emergency", delayMs: 250 });
    const lastResort = account("a", (s) => (lowQuota(s), unhealthy(s), drained(s)));
    expect(run([lastResort, other], strategy)).toMatchObject({ accountId: "a", level: "last-resort", delayMs: 500 });
  });

  test("cooled, invalid and disabled accounts are never picked, not even as a last resort", () => {
    const invalid = account("invalid", (s) => {
      s.invalid = { kind: "banned", reason: "tos", at: T0 };
    });
    const disabled = account("disabled", (s) => {
      s.enabled = false;
    });
    const sel = run([account("cooled", cooled), invalid, disabled]);
    expect(sel).toMatchObject({ ok: false, reason: "cooling", earliestResetAt: T0 + 90_000, waitMs: 90_000 });
    if (sel.ok) return;
    expect(sel.skipped.map((s) => s.accountId)).toEqual(["cooled", "invalid", "disabled"]);
    expect(sel.skipped[0]?.why).toContain("cooling for");
    expect(sel.message).toContain("resets at");
  });

  test("when every account is limited, the earliest reset is reported, with waitMs only inside maxWait", () => {
    const far = (ms: number) => (s: AccountState) => {
      s.cooldowns[MODEL] = { until: T0 + ms, reason: "quota_exhausted", hits: 1, since: T0, last429At: T0 };
    };
    const sel = run([account("a", far(5 * HOUR)), account("b", far(3 * HOUR))]);
    expect(sel).toMatchObject({ ok: false, reason: "cooling", earliestResetAt: T0 + 3 * HOUR });
    expect(sel.ok === false && sel.waitMs).toBe(undefined);
    const soon = run([account("a", far(60_000))], "hybrid", { maxWaitMs: 60_000 });
    expect(soon).toMatchObject({ ok: false, waitMs: 60_000 });
  });

  test("no accounts, or only invalid/disabled ones, fail with a reason and no reset time", () => {
    expect(run([])).toMatchObject({ ok: false, reason: "empty" });
    const sel = run([account("x", (s) => void (s.enabled = false))]);
    expect(sel).toMatchObject({ ok: false, reason: "unavailable" });
    expect(sel.ok === false && sel.earliestResetAt).toBe(undefined);
  });

  test("a cooldown for another model does not matter", () => {
    const other = account("a", (s) => {
      s.cooldowns["gemini-3-pro-high"] = { until: T0 + HOUR, reason: "quota_exhausted", hits: 1, since: T0, last429At: T0 };
    });
    expect(run([other])).toMatchObject({ ok: true, accountId: "a", level: "normal" });
  });
});

describe("hybrid scoring", () => {
  test("picks the highest score: min(health, 70)·2 + tokens%·5 + quota·3 + idle·0.1", () => {
    // Same everything but one input each; the better input wins.
    const base = (id: string, patch: (s: AccountState) => void) =>
      account(id, (s) => {
        s.health = { score: 60, updatedAt: T0 };
        s.bucket = { tokens: 40, updatedAt: T0 };
        s.lastUsedAt = T0 - 60_000;
        s.quota[MODEL] = { fraction: 0.5, fetchedAt: T0 };
        patch(s);
      });
    expect(run([base("a", () => {}), base("b", (s) => void (s.health.score = 61))])).toMatchObject({ accountId: "b" });
    expect(run([base("a", () => {}), base("b", (s) => void (s.bucket.tokens = 41))])).toMatchObject({ accountId: "b" });
    expect(run([base("a", () => {}), base("b", (s) => void (s.quota[MODEL]!.fraction = 0.51))])).toMatchObject({ accountId: "b" });
    expect(run([base("a", () => {}), base("b", (s) => void (s.lastUsedAt = T0 - 70_000))])).toMatchObject({ accountId: "b" });
    const sel = run([base("a", () => {}), base("b", (s) => void (s.health.score = 61))]);
    // 61·2 + 80·5 + 50·3 + 60·0.1
    expect(sel.ok && sel.why).toContain("score 678.0");
  });

  test("health above its starting value earns nothing, so successes cannot snowball one account", () => {
    const withHealth = (id: string, score: number) =>
      account(id, (s) => {
        s.health = { score, updatedAt: T0 };
        s.lastUsedAt = T0 - 60_000;
      });
    expect(run([withHealth("a", 70), withHealth("b", 100)])).toMatchObject({ accountId: "a" }); // a tie: first wins
    expect(run([withHealth("a", 69), withHealth("b", 100)])).toMatchObject({ accountId: "b" });
  });
});

describe("explain", () => {
  test("says why each other account was skipped, and only when asked", () => {
    const states = [
      account("low", lowQuota),
      account("sick", unhealthy),
      account("empty", drained),
      account("ok"),
      account("cold", cooled),
    ];
    const sel = run(states);
    expect(sel).toMatchObject({ ok: true, accountId: "ok", level: "normal" });
    if (!sel.ok) return;
    expect(Object.fromEntries(sel.skipped.map((s) => [s.accountId, s.why]))).toEqual({
      low: "quota 3.0% at or below floor 5.0%",
      sick: "health 10 below 50",
      empty: "token bucket empty (0.00 left)",
      cold: expect.stringContaining(`cooling for ${MODEL} until ${new Date(T0 + 90_000).toISOString()} (in 1m30s) after rate_limited`),
    });
    expect(sel.why).toContain("hybrid on the normal level: 1 usable");
    const quiet = selectAccount(new PoolSnapshot(states, { tuning }), { model: MODEL }, { strategy: "hybrid", now: T0, random: () => 0, tuning });
    expect(quiet.skipped).toEqual([]);
    expect(quiet.ok && quiet.why).toBe(undefined);
  });
});
