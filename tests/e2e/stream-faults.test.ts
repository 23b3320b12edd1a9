// Streams when upstream misbehaves: drops, empty answers, slowness, and a client that leaves.
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, parseEvents, rawStream, simAccounts, waitFor } from "./helpers.ts";

/** A model that answers without thinking, so the first block is the text. */
const MODEL = "gemini-3.1-flash-lite";
const PING_MS = 100;
const request = (content: string) => ({ model: MODEL, max_tokens: 256, messages: [{ role: "user" as const, content }] });

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: fullAccounts(3, "flt"),
    // Paced chunks give a client time to leave mid-stream.
    sim: { chunkDelayMs: 15 },
    config: { server: { pingIntervalMs: PING_MS }, pool: { emptyResponseRetryDelaysMs: [20, 20] } },
  });
});
afterAll(() => stack?.close());
afterEach(async () => {
  await stack.control("/reset", { method: "POST", body: { faults: true } });
  for (const a of stack.agcp.runtime.pool.accounts()) stack.agcp.runtime.pool.resetAccount(a.id);
});

describe("stream faults", () => {
  test("upstream drop after the first content → event: error and a closed stream within 1 s", async () => {
    await stack.control("/faults", { body: { dropAfterChunks: 2 } });
    const started = performance.now();
    const res = await rawStream(stack.url, request("Please drop this stream"));
    expect(res.status).toBe(200);
    const text = await res.text(); // resolves only once agcp closed the stream
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(1000);
    const events = parseEvents(text);
    expect(events[0]?.event).toBe("message_start");
    expect(events.some((e) => e.event === "content_block_delta")).toBe(true);
    const last = events.at(-1)!;
    expect(last.event).toBe("error");
    expect(last.data.type).toBe("error");
    expect(last.data.error.type).toBe("api_error");
    expect(events.some((e) => e.event === "message_stop")).toBe(false);

    // The SDK turns it into a thrown error, not a hang.
    const sdkStarted = performance.now();
    const err = await stack.client.messages.stream(request("Please drop this one too")).finalMessage().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect(performance.now() - sdkStarted).toBeLessThan(1000);
  });

  test("an empty stream on one account fails over invisibly", async () => {
    await stack.control("/faults", { body: { emptyStream: true, failNext: 1 } });
    const { data, response } = await stack.client.messages.stream(request("Empty first, then fine")).withResponse();
    const final = await data.finalMessage();
    expect(final.content[0]?.type).toBe("text");
    expect(response.headers.get("x-agcp-attempts")).toBe("2");
    const served = response.headers.get("x-agcp-account");
    const accounts = await simAccounts(stack);
    const generates = accounts.reduce((n, a) => n + (a.counters.requests.streamGenerateContent ?? 0), 0);
    expect(generates).toBe(2);
    expect(accounts.find((a) => a.email === served)?.counters.successfulGenerates).toBe(1);
  });

  test("pings flow while a slow upstream is waited on, then the answer follows", async () => {
    await stack.control("/faults", { body: { latencyMs: PING_MS * 5, failNext: 1 } });
    const res = await rawStream(stack.url, request("Take your time"));
    expect(res.status).toBe(200);
    const events = parseEvents(await res.text());
    const firstStart = events.findIndex((e) => e.event === "message_start");
    const pingsBefore = events.slice(0, firstStart).filter((e) => e.event === "ping").length;
    expect(pingsBefore).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)?.event).toBe("message_stop");

    // The SDK accepts a stream that starts with pings.
    await stack.control("/faults", { body: { latencyMs: PING_MS * 3, failNext: 1 } });
    const final = await stack.client.messages.stream(request("Slow again")).finalMessage();
    expect(final.stop_reason).toBe("end_turn");
  });

  test("a client that aborts mid-stream aborts the upstream request", async () => {
    const ctrl = new AbortController();
    const res = await rawStream(stack.url, request("A long answer I will not wait for"), { signal: ctrl.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let seen = "";
    while (!seen.includes("content_block_delta")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended before any content");
      seen += new TextDecoder().decode(value);
    }
    ctrl.abort();
    await waitFor("the simulator to count a client abort", async () => {
      const accounts = await simAccounts(stack);
      return accounts.some((a) => a.counters.clientAborts === 1) && accounts.every((a) => a.counters.inflight === 0);
    });
    // Leaving is not the account's fault.
    for (const a of stack.agcp.runtime.pool.accounts()) expect(a.cooldowns).toEqual({});
  });

  test("the SDK aborting a stream is also seen upstream", async () => {
    const stream = stack.client.messages.stream(request("Abort me from the SDK"));
    const outcome = stream.finalMessage().catch((e: unknown) => e);
    await new Promise<void>((resolve) => stream.on("text", () => resolve()));
    stream.abort();
    expect(await outcome).toBeInstanceOf(Anthropic.APIUserAbortError);
    await waitFor("the simulator to count a client abort", async () => (await simAccounts(stack)).some((a) => a.counters.clientAborts === 1));
  });
});
