// Graceful shutdown: a stream in flight when close() is called runs to its end (message_stop).
import { afterEach, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";

const MODEL = "claude-sonnet-4-6";
const HEADERS = { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "test-key" };

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.sim.close();
  stack = undefined;
});

test("close() lets an in-flight stream finish with message_stop before it resolves", async () => {
  stack = await startStack({
    accounts: [{ email: "drain@agcp.test", refreshToken: "sim-refresh-drain" }],
    sim: { chunkDelayMs: 60 },
    config: { server: { shutdownTimeoutMs: 8_000 } },
  });
  const res = await fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: MODEL, max_tokens: 256, stream: true, messages: [{ role: "user", content: "a long answer please" }] }),
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("content_block_delta")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  let closedAt = 0;
  const closing = stack.agcp.close().then(() => (closedAt = performance.now()));
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  const endedAt = performance.now();
  await closing;
  expect(text).toContain("event: message_stop");
  expect(text).not.toContain("event: error");
  expect(closedAt).toBeGreaterThanOrEqual(endedAt - 5);
  // New connections are refused once closing began.
  expect(await fetch(`${stack.url}/health`).then(() => "answered", () => "refused")).toBe("refused");
}, 15_000);

test("a stream still running at shutdownTimeoutMs is cut, and close() resolves near the timeout", async () => {
  stack = await startStack({
    accounts: [{ email: "drain2@agcp.test", refreshToken: "sim-refresh-drain2" }],
    sim: { chunkDelayMs: 400 },
    config: { server: { shutdownTimeoutMs: 300 } },
  });
  const res = await fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: MODEL, max_tokens: 256, stream: true, messages: [{ role: "user", content: "a long answer please" }] }),
  });
  const reader = res.body!.getReader();
  await reader.read();
  const t0 = performance.now();
  await stack.agcp.close();
  expect(performance.now() - t0).toBeLessThan(2_000);
  // Upstream was released too: nothing stays in flight at the simulator.
  const deadline = Date.now() + 2_000;
  while ((await stack.control("/stats")).inflight !== 0 && Date.now() < deadline) await Bun.sleep(20);
  expect((await stack.control("/stats")).inflight).toBe(0);
}, 10_000);
