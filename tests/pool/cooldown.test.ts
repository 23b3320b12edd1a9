import { describe, expect, test } from "bun:test";
import { applyFailure, applySuccess } from "../../src/pool/cooldown.ts";
import { newAccountState } from "../../src/pool/state.ts";
import type { AccountState } from "../../src/pool/types.ts";
import { MODEL, POOL_KEY, T0, tuning, upstreamError } from "./helpers.ts";

const SEC = 1000;
const MIN = 60 * SEC;
const ctx = { poolSize: 10, nonQuotaCooled: 0 };
const fresh = (): AccountState => newAccountState({ id: "a" }, T0, tuning);
const fail = (s: AccountState, kind: Parameters<typeof upstreamError>[0], now: number, extra = {}, c = ctx, random = () => 0.5) =>
  applyFailure(s, MODEL, upstreamError(kind, extra), now, random, tuning, c);

describe("cooldown length", () => {
  test("an upstream reset hint wins over the backoff table", () => {
    const s = fresh();
    const out = fail(s, "quota_exhausted", T0, { status: 429, resetAt: T0 + 3 * 3600_000 });
    expect(out).toEqual({ action: "cooled", until: T0 + 3 * 3600_000, reason: "quota_exhausted", hits: 1, deduped: false });
    expect(s.cooldowns[POOL_KEY]?.until).toBe(T0 + 3 * 3600_000);
  });

  test("repeated quota exhaustion without a hint escalates 60 s → 5 min → 30 min → 2 h and stays at 2 h", () => {
    const s = fresh();
    let now = T0;
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const out = fail(s, "quota_exhausted", now, { status: 429 });
      if (out.action !== "cooled") throw new Error("expected a cooldown");
      seen.push(out.until - now);
      now = out.until + SEC; // fails again right after it lifts
    }
    expect(seen).toEqual([MIN, 5 * MIN, 30 * MIN, 120 * MIN, 120 * MIN]);
  });

  test("a success after the cooldown ends forgets the escalation", () => {
    const s = fresh();
    fail(s, "quota_exhausted", T0, { status: 429 });
    applySuccess(s, MODEL, T0 + 2 * MIN, tuning);
    const out = fail(s, "quota_exhausted", T0 + 3 * MIN, { status: 429 });
    expect(out).toMatchObject({ action: "cooled", until: T0 + 4 * MIN, hits: 1 });
  });

  test("a success while the cooldown still runs does not lift it", () => {
    const s = fresh();
    fail(s, "rate_limited", T0, { status: 429 });
    applySuccess(s, MODEL, T0 + SEC, tuning);
    expect(s.cooldowns[MODEL]?.until).toBe(T0 + 30 * SEC);
  });

  test("short rate limit 30 s, capacity 15 s ± 5 s, server error 20 s, 401 after refresh 60 s", () => {
    expect(fail(fresh(), "rate_limited", T0, { status: 429 })).toMatchObject({ until: T0 + 30 * SEC });
    expect(fail(fresh(), "capacity", T0, { status: 429 }, ctx, () => 0)).toMatchObject({ until: T0 + 10 * SEC });
    expect(fail(fresh(), "capacity", T0, { status: 503 }, ctx, () => 0.999_999)).toMatchObject({ until: T0 + 20 * SEC - 0.01 });
    expect(fail(fresh(), "server", T0, { status: 500 })).toMatchObject({ until: T0 + 20 * SEC, reason: "server" });
    expect(fail(fresh(), "unauthenticated", T0, { status: 401 })).toMatchObject({ until: T0 + 60 * SEC });
  });

  test("a later, shorter limit never shortens a cooldown in force", () => {
    const s = fresh();
    fail(s, "quota_exhausted", T0, { status: 429, resetAt: T0 + 3600_000 });
    fail(s, "quota_exhausted", T0 + 10 * SEC, { status: 429, resetAt: T0 + 10 * MIN });
    fail(s, "server", T0 + 20 * SEC, { status: 500 });
    expect(s.cooldowns[POOL_KEY]).toMatchObject({ until: T0 + 3600_000, reason: "quota_exhausted" });
    // The server error cools the model on its own record; the pool's quota cooldown is untouched.
    expect(s.cooldowns[MODEL]).toMatchObject({ reason: "server" });
  });
});

describe("what counts", () => {
  test("429s from the same account and model within 2 s count once", () => {
    const s = fresh();
    fail(s, "quota_exhausted", T0, { status: 429 });
    const dup = fail(s, "quota_exhausted", T0 + 1_999, { status: 429 });
    expect(dup).toMatchObject({ action: "cooled", deduped: true, hits: 1, until: T0 + MIN });
    expect(s.health.score).toBe(60); // one penalty, not two
    const later = fail(s, "quota_exhausted", T0 + 2_000, { status: 429 });
    expect(later).toMatchObject({ deduped: false, hits: 2 });
    expect(s.health.score).toBeCloseTo(50, 1); // plus 2 s of recovery
  });

  test("three consecutive server/network failures cool the model for 60 s; a success resets the streak", () => {
    const s = fresh();
    expect(fail(s, "network", T0)).toMatchObject({ action: "penalized" });
    applySuccess(s, MODEL, T0, tuning);
    expect(s.consecutiveFailures).toBe(0);
    fail(s, "network", T0);
    fail(s, "empty_response", T0);
    expect(s.cooldowns[MODEL]).toBeUndefined();
    expect(fail(s, "network", T0)).toMatchObject({ action: "cooled", until: T0 + 60 * SEC, reason: "network" });
    expect(s.consecutiveFailures).toBe(0);
  });

  test("bad_request changes nothing at all", () => {
    const s = fresh();
    const before = structuredClone(s);
    expect(fail(s, "bad_request", T0, { status: 400 })).toMatchObject({ action: "ignored" });
    expect(s).toEqual(before);
  });

  test.each(["auth_revoked", "verification_required", "banned"] as const)("%s marks the account invalid", (kind) => {
    const s = fresh();
    const out = fail(s, kind, T0, { validationUrl: "https://example.test/verify" });
    expect(out).toEqual({ action: "invalidated", kind });
    expect(s.invalid).toEqual({ kind, reason: `${kind} for test`, url: "https://example.test/verify", at: T0 });
  });

  test("health: −10 per rate limit, −20 per other failure, nothing for upstream-wide capacity", () => {
    const a = fresh();
    fail(a, "rate_limited", T0, { status: 429 });
    expect(a.health.score).toBe(60);
    const b = fresh();
    fail(b, "server", T0, { status: 500 });
    expect(b.health.score).toBe(50);
    const c = fresh();
    fail(c, "capacity", T0, { status: 503 });
    expect(c.health.score).toBe(70);
  });
});

describe("non-quota cooling cap", () => {
  test("non-quota errors cool at most half the pool for a model", () => {
    const atCap = { poolSize: 4, nonQuotaCooled: 2 };
    const s = fresh();
    const out = fail(s, "server", T0, { status: 500 }, atCap);
    expect(out).toEqual({ action: "penalized", why: "non-quota cooling cap reached for this model" });
    expect(s.cooldowns[MODEL]).toBeUndefined();
    expect(s.health.score).toBe(50); // still counted against its health
    expect(fail(fresh(), "server", T0, { status: 500 }, { poolSize: 4, nonQuotaCooled: 1 })).toMatchObject({ action: "cooled" });
  });

  test("quota errors are never capped: upstream said this account is out", () => {
    const out = fail(fresh(), "quota_exhausted", T0, { status: 429 }, { poolSize: 4, nonQuotaCooled: 4 });
    expect(out).toMatchObject({ action: "cooled" });
  });

  test("a single-account pool is never cooled by non-quota errors", () => {
    expect(fail(fresh(), "capacity", T0, { status: 503 }, { poolSize: 1, nonQuotaCooled: 0 })).toMatchObject({ action: "penalized" });
  });
});
