/**
 * The upstream client against the project's simulated Cloud Code: same paths, bodies and errors
 * as Google, driven into each condition through the simulator's control API.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { createSimulator, demoAccounts, type SimAccountInit, type SimAccountView, type Simulator } from "../../src/sim/index.ts";
import { createUpstreamClient, type UpstreamAccount, type UpstreamClient } from "../../src/upstream/client.ts";
import { UpstreamError } from "../../src/upstream/errors.ts";
import { buildAuthorizeUrl, createOAuthState, createPkce, readOAuthCallback } from "../../src/upstream/oauth.ts";
import { closedPortUrl, optionsFor, rpcError, startFakeHost, type FakeHost } from "./fake-upstream.ts";

const CLIENT_ID = "sim-client.apps.googleusercontent.com";
const CLIENT_SECRET = "sim-client-secret-value";

const accounts: SimAccountInit[] = [
  ...demoAccounts(3),
  { email: "fresh@agcp.test", refreshToken: "sim-refresh-fresh-0123456789", projectId: null, tier: "free" },
  { email: "victim@agcp.test", refreshToken: "sim-refresh-victim-0123456789" },
];

let sim: Simulator;
let base: string;
let client: UpstreamClient;
/** Every refresh and access token seen, to prove none leaks into an error message. */
const secrets = new Set<string>([CLIENT_SECRET, ...accounts.map((a) => a.refreshToken)]);
const extraHosts: FakeHost[] = [];

const acct = (email: string): UpstreamAccount => {
  const init = accounts.find((a) => a.email === email)!;
  return { id: init.email, refreshToken: init.refreshToken };
};
const VICTIM = () => acct("victim@agcp.test");

const request = (text = "Say hello") => ({
  contents: [{ role: "user", parts: [{ text }] }],
  generationConfig: { maxOutputTokens: 256 },
});
const envelope = (model = "claude-sonnet-4-6") => ({
  model,
  requestType: "agent",
  userAgent: "antigravity",
  requestId: `agent-${crypto.randomUUID()}`,
  request: request(),
});

async function control(path: string, method: string, body?: unknown): Promise<SimAccountView> {
  const res = await fetch(`${base}/__sim/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.ok).toBe(true);
  return (await res.json()) as SimAccountView;
}
const patch = (email: string, body: unknown) => control(`accounts/${encodeURIComponent(email)}`, "PATCH", body);
const view = (email: string) => control(`accounts/${encodeURIComponent(email)}`, "GET");

function newClient(hosts: string[]): UpstreamClient {
  return createUpstreamClient({
    ...optionsFor(hosts, base),
    oauth: { ...optionsFor(hosts, base).oauth, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    discovery: { onboardIntervalMs: 0 },
  });
}

async function failure(promise: Promise<unknown>): Promise<UpstreamError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  const message = (err as UpstreamError).message;
  for (const secret of secrets) expect(message).not.toContain(secret);
  expect(message).not.toMatch(/ya29\.sim-/);
  return err as UpstreamError;
}

beforeAll(async () => {
  sim = createSimulator({ accounts, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, chunkDelayMs: 0 });
  base = (await sim.listen({ port: 0 })).url;
  client = newClient([base]);
});

afterAll(async () => {
  await Promise.all(extraHosts.map((h) => h.stop()));
  await sim.close();
});

beforeEach(async () => {
  await control("reset", "POST", { quotas: true, faults: true });
  await patch("victim@agcp.test", { revoked: false, validationRequired: false, banned: false, rateLimitPerMinute: null });
  client.forget("victim@agcp.test");
});

describe("against the simulator", () => {
  test("streaming generate returns an SSE body with content", async () => {
    const res = await client.generate(VICTIM(), envelope(), { stream: true });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const text = await res.text();
    const frames = text.split(/\r?\n\r?\n/).filter((f) => f.startsWith("data: "));
    expect(frames.length).toBeGreaterThan(0);
    const last = JSON.parse(frames.at(-1)!.slice(6));
    expect(last.response.candidates[0].finishReason).toBe("STOP");
    secrets.add(await client.tokens.get(VICTIM()));
  });

  test("non-streaming generate answers one JSON object", async () => {
    const res = await client.generate(VICTIM(), envelope("gemini-3-flash"), { stream: false });
    const body = (await res.json()) as { response: { candidates: Array<{ content: { parts: unknown[] } }> } };
    expect(body.response.candidates[0]!.content.parts.length).toBeGreaterThan(0);
  });

  test("discover maps the simulator's tiers and projects", async () => {
    const [pro, ultra, free] = [acct("demo1@agcp.test"), acct("demo2@agcp.test"), acct("demo3@agcp.test")];
    expect(await client.discover(pro)).toEqual({ projectId: (await view("demo1@agcp.test")).projectId!, tier: "pro" });
    expect((await client.discover(ultra)).tier).toBe("ultra");
    expect((await client.discover(free)).tier).toBe("free");
  });

  test("an account without a project is onboarded, then generates under the new project", async () => {
    const fresh = acct("fresh@agcp.test");
    const info = await client.discover(fresh);
    const after = await view("fresh@agcp.test");
    expect(after.projectId).not.toBeNull();
    expect(info).toEqual({ projectId: after.projectId!, tier: "free" });
    expect(after.counters.requests.onboardUser).toBeGreaterThanOrEqual(2);
    const res = await client.generate(fresh, envelope(), { stream: false });
    expect(res.status).toBe(200);
  });

  test("fetchModels reads quota, with exhausted models at 0 and every model of a pool sharing its value", async () => {
    await patch("victim@agcp.test", { quota: { "claude-opus-4-6-thinking": 0, "gemini-3-flash": 0.25 }, resetInMs: 3_600_000 });
    const before = Date.now();
    const models = await client.fetchModels(VICTIM());
    expect(models["claude-opus-4-6-thinking"]!.fraction).toBe(0);
    expect(models["claude-opus-4-6-thinking"]!.resetAt!).toBeGreaterThanOrEqual(before + 3_590_000);
    expect(models["gemini-3-flash"]!.fraction).toBeCloseTo(0.25, 2);
    expect(models["gemini-2.5-flash"]!.fraction).toBeCloseTo(0.25, 2);
    expect(models["claude-sonnet-4-6"]!.fraction).toBe(0);
    expect(models["claude-sonnet-4-6"]!.displayName).toBe("Claude Sonnet 4.6 (Thinking)");
  });

  test("exhausted quota → quota_exhausted with the reset time", async () => {
    await patch("victim@agcp.test", { quota: { "claude-sonnet-4-6": 0 }, resetInMs: 2 * 3_600_000 });
    const before = Date.now();
    const err = await failure(client.generate(VICTIM(), envelope(), { stream: true }));
    expect(err.kind).toBe("quota_exhausted");
    expect(err.status).toBe(429);
    expect(err.model).toBe("claude-sonnet-4-6");
    expect(err.resetAt!).toBeGreaterThanOrEqual(before + 2 * 3_600_000 - 5_000);
    expect(err.resetAt!).toBeLessThanOrEqual(Date.now() + 2 * 3_600_000 + 5_000);
  });

  test("per-minute rate limit → rate_limited with a short reset", async () => {
    await patch("victim@agcp.test", { rateLimitPerMinute: 1 });
    await (await client.generate(VICTIM(), envelope(), { stream: false })).text();
    const err = await failure(client.generate(VICTIM(), envelope(), { stream: false }));
    expect(err.kind).toBe("rate_limited");
    expect(err.resetAt! - Date.now()).toBeLessThanOrEqual(61_000);
    expect(err.resetAt! - Date.now()).toBeGreaterThan(0);
  });

  test("capacity (503 and 429 MODEL_CAPACITY_EXHAUSTED) → capacity", async () => {
    await patch("victim@agcp.test", { fault: { capacity: "503", failNext: 1 } });
    expect((await failure(client.generate(VICTIM(), envelope(), { stream: true }))).kind).toBe("capacity");
    await patch("victim@agcp.test", { fault: { capacity: "429", failNext: 1 } });
    const err = await failure(client.generate(VICTIM(), envelope(), { stream: true }));
    expect(err.kind).toBe("capacity");
    expect(err.reason).toBe("MODEL_CAPACITY_EXHAUSTED");
  });

  test("500 → server", async () => {
    await patch("victim@agcp.test", { fault: { serverError: true, failNext: 1 } });
    expect((await failure(client.generate(VICTIM(), envelope(), { stream: false }))).kind).toBe("server");
  });

  test("a translation bug (cache_control) → bad_request with upstream's words", async () => {
    const bad = { ...envelope(), request: { ...request(), contents: [{ role: "user", parts: [{ text: "x", cache_control: { type: "ephemeral" } }] }] } };
    const err = await failure(client.generate(VICTIM(), bad, { stream: false }));
    expect(err.kind).toBe("bad_request");
    expect(err.message).toContain("Extra inputs are not permitted");
    expect(err.countsAgainstAccount).toBe(false);
  });

  test("revoked refresh token → auth_revoked", async () => {
    await patch("victim@agcp.test", { revoked: true });
    const err = await failure(client.generate(VICTIM(), envelope(), { stream: false }));
    expect(err.kind).toBe("auth_revoked");
  });

  test("verification required → verification_required with the validation url, no second host", async () => {
    const twoHosts = newClient([base, base]);
    await patch("victim@agcp.test", { validationRequired: true });
    const before = (await view("victim@agcp.test")).counters.requests.generateContent ?? 0;
    const err = await failure(twoHosts.generate(VICTIM(), envelope(), { stream: false }));
    expect(err.kind).toBe("verification_required");
    expect(err.validationUrl).toBe(`${base}/__sim/validate/victim%40agcp.test`);
    expect((await view("victim@agcp.test")).counters.requests.generateContent).toBe(before + 1);
  });

  test("ToS ban → banned", async () => {
    await patch("victim@agcp.test", { banned: true });
    expect((await failure(client.generate(VICTIM(), envelope(), { stream: false }))).kind).toBe("banned");
  });

  test("expired access token → one refresh, then success", async () => {
    await (await client.generate(VICTIM(), envelope(), { stream: false })).text();
    const tokensBefore = (await view("victim@agcp.test")).counters.requests.token ?? 0;
    const generatesBefore = (await view("victim@agcp.test")).counters.requests.generateContent ?? 0;
    await patch("victim@agcp.test", { expireAccessTokens: true });
    const res = await client.generate(VICTIM(), envelope(), { stream: false });
    expect(res.status).toBe(200);
    const after = await view("victim@agcp.test");
    expect(after.counters.requests.token).toBe(tokensBefore + 1);
    // The rejected attempt never reaches the account (its token is gone), so only the retry counts.
    expect(after.counters.requests.generateContent).toBe(generatesBefore + 1);
    expect(sim.state.stats().unattributed).toBeGreaterThanOrEqual(1);
    secrets.add(await client.tokens.get(VICTIM()));
  });

  test("20 concurrent generates on a cold account cost one token refresh", async () => {
    const cold = newClient([base]);
    const before = (await view("demo3@agcp.test")).counters.requests.token ?? 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, () => cold.generate(acct("demo3@agcp.test"), envelope("gemini-3-flash"), { stream: false })),
    );
    await Promise.all(results.map((r) => r.text()));
    expect((await view("demo3@agcp.test")).counters.requests.token).toBe(before + 1);
  });

  test("host fallback: a 503 host and a closed port before the simulator", async () => {
    const failing = startFakeHost(() => rpcError(503, "UNAVAILABLE", "The service is currently unavailable."));
    extraHosts.push(failing);
    const fallback = newClient([failing.url, await closedPortUrl(), base]);
    const res = await fallback.generate(VICTIM(), envelope(), { stream: true });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("data: ");
    // Discovery and generation both tried the failing host first.
    expect(failing.seen.map((s) => s.path)).toEqual(["/v1internal:loadCodeAssist", "/v1internal:streamGenerateContent?alt=sse"]);
  });

  test("a client abort mid-stream aborts the upstream request", async () => {
    const slow = createSimulator({
      accounts: [{ email: "slow@agcp.test", refreshToken: "sim-refresh-slow-0123456789" }],
      chunkDelayMs: 100,
    });
    const slowUrl = (await slow.listen({ port: 0 })).url;
    try {
      const slowClient = createUpstreamClient(optionsFor([slowUrl], slowUrl));
      const controller = new AbortController();
      const account = { id: "slow@agcp.test", refreshToken: "sim-refresh-slow-0123456789" };
      const long = { ...envelope(), request: request("Write a long story about load balancing ".repeat(20)) };
      const res = await slowClient.generate(account, long, { stream: true, signal: controller.signal });
      const reader = res.body!.getReader();
      await reader.read();
      controller.abort();
      await reader.read().catch(() => undefined);
      let aborts = 0;
      for (let i = 0; i < 50 && aborts === 0; i++) {
        await Bun.sleep(10);
        aborts = slow.state.stats().clientAborts;
      }
      expect(aborts).toBe(1);
    } finally {
      await slow.close();
    }
  });

  test("installed-app login: authorize → code → exchange → userinfo", async () => {
    const pkce = createPkce();
    const state = createOAuthState();
    const redirectUri = "http://localhost:51121/oauth-callback";
    const authorize = buildAuthorizeUrl({
      oauth: { authorizeUrl: `${base}/o/oauth2/v2/auth`, clientId: CLIENT_ID, scopes: optionsFor([], base).oauth.scopes },
      redirectUri,
      state,
      challenge: pkce.challenge,
      loginHint: "newcomer@agcp.test",
    });
    const consent = await fetch(authorize, { redirect: "manual" });
    expect(consent.status).toBe(302);
    const callback = readOAuthCallback(consent.headers.get("location")!);
    expect(callback.state).toBe(state);
    const grant = await client.exchangeCode(callback.code!, pkce.verifier, redirectUri);
    expect(grant.refreshToken).toMatch(/^sim-refresh-/);
    expect(grant.expiresIn).toBeGreaterThan(0);
    expect((await client.userinfo(grant.accessToken)).email).toBe("newcomer@agcp.test");
  });

  test("a wrong PKCE verifier is refused without leaking the code", async () => {
    const pkce = createPkce();
    const redirectUri = "http://localhost:51121/oauth-callback";
    const consent = await fetch(
      buildAuthorizeUrl({
        oauth: { authorizeUrl: `${base}/o/oauth2/v2/auth`, clientId: CLIENT_ID, scopes: optionsFor([], base).oauth.scopes },
        redirectUri,
        state: "s",
        challenge: pkce.challenge,
      }),
      { redirect: "manual" },
    );
    const { code } = readOAuthCallback(consent.headers.get("location")!);
    secrets.add(code!);
    const err = await failure(client.exchangeCode(code!, createPkce().verifier, redirectUri));
    expect(err.kind).toBe("auth_revoked");
  });
});

describe("stale projects", () => {
  test("a project that stops being the account's is rediscovered after the 403", async () => {
    const moving = acct("demo1@agcp.test");
    const fresh = newClient([base]);
    const first = await fresh.discover(moving);
    await patch("demo1@agcp.test", { projectId: "moved-project-1" });
    const err = await failure(fresh.generate(moving, envelope(), { stream: false }));
    expect(err.status).toBe(403);
    expect(err.kind).toBe("server");
    expect((await fresh.discover(moving)).projectId).toBe("moved-project-1");
    expect(first.projectId).not.toBe("moved-project-1");
    const res = await fresh.generate(moving, envelope(), { stream: false });
    expect(res.status).toBe(200);
    await patch("demo1@agcp.test", { projectId: first.projectId });
  });
});
