// Upstream misbehaving while many requests are in flight: drops mid-stream, empty streams,
// capacity 503s, a slow upstream. Every request must end (answer or Anthropic error), none hang.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, HEADERS, MODEL, pooled, simStats, sseEvents, upstreamGenerates, waitFor, within } from "./helpers.ts";

const PING_MS = 100;
const REQUESTS = 90;
const CONCURRENCY = 30;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: accounts(6, "uf"),
    sim: { chunkDelayMs: 3, requestsPerQuota: 1_000_000 },
    config: {
      server: { pingIntervalMs: PING_MS },
      pool: {
        bucket: { max: 100_000, initial: 100_000 },
        emptyResponseRetryDelaysMs: [5, 10],
        capacityRetryDelaysMs: [5, 10, 20, 40, 80],
      },
    },
  });
  await stack.client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "warm up" }] });
});
afterAll(() => stack?.close());
afterEach(async () => {
  await stack.control("/reset", { method: "POST", body: { faults: true } });
  for (const a of stack.agcp.runtime.pool.accounts()) stack.agcp.runtime.pool.resetAccount(a.id);
});

interface RawOutcome {
  status: number;
  events: Array<{ event: string; data: unknown }>;
}

/** One streaming request read to its end with plain fetch, so pings and error events stay visible. */
async function rawStream(i: number): Promise<RawOutcome> {
  const res = await fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: MODEL, max_tokens: 128, stream: true, messages: [{ role: "user", content: `fault stream ${i}` }] }),
  });
  return { status: res.status, events: sseEvents(await res.text()) };
}

const completed = (o: RawOutcome) => o.status === 200 && o.events.at(-1)?.event === "message_stop";
const errored = (o: RawOutcome) => o.status === 200 && o.events.at(-1)?.event === "error";

async function storm(what: string, job: (i: number) => Promise<RawOutcome>): Promise<RawOutcome[]> {
  const out = await within(15_000, what, pooled(REQUESTS, CONCURRENCY, job));
  await waitFor("upstream to have no request in flight", async () => (await simStats(stack)).inflight === 0);
  return out;
}

describe("upstream faults under load", () => {
  test("drops after content reached the client: exactly those streams end with event: error, the rest complete", async () => {
    await stack.control("/reset", { method: "POST" });
    await stack.control("/faults", { method: "PATCH", body: { dropAfterChunks: 2, failNext: 30 } });
    const outcomes = await storm("streams with drops", rawStream);
    expect(outcomes.filter(errored).length).toBe(30);
    expect(outcomes.filter(completed).length).toBe(REQUESTS - 30);
    for (const o of outcomes.filter(errored)) expect((o.events.at(-1)?.data as { error: { type: string } }).error.type).toBe("api_error");
    // Nothing can be retried once content went out: one upstream call per request.
    expect(await upstreamGenerates(stack)).toBe(REQUESTS);
  });

  test("drops before any content fail over invisibly: every stream completes", async () => {
    await stack.control("/reset", { method: "POST" });
    await stack.control("/faults", { method: "PATCH", body: { dropAfterChunks: 0, failNext: 30 } });
    const outcomes = await storm("streams with early drops", rawStream);
    expect(outcomes.filter(completed).length).toBe(REQUESTS);
    expect(await upstreamGenerates(stack)).toBe(REQUESTS + 30);
  });

  test("half the accounts answer empty streams: every request completes, through the SDK too", async () => {
    await stack.control("/reset", { method: "POST" });
    for (const n of [1, 2, 3]) await stack.control(`/accounts/uf${n}@agcp.test`, { method: "PATCH", body: { fault: { emptyStream: true } } });
    const outcomes = await storm("streams with empty answers", async (i) => {
      if (i % 2 === 0) return rawStream(i);
      const message = await stack.client.messages
        .stream({ model: MODEL, max_tokens: 128, messages: [{ role: "user", content: `sdk ${i}` }] })
        .finalMessage();
      return { status: message.stop_reason === "end_turn" ? 200 : 0, events: [{ event: "message_stop", data: undefined }] };
    });
    expect(outcomes.filter(completed).length).toBe(REQUESTS);
    // Each empty account is tried, then left alone once its failure streak cools it.
    const wasted = (await upstreamGenerates(stack)) - REQUESTS;
    expect(wasted).toBeGreaterThan(0);
    expect(wasted).toBeLessThanOrEqual(3 * CONCURRENCY);
  });

  test("a burst of capacity 503s: every request (streaming or not) is retried to success", async () => {
    await stack.control("/reset", { method: "POST" });
    await stack.control("/faults", { method: "PATCH", body: { capacity: "503", failNext: 40 } });
    const outcomes = await storm("requests during capacity 503s", async (i) => {
      if (i % 2 === 0) return rawStream(i);
      const res = await fetch(`${stack.url}/v1/messages`, {
        method: "POST",
        headers: HEADERS,
        body: JSON.stringify({ model: MODEL, max_tokens: 64, messages: [{ role: "user", content: `plain ${i}` }] }),
      });
      const body = (await res.json()) as { type?: string };
      return { status: res.status, events: body.type === "message" ? [{ event: "message_stop", data: body }] : [] };
    });
    expect(outcomes.filter(completed).length).toBe(REQUESTS);
    expect((await simStats(stack)).serverErrors).toBe(40);
    expect(await upstreamGenerates(stack)).toBe(REQUESTS + 40);
  });

  test("a slow upstream: pings keep every waiting stream alive, then the answer follows", async () => {
    await stack.control("/faults", { method: "PATCH", body: { latencyMs: 5 * PING_MS } });
    const outcomes = await within(10_000, "slow streams", pooled(CONCURRENCY, CONCURRENCY, rawStream));
    for (const o of outcomes) {
      expect(completed(o)).toBe(true);
      const firstContent = o.events.findIndex((e) => e.event === "message_start");
      const pingsBefore = o.events.slice(0, firstContent).filter((e) => e.event === "ping").length;
      expect(pingsBefore).toBeGreaterThanOrEqual(2);
    }
  });
});
