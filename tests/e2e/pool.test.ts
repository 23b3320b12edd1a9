// Issue 4 acceptance through real HTTP: the pool's strategies and failover as clients and upstream see them.
import type Anthropic from "@anthropic-ai/sdk";
import { describe, expect, test } from "bun:test";
import type { AgcpConfig } from "../../src/config/types.ts";
import type { SimAccountInit } from "../../src/sim/index.ts";
import type { Stack } from "../support/stack.ts";
import { fullAccounts, generatesByAccount, parseEvents, quotaLoaded, rawStream, simAccounts, stacksClosedAfterEach, waitFor } from "./helpers.ts";

const MODEL = "claude-sonnet-4-6";
const HOUR = 3_600_000;

/** Buckets big enough that the 6/min default refill does not throttle a test's burst into seconds. */
const ROOMY: AgcpConfig["pool"] = { bucket: { max: 1000, initial: 1000 } };

const stackOf = stacksClosedAfterEach();

interface Sent {
  account: string;
  attempts: number;
}

/** One request through the SDK, streaming or not; returns which account served it. */
async function send(stack: Stack, opts: { stream?: boolean; content?: string; model?: string; client?: Anthropic } = {}): Promise<Sent> {
  const client = opts.client ?? stack.client;
  const params = { model: opts.model ?? MODEL, max_tokens: 64, messages: [{ role: "user" as const, content: opts.content ?? `hello ${Math.random()}` }] };
  if (opts.stream) {
    const { data, response } = await client.messages.stream(params).withResponse();
    const final = await data.finalMessage();
    expect(final.stop_reason).toBe("end_turn");
    return { account: response.headers.get("x-agcp-account") ?? "", attempts: Number(response.headers.get("x-agcp-attempts")) };
  }
  const { data, response } = await client.messages.create(params).withResponse();
  expect(data.type).toBe("message");
  return { account: response.headers.get("x-agcp-account") ?? "", attempts: Number(response.headers.get("x-agcp-attempts")) };
}

/** Runs `count` jobs with at most `concurrency` in flight. */
async function pooled<T>(count: number, concurrency: number, job: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) out[i] = await job(i);
    }),
  );
  return out;
}

function tally(sent: Sent[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const s of sent) t[s.account] = (t[s.account] ?? 0) + 1;
  return t;
}

describe("pool acceptance (real HTTP, simulator upstream)", () => {
  test("5 accounts, 3 at 0 %: 500 mixed requests all succeed; exhausted accounts get at most one generate each", async () => {
    const accounts: SimAccountInit[] = fullAccounts(5, "mix").map((a, i) => (i < 3 ? { ...a, quota: { [MODEL]: 0 } } : a));
    // No waiting for the first quota read: requests race it, as they would right after a start.
    const stack = await stackOf({ accounts, config: { pool: ROOMY } });
    const sent = await pooled(500, 8, (i) => send(stack, { stream: i % 2 === 0 }));
    expect(sent).toHaveLength(500);
    const byAccount = tally(sent);
    expect(Object.keys(byAccount).sort()).toEqual(["mix4@agcp.test", "mix5@agcp.test"]);

    const generates = await generatesByAccount(stack);
    for (const a of accounts.slice(0, 3)) expect(generates[a.email]).toBeLessThanOrEqual(1);
    // Each exhausted account is cooled until upstream's reset, not a guessed backoff.
    for (const a of accounts.slice(0, 3)) {
      const view = stack.agcp.runtime.pool.account(a.email)!;
      expect(view.status).toBe("cooling");
      // Quota is per pool upstream: the whole Claude pool is out, not just MODEL.
      expect(view.pools.claude!.status).toBe("out");
      expect(view.pools.claude!.until! - Date.now()).toBeGreaterThan(HOUR);
    }
  });

  test("an account that runs out mid-burst: only requests already in flight meet its 429, none after it cooled", async () => {
    const stack = await stackOf({ accounts: fullAccounts(3, "mid"), config: { pool: ROOMY } });
    const CONCURRENCY = 8;
    const sent = await pooled(200, CONCURRENCY, async (i) => {
      if (i === 50) await stack.control("/accounts/mid1@agcp.test", { body: { quota: { [MODEL]: 0 }, resetInMs: HOUR } });
      return send(stack, { stream: i % 2 === 0 });
    });
    expect(sent).toHaveLength(200);
    const view = (await simAccounts(stack)).find((a) => a.email === "mid1@agcp.test")!;
    const refused = view.counters.rateLimited.QUOTA_EXHAUSTED ?? 0;
    expect(refused).toBeGreaterThanOrEqual(1);
    expect(refused).toBeLessThanOrEqual(CONCURRENCY);
    const before = (await generatesByAccount(stack))["mid1@agcp.test"];
    await pooled(40, 4, () => send(stack));
    expect((await generatesByAccount(stack))["mid1@agcp.test"]).toBe(before);
  });

  test("every account limited with a reset due soon: the stream waits with pings, then answers", async () => {
    const accounts = fullAccounts(2, "wt");
    const stack = await stackOf({ accounts, config: { pool: ROOMY, server: { pingIntervalMs: 100 } } });
    await quotaLoaded(stack, MODEL);
    for (const a of accounts) await stack.control(`/accounts/${a.email}`, { body: { quota: { [MODEL]: 0 }, resetInMs: 1_200 } });
    const started = Date.now();
    const res = await rawStream(stack.url, { model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "wait for me" }] });
    expect(res.status).toBe(200);
    const events = parseEvents(await res.text());
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    const firstStart = events.findIndex((e) => e.event === "message_start");
    expect(events.slice(0, firstStart).filter((e) => e.event === "ping").length).toBeGreaterThanOrEqual(3);
    expect(events.at(-1)?.event).toBe("message_stop");
  });

  test("every account limited beyond pool.maxWaitMs: an immediate 429 instead of a long sleep", async () => {
    const accounts = fullAccounts(2, "mw");
    const stack = await stackOf({ accounts, config: { pool: { ...ROOMY, maxWaitMs: 500 } } });
    await quotaLoaded(stack, MODEL);
    // agcp still believes both are full: the request meets both 429s, then must not sleep 5 s.
    for (const a of accounts) await stack.control(`/accounts/${a.email}`, { body: { quota: { [MODEL]: 0 }, resetInMs: 5_000 } });
    const started = Date.now();
    const err = await stack.client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "no wait" }] }).catch((e) => e);
    expect(Date.now() - started).toBeLessThan(2_000); // the reset is 5 s away
    expect(err.status).toBe(429);
    expect(Number(err.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(err.headers.get("retry-after"))).toBeLessThanOrEqual(5);
  });

  test("round-robin over 4 healthy accounts: 400 requests split 100 ± 1 each", async () => {
    const stack = await stackOf({ accounts: fullAccounts(4, "rr"), config: { strategy: "round-robin", pool: ROOMY } });
    const sent = await pooled(400, 4, (i) => send(stack, { stream: i % 3 === 0 }));
    const byHeader = tally(sent);
    expect(Object.keys(byHeader)).toHaveLength(4);
    for (const n of Object.values(byHeader)) expect(Math.abs(n - 100)).toBeLessThanOrEqual(1);
    const generates = await generatesByAccount(stack);
    for (const n of Object.values(generates)) expect(Math.abs(n - 100)).toBeLessThanOrEqual(1);
  });

  test("sticky: a session stays on one account until it is limited, then moves once and stays", async () => {
    const stack = await stackOf({ accounts: fullAccounts(3, "st"), config: { strategy: "sticky", pool: ROOMY } });
    const conversation = "a conversation that must keep its prompt cache";
    const first: Sent[] = [];
    for (let i = 0; i < 6; i++) first.push(await send(stack, { content: conversation, stream: i % 2 === 1 }));
    const home = first[0]!.account;
    expect(first.every((s) => s.account === home && s.attempts === 1)).toBe(true);

    await stack.control(`/accounts/${home}`, { body: { quota: { [MODEL]: 0 }, resetInMs: HOUR } });
    const before = (await generatesByAccount(stack))[home]!;
    const after: Sent[] = [];
    for (let i = 0; i < 6; i++) after.push(await send(stack, { content: conversation, stream: i % 2 === 0 }));
    const moved = after[0]!.account;
    expect(moved).not.toBe(home);
    expect(after[0]!.attempts).toBe(2);
    expect(after.slice(1).every((s) => s.account === moved && s.attempts === 1)).toBe(true);
    // The limited account was asked exactly once (the 429 that moved the session).
    expect((await generatesByAccount(stack))[home]! - before).toBe(1);
  });

  test("hybrid: an account at 4 % with a 5 % floor gets no traffic while others have quota", async () => {
    const accounts = fullAccounts(3, "hy").map((a, i) => (i === 0 ? { ...a, quota: { [MODEL]: 0.04 } } : a));
    const stack = await stackOf({ accounts, config: { strategy: "hybrid", quota: { floor: 0.05 }, pool: ROOMY } });
    await quotaLoaded(stack, MODEL);
    const low = stack.agcp.runtime.pool.account("hy1@agcp.test")!;
    expect(low.quota[MODEL]!.fraction).toBeCloseTo(0.04, 5);
    expect(low.status).toBe("low-quota");

    const sent = await pooled(60, 4, (i) => send(stack, { stream: i % 2 === 0 }));
    const byAccount = tally(sent);
    expect(byAccount["hy1@agcp.test"]).toBeUndefined();
    expect(byAccount["hy2@agcp.test"]).toBeGreaterThan(10);
    expect(byAccount["hy3@agcp.test"]).toBeGreaterThan(10);
    expect((await generatesByAccount(stack))["hy1@agcp.test"]).toBe(0);
  });

  test("a revoked refresh token marks the account invalid with the reason; it is skipped and others serve", async () => {
    const accounts = fullAccounts(3, "rv").map((a, i) => (i === 0 ? { ...a, revoked: true } : a));
    const stack = await stackOf({ accounts, config: { pool: ROOMY } });
    const sent = await pooled(30, 3, (i) => send(stack, { stream: i % 2 === 0 }));
    expect(sent.every((s) => s.account !== "rv1@agcp.test")).toBe(true);
    const invalid = await waitFor("rv1 to be marked invalid", () => stack.agcp.runtime.pool.account("rv1@agcp.test")?.invalid);
    expect(invalid.kind).toBe("auth_revoked");
    expect(invalid.reason).toMatch(/revoked|invalid_grant/i);
    expect(invalid.reason).not.toContain(accounts[0]!.refreshToken);
    expect(stack.agcp.runtime.pool.account("rv1@agcp.test")!.status).toBe("invalid");
    expect((await generatesByAccount(stack))["rv1@agcp.test"]).toBe(0);

    // Revoked while running: the next request that meets it fails over, and the account goes out too.
    await stack.control("/accounts/rv2@agcp.test", { body: { revoked: true } });
    const later = await pooled(20, 2, () => send(stack));
    expect(later.every((s) => s.account === "rv3@agcp.test")).toBe(true);
    expect(stack.agcp.runtime.pool.account("rv2@agcp.test")!.invalid?.kind).toBe("auth_revoked");
  });

  test("hybrid keeps a conversation on its account (prompt caching) while other traffic spreads", async () => {
    const stack = await stackOf({ accounts: fullAccounts(3, "af"), config: { strategy: "hybrid", pool: ROOMY } });
    const conversation: Sent[] = [];
    const others: Sent[] = [];
    for (let i = 0; i < 10; i++) {
      conversation.push(await send(stack, { content: "the same conversation every turn", stream: i % 2 === 0 }));
      others.push(await send(stack));
      others.push(await send(stack));
    }
    expect(new Set(conversation.map((s) => s.account)).size).toBe(1);
    expect(Object.keys(tally(others)).length).toBeGreaterThan(1);
    // Upstream saw one session on that account, so it could serve the prompt from cache.
    const home = (await simAccounts(stack)).find((a) => a.email === conversation[0]!.account)!;
    expect(home.counters.lastGenerateBody.request.sessionId).toMatch(/^-\d{1,19}$/);
  });

  test("an account needing verification is taken out with the link; a rate-limited one is routed around", async () => {
    const accounts = fullAccounts(3, "vr").map((a, i) => (i === 0 ? { ...a, validationRequired: true } : i === 1 ? { ...a, rateLimitPerMinute: 3 } : a));
    const stack = await stackOf({ accounts, config: { pool: ROOMY } });
    const sent = await pooled(30, 2, (i) => send(stack, { stream: i % 2 === 0 }));
    expect(sent).toHaveLength(30);
    const invalid = await waitFor("vr1 invalid", () => stack.agcp.runtime.pool.account("vr1@agcp.test")?.invalid);
    expect(invalid.kind).toBe("verification_required");
    expect(invalid.url).toContain("/__sim/validate/");
    const generates = await generatesByAccount(stack);
    expect(generates["vr2@agcp.test"]).toBeLessThanOrEqual(4); // 3 allowed + the one 429 that cooled it
    expect(stack.agcp.runtime.pool.account("vr2@agcp.test")!.cooldowns[MODEL]?.reason).toBe("rate_limited");
  });

  test("a burst of upstream 500s cools at most half the pool; requests work again when upstream does", async () => {
    const stack = await stackOf({
      accounts: fullAccounts(4, "se"),
      config: { pool: { ...ROOMY, ladder: { emergencyDelayMs: 10, lastResortDelayMs: 20 } } },
    });
    await quotaLoaded(stack, MODEL);
    await stack.control("/faults", { body: { serverError: true } });
    const results = await pooled(6, 3, () => send(stack).catch((e) => e));
    for (const r of results) expect((r as { status?: number }).status).toBe(500);
    const cooled = stack.agcp.runtime.pool.accounts().filter((a) => a.cooldowns[MODEL] !== undefined);
    expect(cooled.length).toBeLessThanOrEqual(2);
    await stack.control("/faults", { method: "PATCH", body: null });
    const ok = await send(stack);
    expect(ok.account).toMatch(/^se\d@agcp\.test$/);
  });

  test("an account limited for 1 h whose quota comes back returns within the probe interval, no restart", async () => {
    const PROBE_MS = 300;
    const stack = await stackOf({
      accounts: fullAccounts(2, "pr"),
      // A slow regular refresh, so only the early probe can bring the account back this fast.
      config: { strategy: "round-robin", pool: { ...ROOMY, probeAfterMs: PROBE_MS, quotaRefresh: { intervalMs: 600_000, jitter: 0 } } },
    });
    await quotaLoaded(stack, MODEL);
    await stack.control("/accounts/pr1@agcp.test", { body: { quota: { [MODEL]: 0 }, resetInMs: HOUR } });
    await pooled(4, 1, () => send(stack));
    const cooled = stack.agcp.runtime.pool.account("pr1@agcp.test")!;
    expect(cooled.pools.claude?.reason).toBe("quota_exhausted");
    expect(cooled.pools.claude!.until! - Date.now()).toBeGreaterThan(HOUR - 60_000);

    await stack.control("/accounts/pr1@agcp.test", { body: { quota: { [MODEL]: 1 } } });
    const restoredAt = Date.now();
    // The refresher looks every second; the probe is due PROBE_MS after the last look.
    await waitFor("pr1 back in rotation", () => stack.agcp.runtime.pool.account("pr1@agcp.test")!.status === "available", PROBE_MS + 2_000);
    expect(Date.now() - restoredAt).toBeLessThanOrEqual(PROBE_MS + 1_500);
    const sent = await pooled(4, 1, () => send(stack));
    expect(tally(sent)["pr1@agcp.test"]).toBe(2);
  });

  test("capacity errors are retried and the request succeeds", async () => {
    const stack = await stackOf({ accounts: fullAccounts(2, "cap"), config: { pool: { ...ROOMY, capacityRetryDelaysMs: [20, 20, 20] } } });
    for (const capacity of ["429", "503"] as const) {
      await stack.control("/faults", { body: { capacity, failNext: 2 } });
      const res = await send(stack, { stream: capacity === "503" });
      expect(res.attempts).toBe(3);
    }
    const stats = await stack.control("/stats");
    expect(stats.rateLimited.MODEL_CAPACITY_EXHAUSTED).toBe(2);
  });

  test("the fallback model answers when every account is limited for the requested one", async () => {
    const opus = "claude-opus-4-6-thinking";
    // An empty Claude pool refuses every Claude model, so the fallback that helps is in the other pool.
    const fallback = "gemini-3-flash";
    const accounts = fullAccounts(2, "fb").map((a) => ({ ...a, quota: { [opus]: 0 } }));
    const stack = await stackOf({ accounts, config: { pool: ROOMY, models: { fallback: { [opus]: fallback } } } });
    const { data, response } = await stack.client.messages
      .create({ model: opus, max_tokens: 64, messages: [{ role: "user", content: "fall back please" }] })
      .withResponse();
    expect(data.type).toBe("message");
    const served = (await simAccounts(stack)).find((a) => a.email === response.headers.get("x-agcp-account"));
    expect(served?.counters.lastGenerateBody.model).toBe(fallback);
    expect(served?.counters.successfulGenerates).toBe(1);
  });
});
