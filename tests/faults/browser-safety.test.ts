// A default agcp (no apiKey) reached by web pages: a page on another origin must not change
// anything or spend quota, and a page that rebinds its DNS name to 127.0.0.1 must not read anything.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createBrowserGuard } from "../../src/server/browser-guard.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, isAnthropicError, MODEL, upstreamGenerates } from "./helpers.ts";

const EVIL = "http://evil.example";
const JSON_TYPE = { "content-type": "application/json" };
const MESSAGE = JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ accounts: accounts(2, "web") });
  expect(stack.config.apiKey).toBeUndefined();
});
afterAll(() => stack?.close());

const ACCOUNT = "web1@agcp.test";

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; body: any; text: string }> {
  const res = await fetch(`${stack.url}${path}`, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body, text };
}

async function accountStatus(): Promise<string> {
  const { body } = await call("/api/accounts");
  return body.accounts.find((a: { label: string }) => a.label === ACCOUNT).status;
}

describe("a page on another origin", () => {
  test("cannot disable an account: 403, and the account stays enabled", async () => {
    const res = await call(`/api/accounts/${ACCOUNT}/disable`, { method: "POST", headers: { origin: EVIL, ...JSON_TYPE } });
    expect(res.status).toBe(403);
    expect(isAnthropicError(res.body)).toBe(true);
    expect(res.body.error.message).toContain("security.allowedOrigins");
    expect(await accountStatus()).not.toBe("disabled");
  });

  test("cannot switch the strategy", async () => {
    const before = (await call("/api/accounts")).body.strategy;
    const to = before === "sticky" ? "round-robin" : "sticky";
    const res = await call("/api/strategy", { method: "PUT", headers: { origin: EVIL, ...JSON_TYPE }, body: JSON.stringify({ strategy: to }) });
    expect(res.status).toBe(403);
    expect((await call("/api/accounts")).body.strategy).toBe(before);
  });

  test("cannot spend quota through /v1/messages, with a JSON or a text/plain body", async () => {
    const before = await upstreamGenerates(stack);
    for (const type of ["application/json", "text/plain"]) {
      const res = await call("/v1/messages", { method: "POST", headers: { origin: EVIL, "content-type": type }, body: MESSAGE });
      expect(res.status).toBe(403);
    }
    // A door added later is behind the same check: any route, any method.
    expect((await call("/v1/some-future-door", { method: "POST", headers: { origin: EVIL, ...JSON_TYPE }, body: MESSAGE })).status).toBe(403);
    expect((await call("/v1/models", { headers: { origin: EVIL } })).status).toBe(403);
    expect(await upstreamGenerates(stack)).toBe(before);
  });

  test("an opaque origin (sandboxed frame, file://) is foreign too", async () => {
    expect((await call("/v1/messages", { method: "POST", headers: { origin: "null", ...JSON_TYPE }, body: MESSAGE })).status).toBe(403);
  });
});

describe("bodies a browser can send without asking (no CORS preflight)", () => {
  test("text/plain, form and multipart bodies are refused on proxying routes, before any upstream call", async () => {
    const before = await upstreamGenerates(stack);
    for (const type of ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
      const res = await call("/v1/messages", { method: "POST", headers: { "content-type": type }, body: MESSAGE });
      expect(res.status).toBe(415);
      expect(isAnthropicError(res.body)).toBe(true);
      expect(res.body.error.type).toBe("invalid_request_error");
    }
    expect(await upstreamGenerates(stack)).toBe(before);
  });

  test("the management API changes nothing unless the request is declared JSON", async () => {
    for (const headers of [{}, { "content-type": "text/plain" }, { "content-type": "application/x-www-form-urlencoded" }] as Record<string, string>[]) {
      const res = await call(`/api/accounts/${ACCOUNT}/disable`, { method: "POST", headers });
      expect(res.status).toBe(415);
      expect(res.body.error.message).toContain("application/json");
    }
    expect(await accountStatus()).not.toBe("disabled");
  });
});

describe("DNS rebinding: a foreign Host name", () => {
  const REBIND = { host: "rebind.attacker.example" };

  test("gets 421 and no data from any route", async () => {
    for (const path of ["/api/accounts", "/account-limits", "/account-limits?format=table", "/metrics", "/v1/models", "/"]) {
      const res = await call(path, { headers: REBIND });
      expect(res.status).toBe(421);
      expect(res.text).not.toContain(ACCOUNT);
    }
  });

  test("cannot change the strategy or send messages, even with a matching Origin", async () => {
    const before = (await call("/api/accounts")).body.strategy;
    const generates = await upstreamGenerates(stack);
    const headers = { ...REBIND, origin: "http://rebind.attacker.example", ...JSON_TYPE };
    expect((await call("/api/strategy", { method: "PUT", headers, body: JSON.stringify({ strategy: "round-robin" }) })).status).toBe(421);
    expect((await call("/v1/messages", { method: "POST", headers, body: MESSAGE })).status).toBe(421);
    expect((await call("/api/accounts")).body.strategy).toBe(before);
    expect(await upstreamGenerates(stack)).toBe(generates);
  });
});

describe("agcp's own pages and plain clients keep working", () => {
  test("the console's own origin may change things (and agcp answers to localhost too)", async () => {
    const port = new URL(stack.url).port;
    const own = await call(`/api/accounts/${ACCOUNT}/disable`, { method: "POST", headers: { origin: stack.url, ...JSON_TYPE } });
    expect(own.status).toBe(200);
    expect(await accountStatus()).toBe("disabled");
    // The console opened as http://localhost:<port> talking to the same server.
    const local = await call(`/api/accounts/${ACCOUNT}/enable`, {
      method: "POST",
      headers: { origin: `http://localhost:${port}`, host: `localhost:${port}`, ...JSON_TYPE },
    });
    expect(local.status).toBe(200);
    expect(await accountStatus()).not.toBe("disabled");
  });

  test("a page on another port of this machine is another origin", async () => {
    const other = Number(new URL(stack.url).port) + 1;
    const res = await call(`/api/accounts/${ACCOUNT}/disable`, { method: "POST", headers: { origin: `http://127.0.0.1:${other}`, ...JSON_TYPE } });
    expect(res.status).toBe(403);
  });

  test("an SDK client (no Origin, JSON) is served", async () => {
    const message = await stack.client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    expect(message.type).toBe("message");
  });
});

describe("allow-lists for reverse proxies", () => {
  const check = (guard: ReturnType<typeof createBrowserGuard>, headers: Record<string, string>, method = "POST") => {
    try {
      guard(new Request("http://x/v1/messages", { method, headers: { "content-type": "application/json", ...headers } }), "/v1/messages");
      return 200;
    } catch (e) {
      return (e as { status: number }).status;
    }
  };

  test("a configured host name and origin are accepted; others are not", () => {
    const guard = createBrowserGuard({ host: "127.0.0.1", allowedHosts: ["agcp.example.com"], allowedOrigins: ["https://console.example.com"] });
    expect(check(guard, { host: "agcp.example.com" })).toBe(200);
    expect(check(guard, { host: "agcp.example.com:443", origin: "https://agcp.example.com" })).toBe(200);
    expect(check(guard, { host: "127.0.0.1:8080", origin: "https://console.example.com" })).toBe(200);
    expect(check(guard, { host: "127.0.0.1:8080", origin: "https://other.example.com" })).toBe(403);
    expect(check(guard, { host: "other.example.com" })).toBe(421);
    // IP addresses cannot be rebound, so they are always answered.
    expect(check(guard, { host: "10.1.2.3:8080" })).toBe(200);
    expect(check(guard, { host: "[::1]:8080" })).toBe(200);
  });

  test("the configured listen name is one of agcp's own; a wildcard address is not a name", () => {
    expect(check(createBrowserGuard({ host: "myhost.lan", allowedHosts: [], allowedOrigins: [] }), { host: "myhost.lan:8080" })).toBe(200);
    expect(check(createBrowserGuard({ host: "0.0.0.0", allowedHosts: [], allowedOrigins: [] }), { host: "myhost.lan:8080" })).toBe(421);
  });

  test('"*" opens each list completely', () => {
    const guard = createBrowserGuard({ host: "127.0.0.1", allowedHosts: ["*"], allowedOrigins: ["*"] });
    expect(check(guard, { host: "anything.example", origin: EVIL })).toBe(200);
  });
});
