// Every account's refresh token revoked: one clear, final answer that names the problem, without a
// token in it, and no more calls to the token endpoint for accounts already known to be invalid.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";

const MODEL = "claude-sonnet-4-6";
const HEADERS = { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "test-key" };
const ACCOUNTS = [1, 2, 3].map((i) => ({ email: `revoked${i}@agcp.test`, refreshToken: `1//sim-refresh-revoked-secret-${i}` }));

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ accounts: ACCOUNTS });
  await stack.agcp.runtime.quota.whenReady();
  for (const a of ACCOUNTS) await stack.control(`/accounts/${a.email}`, { body: { revoked: true, expireAccessTokens: true } });
});
afterAll(() => stack?.close());

async function ask(stream: boolean) {
  const res = await fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: MODEL, max_tokens: 16, stream, messages: [{ role: "user", content: "hi" }] }),
  });
  return { status: res.status, retry: res.headers.get("x-should-retry"), text: await res.text() };
}

test("all accounts revoked: a 503 Anthropic error saying they are invalid, x-should-retry false, no token in it", async () => {
  for (const stream of [false, true, false]) {
    const r = await ask(stream);
    expect(r.status).toBe(503);
    expect(r.retry).toBe("false");
    const body = JSON.parse(r.text);
    expect(body.type).toBe("error");
    expect(body.error.message).toMatch(/invalid/);
    for (const a of ACCOUNTS) expect(r.text).not.toContain(a.refreshToken);
  }
  const pool = stack.agcp.runtime.pool;
  for (const view of pool.accounts()) expect(view.invalid?.kind).toBe("auth_revoked");
  // Once known invalid, nobody asks the token endpoint for them again per request.
  const before = (await stack.control("/stats")).requests.token ?? 0;
  await ask(false);
  expect((await stack.control("/stats")).requests.token ?? 0).toBe(before);
});
