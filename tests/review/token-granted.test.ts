// The shared-bucket check (state.tokenGranted) can fail (a store bug, a broken answer). Like the
// store being away, that must not cost the client its request, nor the account a token.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";

const MODEL = "claude-sonnet-4-6";
let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ accounts: [{ email: "granted@agcp.test", refreshToken: "sim-refresh-granted" }] });
});
afterAll(() => stack?.close());

function rejectGrantsOnce(): () => void {
  const state = stack.agcp.runtime.state;
  const original = state.tokenGranted;
  let calls = 0;
  state.tokenGranted = (id, level) => (calls++ === 0 ? Promise.reject(new Error("store exploded")) : original.call(state, id, level));
  return () => {
    state.tokenGranted = original;
  };
}

test("tokenGranted rejecting does not leak the consumed token", async () => {
  const pool = stack.agcp.runtime.pool;
  const id = pool.accounts()[0]!.id;
  const before = pool.account(id)!.tokens;
  const restore = rejectGrantsOnce();
  try {
    await stack.client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }).catch(() => undefined);
  } finally {
    restore();
  }
  // One successful request may spend one token; a failed one spends none. Either way not more than one.
  const after = pool.account(id)!.tokens;
  expect(after).toBeGreaterThan(before - 1.0001);
  const stats = await stack.control("/stats");
  // If nothing was sent upstream, nothing may be spent.
  if ((stats.successfulGenerates as number) === 0) expect(after).toBeGreaterThanOrEqual(before);
});

test("tokenGranted rejecting is treated like a store that is away: the request is served, not a 500", async () => {
  const restore = rejectGrantsOnce();
  try {
    const res = await fetch(`${stack.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "test-key" },
      body: JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(res.status).toBe(200);
  } finally {
    restore();
  }
});
