// An upstream that sends the first bytes of a 2xx answer and then nothing, connection open
// (the simulator's `stallAfterBytes` fault). Every wait on upstream is bounded by
// upstream.requestTimeoutMs, so each request ends — with an answer or a clear error — within
// that time plus a second, streaming or not, and agcp hangs up on the stalled upstream.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, HEADERS, isAnthropicError, MODEL, simStats, sseEvents, waitFor, within } from "./helpers.ts";

const TIMEOUT_MS = 600;
/** The bound the issue sets: the deadline plus a second. Generous next to the deadline itself. */
const BOUND_MS = TIMEOUT_MS + 1_000;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: accounts(4, "stall"),
    sim: { requestsPerQuota: 1_000_000 },
    config: {
      upstream: { requestTimeoutMs: TIMEOUT_MS },
      server: { pingIntervalMs: 200 },
      pool: { bucket: { max: 100_000, initial: 100_000 } },
    },
  });
});
afterAll(() => stack?.close());
afterEach(async () => {
  await stack.control("/reset", { method: "POST", body: { faults: true } });
  for (const a of stack.agcp.runtime.pool.accounts()) stack.agcp.runtime.pool.resetAccount(a.id);
});

function post(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${stack.url}/v1/messages`, { method: "POST", headers: HEADERS, body: JSON.stringify({ max_tokens: 64, messages: [{ role: "user", content: "hi" }], ...body }) });
}

describe("the simulator's stallAfterBytes fault", () => {
  for (const streaming of [false, true]) {
    test(`${streaming ? "streamGenerateContent" : "generateContent"}: exactly N bytes, then silence with the connection open`, async () => {
      const account = (await stack.control("/accounts"))[0];
      await stack.control(`/accounts/${account.email}`, { body: { fault: { stallAfterBytes: 7 } } });
      const token = await (await fetch(`${stack.simUrl}/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: account.refreshToken }),
      })).json();
      const method = streaming ? "streamGenerateContent?alt=sse" : "generateContent";
      const abort = new AbortController();
      const res = await fetch(`${stack.simUrl}/v1internal:${method}`, {
        method: "POST",
        headers: { authorization: `Bearer ${token.access_token}`, "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-sonnet-4-6", project: account.projectId, request: { contents: [{ role: "user", parts: [{ text: "hi" }] }] } }),
        signal: abort.signal,
      });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let received = 0;
      // Read until no further byte comes within a generous pause; a stalled body never completes.
      for (;;) {
        const next = await Promise.race([reader.read(), Bun.sleep(300).then(() => "silent" as const)]);
        if (next === "silent") break;
        expect(next.done).toBe(false);
        received += next.value!.byteLength;
      }
      expect(received).toBe(7);
      abort.abort();
    });
  }

  test("is accepted globally and per account, and refused when not a non-negative number", async () => {
    await stack.control("/faults", { body: { stallAfterBytes: 3 } });
    expect((await stack.control("/faults")).fault.stallAfterBytes).toBe(3);
    const res = await fetch(`${stack.simUrl}/__sim/faults`, { method: "PATCH", body: JSON.stringify({ stallAfterBytes: -1 }) });
    expect(res.status).toBe(400);
  });
});

/** Generate calls one simulated account received. */
async function generatesOf(email: string): Promise<number> {
  const all: Array<{ email: string; counters: { requests: Record<string, number> } }> = await stack.control("/accounts");
  const r = all.find((a) => a.email === email)?.counters.requests ?? {};
  return (r.generateContent ?? 0) + (r.streamGenerateContent ?? 0);
}

describe("agcp against answers that stall after their first bytes", () => {
  test("a non-streaming request ends within requestTimeoutMs + 1 s with a clear 504, and upstream is hung up on", async () => {
    await stack.control("/faults", { body: { stallAfterBytes: 20 } });
    const res = await within(BOUND_MS, "non-streaming request on a stalled upstream", post({ model: MODEL }));
    const body = await within(BOUND_MS, "its body", res.json());
    expect(res.status).toBe(504);
    expect(isAnthropicError(body)).toBe(true);
    expect(body.error.message).toContain(`${TIMEOUT_MS} ms`);
    await waitFor("agcp to close the stalled upstream request", async () => (await simStats(stack)).inflight === 0);
    expect((await simStats(stack)).clientAborts).toBeGreaterThanOrEqual(1);
  });

  test("a non-streaming request on a thinking model (answered through a stream) ends within the same bound", async () => {
    await stack.control("/faults", { body: { stallAfterBytes: 20 } });
    const res = await within(BOUND_MS, "thinking request", post({ model: "claude-opus-4-6-thinking", max_tokens: 2048 }));
    expect(res.status).toBe(504);
    expect(isAnthropicError(await res.json())).toBe(true);
  });

  test("a streaming request ends within the same bound with event: error", async () => {
    await stack.control("/faults", { body: { stallAfterBytes: 20 } });
    const text = await within(BOUND_MS, "streaming request", post({ model: MODEL, stream: true }).then((r) => r.text()));
    const events = sseEvents(text);
    expect(events.at(-1)?.event).toBe("error");
  });

  test("a stall after the whole answer was sent is no stall: the request completes", async () => {
    await stack.control("/faults", { body: { stallAfterBytes: 1_000_000 } });
    const res = await within(BOUND_MS, "complete answer", post({ model: MODEL }));
    expect(res.status).toBe(200);
    expect((await res.json()).type).toBe("message");
  });

  test("only the stalled account's request fails; the pool keeps serving from the others", async () => {
    const [first] = await stack.control("/accounts");
    await stack.control(`/accounts/${first.email}`, { body: { fault: { stallAfterBytes: 5 } } });
    const before = await generatesOf(first.email);
    // Eight conversations at once: how they spread is the strategy's business; what is checked is
    // that exactly the requests the stalled account took fail, and every other one is answered.
    const statuses = await within(
      BOUND_MS * 3,
      "requests",
      Promise.all(Array.from({ length: 8 }, (_, i) => post({ model: MODEL, messages: [{ role: "user", content: `conversation ${i}` }] }).then((r) => r.status))),
    );
    for (const s of statuses) expect([200, 504]).toContain(s);
    const stalled = (await generatesOf(first.email)) - before;
    expect(stalled).toBeLessThan(8);
    expect(statuses.filter((s) => s === 504).length).toBe(stalled);
    expect(statuses.filter((s) => s === 200).length).toBe(8 - stalled);
  });
});
