// 200 concurrent streams for 10 s while accounts run out and come back: every stream must parse
// with the official SDK, none may be lost, and memory must come back down afterwards.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, memoryAfterGc, MODEL, simStats, waitFor } from "./helpers.ts";

const STREAMS = 200;
const DURATION_MS = 10_000;
const ACCOUNTS = 6;
const ROTATE_MS = 500;
const MB = 2 ** 20;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: accounts(ACCOUNTS, "soak"),
    // Paced chunks keep each stream open for a while, so 200 really are in flight at once.
    sim: { chunkDelayMs: 40, requestsPerQuota: 1_000_000 },
    config: { pool: { bucket: { max: 1_000_000, initial: 1_000_000 } } },
  });
});
afterAll(() => stack?.close());

/** Per session: a distinct conversation, so nothing is served from a per-conversation cache. */
function params(worker: number, n: number) {
  return { model: MODEL, max_tokens: 256, messages: [{ role: "user" as const, content: `soak worker ${worker} turn ${n}: tell me something` }] };
}

test(`${STREAMS} concurrent SDK streams for ${DURATION_MS / 1000} s with accounts running out in turn: none corrupted or lost, memory returns`, async () => {
  // Warm everything (JIT, connection pools, token cache) before the baseline reading.
  await Promise.all(Array.from({ length: 20 }, (_, i) => stack.client.messages.stream(params(-1, i)).finalMessage()));
  const before = memoryAfterGc();

  const end = Date.now() + DURATION_MS;
  let rotation = 0;
  // Every 500 ms two accounts run out of quota for 800 ms: at most four of six are out at once, and
  // agcp must route around them and take them back when they reset.
  const rotator = setInterval(() => {
    rotation++;
    for (const n of [rotation % ACCOUNTS, (rotation + 3) % ACCOUNTS]) {
      void stack.control(`/accounts/soak${n + 1}@agcp.test`, { method: "PATCH", body: { quota: 0, resetInMs: 800 } });
    }
  }, ROTATE_MS);

  let completed = 0;
  const failures: string[] = [];
  let peakHeap = 0;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 250);
  try {
    await Promise.all(
      Array.from({ length: STREAMS }, async (_, worker) => {
        for (let n = 0; Date.now() < end; n++) {
          try {
            const message = await stack.client.messages.stream(params(worker, n)).finalMessage();
            const text = message.content.map((b) => (b.type === "text" ? b.text : "")).join("");
            if (message.stop_reason !== "end_turn" || !text.includes(`soak worker ${worker} turn ${n}`)) {
              failures.push(`worker ${worker} turn ${n}: ${message.stop_reason} ${text.slice(0, 80)}`);
            }
            completed++;
          } catch (err) {
            failures.push(`worker ${worker} turn ${n}: ${(err as Error).message}`);
          }
        }
      }),
    );
  } finally {
    clearInterval(rotator);
    clearInterval(sampler);
  }

  expect(failures.slice(0, 10)).toEqual([]);
  // Enough streams to mean something: each worker got through several.
  expect(completed).toBeGreaterThan(STREAMS * 3);
  const stats = await simStats(stack);
  // The rotation really made upstream refuse, and agcp routed every such request elsewhere.
  expect(stats.rateLimited.QUOTA_EXHAUSTED ?? 0).toBeGreaterThan(0);
  await waitFor("upstream to have nothing in flight", async () => (await simStats(stack)).inflight === 0);

  const after = memoryAfterGc();
  console.log(
    `soak: ${completed} streams; heap ${(before.heapUsed / MB).toFixed(1)} → peak ${(peakHeap / MB).toFixed(1)} → ${(after.heapUsed / MB).toFixed(1)} MB after GC; ` +
      `rss ${(before.rss / MB).toFixed(0)} → ${(after.rss / MB).toFixed(0)} MB`,
  );
  // The heap comes back to within a few MB of where it started: nothing per request is retained.
  expect(after.heapUsed - before.heapUsed).toBeLessThan(16 * MB);
  // RSS is what the allocator keeps for reuse, so it may stay higher; it must not run away.
  expect(after.rss - before.rss).toBeLessThan(256 * MB);
}, 40_000);
