// 1,000 requests while upstream answers 429s of every kind on most accounts: none may be lost as
// long as one account has quota, and the limited accounts must not be hammered.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, MODEL, pooled, simStats, upstreamGenerates, within } from "./helpers.ts";

const REQUESTS = 1_000;
const CONCURRENCY = 32;
const HOUR = 3_600_000;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: accounts(10, "storm"),
    sim: { requestsPerQuota: 1_000_000 },
    config: {
      pool: {
        // Bucket pacing would turn this burst into seconds of "emergency" waits; it has tests of its own.
        bucket: { max: 100_000, initial: 100_000 },
        capacityRetryDelaysMs: [5, 10, 20, 40, 80],
      },
    },
  });
  // One request first: agcp reads every account's quota at start, so the limits below are news to it.
  await stack.client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "warm up" }] });
  const patch = (n: number, body: unknown) => stack.control(`/accounts/storm${n}@agcp.test`, { method: "PATCH", body });
  for (const n of [2, 3, 4]) await patch(n, { quota: 0, resetInMs: HOUR }); // QUOTA_EXHAUSTED
  for (const n of [5, 6, 7]) await patch(n, { rateLimitPerMinute: 1 }); // RATE_LIMIT_EXCEEDED after one
  for (const n of [8, 9, 10]) await patch(n, { fault: { capacity: "429" } }); // MODEL_CAPACITY_EXHAUSTED, every time
  await stack.control("/reset", { method: "POST" });
});
afterAll(() => stack?.close());

test("1,000 requests (a third streaming) under a 429 storm on 9 of 10 accounts: 0 lost, upstream attempts bounded", async () => {
  const failures: string[] = [];
  let streamed = 0;
  await within(
    40_000,
    "the storm",
    pooled(REQUESTS, CONCURRENCY, async (i) => {
      const params = { model: MODEL, max_tokens: 64, messages: [{ role: "user" as const, content: `storm request ${i}` }] };
      try {
        if (i % 3 === 0) {
          const message = await stack.client.messages.stream(params).finalMessage();
          if (message.stop_reason !== "end_turn") failures.push(`#${i}: stop_reason ${message.stop_reason}`);
          streamed++;
        } else {
          const message = await stack.client.messages.create(params);
          if (message.content.length === 0) failures.push(`#${i}: empty content`);
        }
      } catch (err) {
        failures.push(`#${i}: ${(err as Error).message}`);
      }
    }),
  );
  expect(failures).toEqual([]);
  expect(streamed).toBe(Math.ceil(REQUESTS / 3));

  const stats = await simStats(stack);
  // Every kind of 429 really happened (otherwise this test proves nothing).
  expect(stats.rateLimited.QUOTA_EXHAUSTED ?? 0).toBeGreaterThan(0);
  expect(stats.rateLimited.RATE_LIMIT_EXCEEDED ?? 0).toBeGreaterThan(0);
  expect(stats.rateLimited.MODEL_CAPACITY_EXHAUSTED ?? 0).toBeGreaterThan(0);
  expect(stats.successfulGenerates).toBe(REQUESTS);

  // Bound: a limited account is taken out after its first 429, so at most the requests already in
  // flight (≤ CONCURRENCY) can meet that account's limit before agcp knows. 9 limited accounts.
  const attempts = await upstreamGenerates(stack);
  const failedAttempts = attempts - REQUESTS;
  expect(failedAttempts).toBeGreaterThan(0);
  expect(failedAttempts).toBeLessThanOrEqual(9 * CONCURRENCY);
  expect(stats.inflight).toBe(0);

  // A second wave right after: every limited account is cooling now (quota for an hour, rate limit
  // 30 s, capacity 15 s), so no request meets a 429 and upstream sees exactly one call per request.
  await stack.control("/reset", { method: "POST" });
  const second = await within(
    20_000,
    "the second wave",
    pooled(200, CONCURRENCY, (i) => stack.client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: `after ${i}` }] })),
  );
  expect(second.every((m) => m.type === "message")).toBe(true);
  expect((await simStats(stack)).rateLimited).toEqual({});
  expect(await upstreamGenerates(stack)).toBe(200);
}, 60_000);
