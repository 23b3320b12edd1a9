// Every error kind as a client sees it, and the server keeps serving after each.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, generatesByAccount } from "./helpers.ts";

const API_KEY = "e2e-secret-key";
const BODY_LIMIT = 64 * 1024;
const MODEL = "claude-sonnet-4-6";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: fullAccounts(3, "err"),
    // "ghost" maps to a model upstream does not offer: upstream itself answers 404.
    config: { apiKey: API_KEY, bodyLimit: BODY_LIMIT, models: { exact: { ghost: "claude-ghost-9" } } },
  });
});
afterAll(() => stack?.close());

// After every error, an ordinary request still works: no error may take the process or the pool down.
afterEach(async () => {
  const ok = await stack.client.messages.create({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: "still there?" }] });
  expect(ok.type).toBe("message");
});

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return fetch(`${stack.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": API_KEY, ...headers },
    body,
  });
}

/** The SDK's view of a failed call. */
async function sdkError(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  try {
    await call;
  } catch (err) {
    if (err instanceof Anthropic.APIError) return err;
    throw err;
  }
  throw new Error("expected the call to fail");
}

function errorBody(err: InstanceType<typeof Anthropic.APIError>): { type: string; message: string } {
  return (err.error as { error: { type: string; message: string } }).error;
}

describe("client-facing errors", () => {
  test("malformed JSON → 400 saying what is wrong", async () => {
    const res = await post("/v1/messages", '{"model": "x", "messages": [');
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.type).toBe("error");
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toMatch(/malformed json/i);
  });

  test("wrong types → 400 naming the field", async () => {
    const err = await sdkError(
      stack.client.messages.create({ model: MODEL, max_tokens: "lots" as unknown as number, messages: [{ role: "user", content: "hi" }] }),
    );
    expect(err.status).toBe(400);
    expect(errorBody(err).type).toBe("invalid_request_error");
    expect(errorBody(err).message).toContain("max_tokens");

    const nested = await sdkError(
      stack.client.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: "user", content: [{ type: "text", text: 42 as unknown as string }] }] }),
    );
    expect(nested.status).toBe(400);
    expect(errorBody(nested).message).toMatch(/messages\.0\.content\.0\.text|messages\[0\]\.content\[0\]\.text/);

    const missing = await post("/v1/messages", JSON.stringify({ model: MODEL, max_tokens: 10 }));
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as any).error.message).toContain("messages");
  });

  test("unknown content block type → 400 naming it", async () => {
    const res = await post(
      "/v1/messages",
      JSON.stringify({ model: MODEL, max_tokens: 10, messages: [{ role: "user", content: [{ type: "hologram", data: "x" }] }] }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toContain("messages");
  });

  test("unknown model → 404 listing the models that exist", async () => {
    const err = await sdkError(stack.client.messages.create({ model: "gpt-4o", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }));
    expect(err.status).toBe(404);
    expect(errorBody(err).type).toBe("not_found_error");
    expect(errorBody(err).message).toContain("gpt-4o");
    expect(errorBody(err).message).toContain("claude-sonnet-4-6");
    expect(errorBody(err).message).toContain("gemini-3-flash");
  });

  test("a model upstream does not offer → 404 with upstream's words, no account cooled", async () => {
    const err = await sdkError(stack.client.messages.create({ model: "ghost", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }));
    expect(err.status).toBe(404);
    expect(errorBody(err).type).toBe("not_found_error");
    expect(errorBody(err).message).toContain("claude-ghost-9");
    for (const a of stack.agcp.runtime.pool.accounts()) expect(a.cooldowns).toEqual({});
  });

  test("oversized body → 413 request_too_large, whether just over or far over the limit", async () => {
    const big = (size: number) =>
      stack.client.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: "user", content: "x".repeat(size) }] });
    for (const size of [BODY_LIMIT + 10, BODY_LIMIT * 4]) {
      const err = await sdkError(big(size));
      expect(err.status).toBe(413);
      expect(errorBody(err).type).toBe("request_too_large");
    }
  });

  test("API key: missing or wrong → 401 for x-api-key and Bearer; the right Bearer works", async () => {
    const body = JSON.stringify({ model: MODEL, max_tokens: 10, messages: [{ role: "user", content: "hi" }] });
    const cases: Record<string, string>[] = [
      { "x-api-key": "" },
      { "x-api-key": "wrong" },
      { "x-api-key": "", authorization: "Bearer wrong" },
    ];
    for (const headers of cases) {
      const h = { ...headers };
      if (h["x-api-key"] === "") delete h["x-api-key"];
      const res = await fetch(`${stack.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...h },
        body,
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).error.type).toBe("authentication_error");
    }

    const viaSdkWrong = new Anthropic({ baseURL: stack.url, apiKey: null, authToken: "wrong", maxRetries: 0 });
    expect((await sdkError(viaSdkWrong.models.list())).status).toBe(401);
    const viaSdkBearer = new Anthropic({ baseURL: stack.url, apiKey: null, authToken: API_KEY, maxRetries: 0 });
    const msg = await viaSdkBearer.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: "user", content: "bearer" }] });
    expect(msg.type).toBe("message");
  });

  test("unknown route → 404 not_found_error", async () => {
    const res = await fetch(`${stack.url}/v1/complete-me`, { headers: { "x-api-key": API_KEY } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.type).toBe("not_found_error");
  });

  test("upstream 400 → 400 with upstream's message, and no account is cooled for it", async () => {
    // A tool_use with no tool_result after it: agcp passes it on, upstream Claude refuses it.
    const before = await generatesByAccount(stack);
    const err = await sdkError(
      stack.client.messages.create({
        model: MODEL,
        max_tokens: 64,
        messages: [
          { role: "user", content: "go" },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_orphan", name: "lookup", input: {} }] },
          { role: "user", content: "no result for you" },
        ],
      }),
    );
    expect(err.status).toBe(400);
    expect(errorBody(err).type).toBe("invalid_request_error");
    expect(errorBody(err).message).toContain("tool_use");
    expect(errorBody(err).message).toContain("toolu_orphan");
    const after = await generatesByAccount(stack);
    const sent = Object.keys(after).reduce((n, k) => n + (after[k]! - (before[k] ?? 0)), 0);
    expect(sent).toBe(1); // not retried on other accounts
    for (const a of stack.agcp.runtime.pool.accounts()) {
      expect(a.cooldowns).toEqual({});
      expect(a.health).toBeGreaterThanOrEqual(stack.config.pool.health.initial);
    }
  });

  test("all accounts exhausted → 429 rate_limit_error, x-should-retry false, and the SDK does not retry", async () => {
    const model = "gemini-pro-agent";
    for (const a of fullAccounts(3, "err")) await stack.control(`/accounts/${a.email}`, { body: { quota: { [model]: 0 }, resetInMs: 3_600_000 } });
    let calls = 0;
    const counting = new Anthropic({
      baseURL: stack.url,
      apiKey: API_KEY,
      maxRetries: 2,
      fetch: (input, init) => {
        calls++;
        return fetch(input, init);
      },
    });
    const err = await sdkError(counting.messages.create({ model, max_tokens: 10, messages: [{ role: "user", content: "hi" }] }));
    expect(err.status).toBe(429);
    expect(errorBody(err).type).toBe("rate_limit_error");
    expect(err.headers?.get("x-should-retry")).toBe("false");
    const retryAfter = Number(err.headers?.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(3000);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect(errorBody(err).message).toContain(model);
    expect(errorBody(err).message).toContain("3 accounts");
    expect(calls).toBe(1);

    // Streaming: same HTTP error, since nothing was sent yet.
    const res = await post("/v1/messages", JSON.stringify({ model, max_tokens: 10, stream: true, messages: [{ role: "user", content: "hi" }] }));
    expect(res.status).toBe(429);
    expect(res.headers.get("x-should-retry")).toBe("false");
  });
});
