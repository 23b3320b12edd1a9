// /account-limits, /api/*, /metrics and the console page served by a real agcp over a real simulator.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { UpstreamError } from "../../src/upstream/errors.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { expectNoSecrets, parseExposition, simSecrets, sum } from "./helpers.ts";

const KEY = "monitoring-test-key";
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ config: { apiKey: KEY } });
});
afterAll(async () => {
  await stack?.close();
});

async function get(path: string, init: RequestInit & { key?: string | null } = {}) {
  const key = init.key === undefined ? KEY : init.key;
  const headers = new Headers(init.headers);
  if (key !== null) headers.set("x-api-key", key);
  // Like the console: every change is declared JSON, body or not (agcp refuses undeclared ones).
  if (init.method !== undefined && init.method !== "GET") headers.set("content-type", "application/json");
  return fetch(`${stack.url}${path}`, { ...init, headers });
}

async function json(path: string, init: RequestInit & { key?: string | null } = {}): Promise<any> {
  const res = await get(path, init);
  return { status: res.status, body: await res.json() };
}

async function quotaCalls(): Promise<number> {
  const accounts: Array<{ counters: { requests: Record<string, number> } }> = await stack.control("/accounts");
  return accounts.reduce((n, a) => n + (a.counters.requests.fetchAvailableModels ?? 0), 0);
}

describe("/account-limits", () => {
  test("?refresh=1 reads quota upstream first; plain requests answer from cache", async () => {
    const before = await quotaCalls();
    const { status, body } = await json("/account-limits?refresh=1");
    expect(status).toBe(200);
    expect(await quotaCalls()).toBeGreaterThanOrEqual(before + 3);
    expect(body.summary.total).toBe(3);
    expect(body.models).toContain("claude-opus-4-6-thinking");
    const demo2 = body.accounts.find((a: any) => a.label === "demo2@agcp.test");
    expect(demo2.tier).toBe("ultra");
    // quotaInfo is the pool's 5-hour value; the weekly window, nearly spent, comes from the summary.
    expect(demo2.quota["claude-opus-4-6-thinking"].remaining).toBeCloseTo(0.6, 5);
    const windows = (a: any) => Object.fromEntries(a.windows.map((w: any) => [`${w.pool}/${w.window}`, w.remaining]));
    expect(windows(demo2)).toEqual({ "gemini/5h": 1, "gemini/weekly": 1, "claude/5h": 0.6, "claude/weekly": 0.04 });
    for (const w of demo2.windows) expect(Date.parse(w.resetAt)).toBeGreaterThan(Date.now());
    expect(demo2.status).toBe("low-quota");
    expect(demo2.reason).toBe("claude weekly window at its floor (4%)");
    expect(demo2.pools.claude.status).toBe("low");
    // Free tier: weekly windows only; its Claude models (no fraction in quotaInfo) read the window, not 0.
    const demo3 = body.accounts.find((a: any) => a.label === "demo3@agcp.test");
    expect(windows(demo3)).toEqual({ "gemini/weekly": 0.3, "claude/weekly": 0.4 });
    expect(demo3.quota["claude-sonnet-4-6"].remaining).toBeCloseTo(0.4, 5);
    expect(demo3.pools.claude.status).toBe("available");
    expect(body.summary.pools.claude).toEqual({ available: 3, low: 1, out: 0, nextBackAt: null });

    const settled = await quotaCalls();
    for (let i = 0; i < 3; i++) expect((await get("/account-limits")).status).toBe(200);
    expect(await get("/account-limits?format=table").then((r) => r.status)).toBe(200);
    expect(await quotaCalls()).toBe(settled);
  });

  test("?format=table is aligned text with the summary, every account and the quota matrix", async () => {
    const res = await get("/account-limits?format=table&refresh=1");
    expect(res.headers.get("content-type")).toStartWith("text/plain");
    const text = await res.text();
    expect(text.split("\n")[0]).toMatch(/^3 accounts: 3 usable, 0 invalid · gemini: 3 available · claude: 3 available \(1 low\)/);
    for (const label of ["demo1@agcp.test", "demo2@agcp.test", "demo3@agcp.test"]) expect(text).toContain(label);
    expect(text).toMatch(/^ACCOUNT\s+TIER\s+HEALTH\s+TOKENS\s+LAST USED\s+NEXT RESET\s+STATUS$/m);
    // Both windows per pool; free tier (demo3) has no 5-hour window.
    expect(text).toMatch(/^POOL\s+WINDOW\s+demo1@agcp.test\s+demo2@agcp.test\s+demo3@agcp.test$/m);
    expect(text).toMatch(/^claude\s+5h\s+100%\s+60%\s+-$/m);
    expect(text).toMatch(/^claude\s+weekly\s+100%\s+4% \(resets in \dd\d\dh\)\s+40%$/m);
    expect(text).toMatch(/^gemini\s+weekly\s+100%\s+100%\s+30%$/m);
    expect(text).toMatch(/^claude-opus-4-6-thinking\s+100%\s+60%\s+40%$/m);
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(120);
    const narrow = await (await get("/account-limits?format=table&width=80")).text();
    for (const line of narrow.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  });

  test("a bad format or width is a 400 that names the parameter", async () => {
    const bad = await json("/account-limits?format=xml");
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/^format:/) } });
    expect((await json("/account-limits?width=wide")).body.error.message).toStartWith("width:");
  });
});

describe("API key", () => {
  test("data endpoints need it; the console page and HEAD / do not", async () => {
    for (const path of ["/account-limits", "/account-limits?format=table", "/api/accounts", "/metrics"]) {
      const res = await json(path, { key: null });
      expect(res.status).toBe(401);
      expect(res.body.error.type).toBe("authentication_error");
      expect((await json(path, { key: "wrong" })).status).toBe(401);
    }
    const put = await json("/api/strategy", { key: null, method: "PUT", body: JSON.stringify({ strategy: "sticky" }) });
    expect(put.status).toBe(401);
    expect(stack.agcp.runtime.pool.strategy).toBe("reset-aware");

    const page = await get("/", { key: null });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toStartWith("text/html");
    expect(page.headers.get("content-security-policy")).toContain("connect-src 'self'");
    const html = await page.text();
    expect(html).toContain("<title>agcp");
    // Self-contained: nothing loaded from elsewhere.
    expect(html).not.toMatch(/<(script|link)[^>]+(src|href)="(https?:)?\/\//);
    expect((await fetch(stack.url, { method: "HEAD" })).status).toBe(200);
  });

  test("Authorization: Bearer works as well as x-api-key", async () => {
    const res = await fetch(`${stack.url}/api/accounts`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(res.status).toBe(200);
  });
});

describe("/api", () => {
  test("GET /api/accounts is the report plus the strategies to choose from", async () => {
    const { status, body } = await json("/api/accounts");
    expect(status).toBe(200);
    expect(body.strategies).toEqual(["hybrid", "sticky", "round-robin", "reset-aware"]);
    expect(body.accounts.map((a: any) => a.id)).toEqual(["demo1@agcp.test", "demo2@agcp.test", "demo3@agcp.test"]);
    expect(Object.keys(body.accounts[0]).sort()).toEqual(
      ["consecutiveFailures", "cooldowns", "enabled", "fix", "forecast", "health", "id", "inFlight", "invalid", "label", "lastUsedAt", "nextResetAt", "pools", "quota", "reason", "status", "tier", "tokens", "windows"].sort(),
    );
  });

  test("PUT /api/strategy changes what /account-limits reports; unknown names are a 400 naming the field", async () => {
    const ok = await json("/api/strategy", { method: "PUT", body: JSON.stringify({ strategy: "round-robin" }) });
    expect(ok).toEqual({ status: 200, body: { strategy: "round-robin", strategies: ["hybrid", "sticky", "round-robin", "reset-aware"] } });
    expect((await json("/account-limits")).body.strategy).toBe("round-robin");
    expect(stack.agcp.runtime.pool.strategy).toBe("round-robin");

    const unknown = await json("/api/strategy", { method: "PUT", body: JSON.stringify({ strategy: "fastest" }) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toEqual({ type: "invalid_request_error", message: expect.stringMatching(/^strategy: expected one of "hybrid", "sticky", "round-robin", "reset-aware", found "fastest"$/) });
    const missing = await json("/api/strategy", { method: "PUT", body: JSON.stringify({}) });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toStartWith("strategy:");
    const wrongType = await json("/api/strategy", { method: "PUT", body: JSON.stringify({ strategy: 3 }) });
    expect(wrongType.body.error.message).toStartWith("strategy:");
    expect((await json("/api/strategy", { method: "PUT", body: "{not json" })).status).toBe(400);
    expect(stack.agcp.runtime.pool.strategy).toBe("round-robin");

    await json("/api/strategy", { method: "PUT", body: JSON.stringify({ strategy: "hybrid" }) });
  });

  test("disable, enable and reset an account; unknown ids are a 404", async () => {
    const id = encodeURIComponent("demo1@agcp.test");
    const disabled = await json(`/api/accounts/${id}/disable`, { method: "POST" });
    expect(disabled.status).toBe(200);
    expect(disabled.body).toMatchObject({ id: "demo1@agcp.test", enabled: false, status: "disabled" });
    expect((await json("/account-limits")).body.summary.disabled).toBe(1);
    const enabled = await json(`/api/accounts/${id}/enable`, { method: "POST" });
    expect(enabled.body).toMatchObject({ enabled: true });
    expect(enabled.body.status).not.toBe("disabled");

    const rt = stack.agcp.runtime;
    rt.pool.reportFailure(
      "demo3@agcp.test",
      "claude-sonnet-4-6",
      new UpstreamError({ kind: "quota_exhausted", message: "quota", status: 429, resetAt: Date.now() + 3_600_000 }),
    );
    expect((await json("/api/accounts")).body.accounts[2].status).toBe("cooling");
    const reset = await json(`/api/accounts/${encodeURIComponent("demo3@agcp.test")}/reset`, { method: "POST" });
    expect(reset.status).toBe(200);
    expect(reset.body.cooldowns).toEqual([]);
    expect(reset.body.status).toBe("available");

    const missing = await json("/api/accounts/nobody/disable", { method: "POST" });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toEqual({ type: "not_found_error", message: 'account: "nobody" not found' });
  });

  test("POST /api/quota/refresh re-reads quota and answers the fresh report", async () => {
    const before = await quotaCalls();
    const { status, body } = await json("/api/quota/refresh", { method: "POST" });
    expect(status).toBe(200);
    expect(body.accounts).toHaveLength(3);
    expect(body.strategies).toHaveLength(4);
    expect(await quotaCalls()).toBeGreaterThanOrEqual(before + 3);
  });
});

describe("/metrics", () => {
  test("parses as Prometheus text and its counts move with traffic", async () => {
    const read = async () => {
      const res = await get("/metrics");
      expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
      return parseExposition(await res.text());
    };
    const before = await read();
    for (const family of ["agcp_requests_total", "agcp_upstream_latency_seconds", "agcp_time_to_first_byte_seconds", "agcp_upstream_errors_total", "agcp_tokens_total", "agcp_accounts"]) {
      expect(before.types.has(family)).toBe(true);
    }
    expect(before.types.get("agcp_upstream_latency_seconds")).toBe("histogram");

    const msg = await stack.client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 32, messages: [{ role: "user", content: "hi" }] });
    expect(msg.type).toBe("message");
    // Every account out of quota for one model: upstream answers 429 QUOTA_EXHAUSTED to each.
    for (const email of ["demo1@agcp.test", "demo2@agcp.test", "demo3@agcp.test"]) {
      await stack.control(`/accounts/${email}`, { body: { quota: { "gemini-3-flash": 0 }, resetInMs: 3_600_000 } });
    }
    // Streamed, because that path records failed requests too (see the report on non-streaming ones).
    const failed = await (async () => {
      const stream = await stack.client.messages.create({ model: "gemini-3-flash", max_tokens: 32, stream: true, messages: [{ role: "user", content: "hi" }] });
      for await (const _ of stream);
    })().catch((e) => e);
    expect(failed.status).toBe(429);

    const after = await read();
    const grew = (name: string, match: Record<string, string> = {}) => sum(after, name, match) - sum(before, name, match);
    expect(grew("agcp_requests_total", { model: "claude-sonnet-4-6", outcome: "ok" })).toBe(1);
    expect(after.samples.find((s) => s.name === "agcp_requests_total" && s.labels.model === "claude-sonnet-4-6")!.labels.account).toMatch(/^demo\d@agcp\.test$/);
    expect(grew("agcp_requests_total", { model: "gemini-3-flash", outcome: "rate_limit_error" })).toBe(1);
    expect(grew("agcp_upstream_errors_total", { kind: "quota_exhausted" })).toBe(3);
    expect(grew("agcp_upstream_latency_seconds_count", { model: "claude-sonnet-4-6" })).toBe(1);
    expect(grew("agcp_time_to_first_byte_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(grew("agcp_tokens_total", { model: "claude-sonnet-4-6", direction: "output" })).toBeGreaterThan(0);
    expect(sum(after, "agcp_upstream_latency_seconds_bucket", { model: "claude-sonnet-4-6", le: "+Inf" })).toBe(
      sum(after, "agcp_upstream_latency_seconds_count", { model: "claude-sonnet-4-6" }),
    );
    const health = await (await fetch(`${stack.url}/health`)).json();
    for (const status of ["available", "cooling", "invalid", "disabled"]) {
      expect(sum(after, "agcp_accounts", { status })).toBe(health.accounts[status]);
    }
    expect(sum(after, "agcp_accounts", { status: "cooling" })).toBe(3);
    // Per pool: the Gemini pool is out on every account, the Claude pool is not.
    expect(sum(after, "agcp_pool_accounts", { pool: "gemini", state: "out" })).toBe(3);
    expect(sum(after, "agcp_pool_accounts", { pool: "claude", state: "out" })).toBe(0);
    expect(sum(after, "agcp_pool_accounts", { pool: "claude" })).toBe(3);
  });

  test("each account's quota windows are gauges", async () => {
    await get("/account-limits?refresh=1");
    const res = parseExposition(await (await get("/metrics")).text());
    expect(res.types.get("agcp_quota_window_remaining")).toBe("gauge");
    const weekly = sum(res, "agcp_quota_window_remaining", { account: "demo2@agcp.test", pool: "claude", window: "weekly" });
    expect(weekly).toBeGreaterThan(0);
    expect(weekly).toBeLessThan(0.05);
    // Free tier (demo3) has no 5-hour window, so no such series.
    expect(res.samples.some((x) => x.name === "agcp_quota_window_remaining" && x.labels.account === "demo3@agcp.test" && x.labels.window === "5h")).toBe(false);
  });
});

describe("secrets", () => {
  test("no refresh or access token in any monitoring output", async () => {
    await stack.client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    const secrets = simSecrets(stack);
    expect(secrets.some((s) => s.startsWith("sim-refresh-"))).toBe(true);
    for (const path of ["/account-limits", "/account-limits?format=table", "/api/accounts", "/metrics", "/", "/health"]) {
      expectNoSecrets(await (await get(path)).text(), secrets, path);
    }
    expectNoSecrets(await (await get("/api/quota/refresh", { method: "POST" })).text(), secrets, "/api/quota/refresh");
  });
});
