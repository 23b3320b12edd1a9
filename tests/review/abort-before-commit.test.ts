// A streaming client that hangs up before its stream was committed (agcp still holds the response
// to choose between an HTTP error and SSE): the upstream request is aborted, the account is not
// blamed, its token comes back, and nothing stays pending (shutdown is immediate).
import { afterEach, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";

const MODEL = "claude-sonnet-4-6";
const HEADERS = { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "test-key" };
const accounts = [{ email: "abort-early@agcp.test", refreshToken: "sim-refresh-abort-early" }];

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.sim.close();
  stack = undefined;
});

async function waitFor(what: string, check: () => Promise<boolean>, ms = 3_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

test("a stream abandoned before commit: upstream aborted, account untouched, token refunded, shutdown immediate", async () => {
  stack = await startStack({
    accounts,
    // Ping interval longer than the upstream wait: the stream is still uncommitted when the client leaves.
    config: { server: { shutdownTimeoutMs: 4_000, pingIntervalMs: 10_000 } },
  });
  const errors: unknown[] = [];
  stack.agcp.runtime.log.error = ((...args: unknown[]) => void errors.push(args)) as typeof stack.agcp.runtime.log.error;
  await stack.control("/faults", { method: "PATCH", body: { latencyMs: 1_500 } });
  const pool = stack.agcp.runtime.pool;
  const id = pool.accounts()[0]!.id;
  const tokensBefore = pool.account(id)!.tokens;
  const healthBefore = pool.account(id)!.health;
  const ctrl = new AbortController();
  const pending = fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: MODEL, max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] }),
    signal: ctrl.signal,
  }).catch((e: unknown) => e);
  await Bun.sleep(200);
  ctrl.abort();
  expect(await pending).toBeInstanceOf(Error);
  await waitFor("the upstream abort", async () => (await stack!.control("/stats")).clientAborts === 1);
  await Bun.sleep(50);
  const after = pool.account(id)!;
  expect(after.cooldowns).toEqual({});
  expect(after.health).toBeGreaterThanOrEqual(healthBefore);
  expect(after.tokens).toBeGreaterThanOrEqual(tokensBefore);
  expect(errors).toEqual([]);
  const t0 = performance.now();
  await stack.agcp.close();
  expect(performance.now() - t0).toBeLessThan(1_000);
}, 10_000);
