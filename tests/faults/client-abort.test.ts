// Clients that leave: every abort must reach upstream (the simulator sees the disconnect), free
// the upstream request, and cost no account anything.
import { afterAll, beforeAll, beforeEach, expect, test } from "bun:test";
import Anthropic from "@anthropic-ai/sdk";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, HEADERS, MODEL, pooled, simStats, waitFor, within } from "./helpers.ts";

const STREAMS = 40;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: accounts(4, "abort"),
    // Paced chunks: a stream lasts long enough to be left in the middle.
    sim: { chunkDelayMs: 25, requestsPerQuota: 1_000_000 },
    config: { pool: { bucket: { max: 100_000, initial: 100_000 } } },
  });
  await stack.client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "warm up" }] });
});
afterAll(() => stack?.close());
beforeEach(async () => {
  await stack.control("/reset", { method: "POST", body: { faults: true } });
});

/** Starts a stream, reads until the first text delta arrived, then leaves. */
async function leaveMidStream(i: number): Promise<void> {
  const ctrl = new AbortController();
  const res = await fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: MODEL, max_tokens: 256, stream: true, messages: [{ role: "user", content: `a long answer ${i}` }] }),
    signal: ctrl.signal,
  });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  while (!seen.includes("content_block_delta")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ${i} ended before any content`);
    seen += decoder.decode(value, { stream: true });
  }
  ctrl.abort();
}

async function expectAllAbortedUpstream(count: number): Promise<void> {
  await waitFor(
    `the simulator to count ${count} client aborts with nothing in flight`,
    async () => {
      const stats = await simStats(stack);
      return stats.clientAborts === count && stats.inflight === 0;
    },
    5_000,
  );
  expect((await simStats(stack)).successfulGenerates).toBe(0);
  // Leaving is nobody's fault: no account is cooled or penalised for it.
  for (const a of stack.agcp.runtime.pool.accounts()) expect(a.cooldowns).toEqual({});
}

test(`${STREAMS} concurrent streams left mid-answer (raw fetch and the SDK): each upstream request is aborted`, async () => {
  await within(
    10_000,
    "leaving streams",
    pooled(STREAMS, STREAMS, async (i) => {
      if (i % 2 === 0) return leaveMidStream(i);
      const stream = stack.client.messages.stream({ model: MODEL, max_tokens: 256, messages: [{ role: "user", content: `sdk leaves ${i}` }] });
      const outcome = stream.finalMessage().catch((e: unknown) => e);
      await new Promise<void>((resolve) => stream.on("text", () => resolve()));
      stream.abort();
      expect(await outcome).toBeInstanceOf(Anthropic.APIUserAbortError);
    }),
  );
  await expectAllAbortedUpstream(STREAMS);
});

test("non-streaming clients that give up while upstream is slow: each upstream request is aborted too, and nothing is logged as an error", async () => {
  await stack.control("/faults", { method: "PATCH", body: { latencyMs: 2_000 } });
  const log = stack.agcp.runtime.log;
  const logged: unknown[] = [];
  const original = log.error;
  log.error = Object.assign((...args: unknown[]) => void logged.push(args), { raw: original.raw });
  await within(
    10_000,
    "leaving non-streaming requests",
    pooled(20, 20, async (i) => {
      const outcome = await fetch(`${stack.url}/v1/messages`, {
        method: "POST",
        headers: HEADERS,
        body: JSON.stringify({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: `impatient ${i}` }] }),
        signal: AbortSignal.timeout(150),
      }).catch((e: unknown) => e);
      expect(outcome).toBeInstanceOf(DOMException);
    }),
  );
  await expectAllAbortedUpstream(20);
  log.error = original;
  expect(logged).toEqual([]);
});

test("after all that leaving, the server still answers", async () => {
  const message = await stack.client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "still there?" }] });
  expect(message.type).toBe("message");
});
