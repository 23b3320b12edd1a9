/** Key limits as pure arithmetic over a clock: no server, no sleeps. */
import { describe, expect, test } from "bun:test";
import { createLocalLimiter, type AdmitInput } from "../../src/keys/local-limiter.ts";
import { DAY_MS, modelAllowed, untilNextDay } from "../../src/keys/limits.ts";
import { parseBudget, parseExpiry } from "../../src/keys/parse.ts";
import { hashSecret, idOfSecret, newSecret, secretMatches } from "../../src/keys/secret.ts";
import type { KeyLimits, KeyPool } from "../../src/keys/types.ts";

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);
let leases = 0;
const input = (limits: KeyLimits, now: number, pool: KeyPool = "claude"): AdmitInput => ({
  keyId: "k1",
  name: "ana",
  limits,
  pool,
  leaseId: `l${++leases}`,
  now,
});

describe("requests per minute", () => {
  test("the 6th request inside a sliding minute is refused, naming the limit and when it frees up", async () => {
    const limiter = createLocalLimiter();
    for (let i = 0; i < 5; i++) expect((await limiter.admit(input({ rpm: 5 }, T0 + i * 1000))).ok).toBe(true);
    const sixth = await limiter.admit(input({ rpm: 5 }, T0 + 10_000));
    expect(sixth.ok).toBe(false);
    if (sixth.ok) return;
    expect(sixth.limit).toBe("rpm");
    expect(sixth.message).toContain("5 requests per minute");
    // The first request leaves the window 60 s after it started: 50 s from now.
    expect(sixth.retryAfterMs).toBe(50_000);
    expect((await limiter.admit(input({ rpm: 5 }, T0 + 60_000))).ok).toBe(true);
  });

  test("keys are counted apart", async () => {
    const limiter = createLocalLimiter();
    for (let i = 0; i < 2; i++) await limiter.admit(input({ rpm: 2 }, T0));
    expect((await limiter.admit(input({ rpm: 2 }, T0))).ok).toBe(false);
    expect((await limiter.admit({ ...input({ rpm: 2 }, T0), keyId: "k2" })).ok).toBe(true);
  });
});

describe("concurrency", () => {
  test("a slot frees when a request settles", async () => {
    const limiter = createLocalLimiter();
    const a = await limiter.admit(input({ concurrency: 1 }, T0));
    expect(a.ok).toBe(true);
    const b = await limiter.admit(input({ concurrency: 1 }, T0));
    expect(b.ok ? "admitted" : b.limit).toBe("concurrency");
    if (a.ok) await limiter.settle(a.lease, { served: true, tokens: 0 }, T0);
    expect((await limiter.admit(input({ concurrency: 1 }, T0))).ok).toBe(true);
  });
});

describe("daily budgets", () => {
  test("a failed request is refunded; the budget resets at UTC midnight", async () => {
    const limiter = createLocalLimiter();
    const limits = { requestsPerDay: 2 };
    const first = await limiter.admit(input(limits, T0));
    if (first.ok) await limiter.settle(first.lease, { served: false, tokens: 0 }, T0);
    expect((await limiter.admit(input(limits, T0))).ok).toBe(true);
    expect((await limiter.admit(input(limits, T0))).ok).toBe(true);
    const third = await limiter.admit(input(limits, T0));
    expect(third.ok ? "admitted" : third.limit).toBe("requestsPerDay");
    if (!third.ok) expect(third.retryAfterMs).toBe(untilNextDay(T0));
    expect((await limiter.admit(input(limits, T0 + DAY_MS))).ok).toBe(true);
  });

  test("a per-pool budget leaves the other pool alone", async () => {
    const limiter = createLocalLimiter();
    const limits: KeyLimits = { requestsPerDay: { claude: 1 } };
    expect((await limiter.admit(input(limits, T0, "claude"))).ok).toBe(true);
    const again = await limiter.admit(input(limits, T0, "claude"));
    expect(again.ok ? "" : again.message).toContain("1 claude requests");
    expect((await limiter.admit(input(limits, T0, "gemini"))).ok).toBe(true);
  });

  test("tokens charged after the fact close the budget for the next request", async () => {
    const limiter = createLocalLimiter();
    const limits = { tokensPerDay: 1000 };
    expect((await limiter.admit(input(limits, T0))).ok).toBe(true);
    await limiter.charge("k1", "claude", 999, T0);
    expect((await limiter.admit(input(limits, T0))).ok).toBe(true);
    await limiter.charge("k1", "gemini", 1, T0);
    const refused = await limiter.admit(input(limits, T0));
    expect(refused.ok ? "admitted" : refused.limit).toBe("tokensPerDay");
    expect((await limiter.today("k1", T0)).claude).toEqual({ requests: 2, tokens: 999 });
  });
});

describe("models, secrets and parsing", () => {
  test("model globs match the requested name or the upstream id", () => {
    expect(modelAllowed({ models: ["gemini-*flash*"] }, ["claude-haiku-4-5", "gemini-3.8-flash-low"])).toBe(true);
    expect(modelAllowed({ models: ["gemini-*flash*"] }, ["claude-opus-4-1", "claude-opus-5-5-high"])).toBe(false);
    expect(modelAllowed({}, ["anything"])).toBe(true);
  });

  test("a secret names its key, matches only its own hash, and the hash does not contain it", () => {
    const s = newSecret();
    expect(idOfSecret(s.secret)).toBe(s.id);
    expect(secretMatches(s.secret, s.hash)).toBe(true);
    expect(secretMatches(`${s.secret}x`, s.hash)).toBe(false);
    expect(s.hash).toBe(hashSecret(s.secret));
    expect(s.hash).not.toContain(s.secret.slice(-20));
    expect(idOfSecret("sk-ant-something")).toBeUndefined();
  });

  test("budgets and expiry as typed on the command line", () => {
    expect(parseBudget("300")).toBe(300);
    expect(parseBudget("claude=300, gemini=1000")).toEqual({ claude: 300, gemini: 1000 });
    expect(() => parseBudget("opus=3")).toThrow("pool=number");
    expect(parseExpiry("7d", T0)).toBe(T0 + 7 * DAY_MS);
    expect(parseExpiry("2026-12-04T00:00:00Z", T0)).toBe(Date.UTC(2026, 11, 4));
    expect(() => parseExpiry("friday", T0)).toThrow("duration");
  });
});
