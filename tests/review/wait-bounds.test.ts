// Waiting in the request path is bounded by pool.maxWaitMs. When a wait does not fit, the client
// must get the clear "all limited" answer (429, x-should-retry: false, retry-after), never a bare
// 500 "No upstream attempt succeeded", and the relay must not sleep past the bound.
import { afterEach, expect, test } from "bun:test";
import type { AgcpConfig } from "../../src/config/types.ts";
import { startStack, type Stack } from "../support/stack.ts";

const MODEL = "claude-sonnet-4-6";
const HEADERS = { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "test-key" };
const EMAIL = "wait@agcp.test";

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function ask(s: Stack, stream = false) {
  const res = await fetch(`${s.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: MODEL, max_tokens: 16, stream, messages: [{ role: "user", content: "hi" }] }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: (() => { try { return JSON.parse(text); } catch { return undefined; } })() };
}

/** One account that served this conversation once (so sticky has affinity), then ran out for 5 s. */
async function exhaustedStack(config: AgcpConfig): Promise<Stack> {
  const s = await startStack({ accounts: [{ email: EMAIL, refreshToken: "sim-refresh-wait" }], config });
  await s.agcp.runtime.quota.whenReady();
  expect((await ask(s)).status).toBe(200);
  await s.control(`/accounts/${EMAIL}`, { body: { quota: 0, resetInMs: 5_000 } });
  return s;
}

test("hybrid: the only account limited beyond pool.maxWaitMs → 429 rate_limit_error with x-should-retry false (first and later requests)", async () => {
  stack = await exhaustedStack({ strategy: "hybrid", pool: { maxWaitMs: 1_000 } });
  for (let i = 0; i < 2; i++) {
    const r = await ask(stack);
    expect(r.status).toBe(429);
    expect(r.body?.error?.type).toBe("rate_limit_error");
    expect(r.headers.get("x-should-retry")).toBe("false");
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
  }
});

test("sticky: a sticky-wait longer than what is left of pool.maxWaitMs → the same 429 as hybrid, not a 500", async () => {
  stack = await exhaustedStack({ strategy: "sticky", pool: { maxWaitMs: 1_000, sticky: { maxWaitMs: 10_000 } } });
  for (let i = 0; i < 2; i++) {
    const t0 = performance.now();
    const r = await ask(stack);
    expect(performance.now() - t0).toBeLessThan(1_500);
    expect({ i, status: r.status, type: r.body?.error?.type, retry: r.headers.get("x-should-retry") }).toEqual({
      i,
      status: 429,
      type: "rate_limit_error",
      retry: "false",
    });
  }
});

test("a ladder throttle that does not fit in pool.maxWaitMs → not a 500 'No upstream attempt succeeded'", async () => {
  // Empty buckets: the only rung left is last-resort, whose 500 ms throttle exceeds maxWaitMs.
  stack = await startStack({
    accounts: [{ email: EMAIL, refreshToken: "sim-refresh-wait" }],
    config: { pool: { maxWaitMs: 200, bucket: { initial: 0 } } },
  });
  const r = await ask(stack);
  expect(r.body?.error?.message ?? "").not.toContain("No upstream attempt succeeded");
  expect([200, 429]).toContain(r.status);
});

test("empty-response retries stay inside pool.maxWaitMs", async () => {
  stack = await startStack({
    accounts: [{ email: EMAIL, refreshToken: "sim-refresh-wait" }, { email: "wait2@agcp.test", refreshToken: "sim-refresh-wait2" }],
    config: { pool: { maxWaitMs: 200 } },
  });
  await stack.control("/faults", { method: "PATCH", body: { emptyStream: true } });
  const t0 = performance.now();
  const r = await ask(stack);
  const took = performance.now() - t0;
  expect(r.body?.type).toBe("error");
  // emptyResponseRetryDelaysMs (500 + 1000 ms) are slept without checking the deadline.
  expect(took).toBeLessThan(200 + 700);
});
