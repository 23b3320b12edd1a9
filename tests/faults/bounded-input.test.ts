// Bounds on what one client or one upstream can make agcp hold: a body trickled byte by byte, more
// requests than the connection cap, an upstream SSE line without end. Each ends quickly and clearly.
import { afterAll, describe, expect, test } from "bun:test";
import { SseDecoder, SseParseError } from "../../src/google/stream.ts";
import { startAgcpOn, startSim, type Agcp, type Sim } from "../state/agcp-helpers.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { accounts, HEADERS, isAnthropicError, MODEL, within } from "./helpers.ts";

const MESSAGE = JSON.stringify({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });

describe("a request body sent too slowly (slowloris)", () => {
  let stack: Stack;
  afterAll(() => stack?.close());

  test("is cut at limits.bodyTimeoutMs with 408, and the server keeps serving", async () => {
    stack = await startStack({ accounts: accounts(1, "slow"), config: { limits: { bodyTimeoutMs: 300 } } });
    let sent = 0;
    let stop = false;
    const trickle = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (stop || sent >= MESSAGE.length) return controller.close();
        // One byte now and then: the body would take minutes to arrive.
        await Bun.sleep(sent === 0 ? 0 : 100);
        controller.enqueue(new TextEncoder().encode(MESSAGE[sent++]));
      },
    });
    try {
      const res = await within(5_000, "a trickled body", fetch(`${stack.url}/v1/messages`, { method: "POST", headers: HEADERS, body: trickle, duplex: "half" } as RequestInit));
      expect(res.status).toBe(408);
      const body = await res.json();
      expect(isAnthropicError(body)).toBe(true);
      expect(body.error.message).toContain("limits.bodyTimeoutMs");
      expect(sent).toBeLessThan(MESSAGE.length);
    } finally {
      stop = true;
    }
    const ok = await stack.client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "still there?" }] });
    expect(ok.type).toBe("message");
  });
});

describe("more requests than limits.maxConcurrentRequests", () => {
  let sim: Sim;
  let agcp: Agcp;
  afterAll(async () => {
    await agcp?.close();
    await sim?.close();
  });

  test("the overflow gets 529 at once, and the log says the cap was reached (once)", async () => {
    sim = await startSim(2);
    agcp = await startAgcpOn(sim, { driver: "memory" }, (c) => ({ ...c, limits: { ...c.limits, maxConcurrentRequests: 3 } }));
    await fetch(`${sim.url}/__sim/faults`, { method: "PATCH", body: JSON.stringify({ latencyMs: 800 }) });
    const answers = await within(10_000, "capped requests", Promise.all(
      Array.from({ length: 8 }, () =>
        fetch(`${agcp.agcp.url}/v1/messages`, { method: "POST", headers: HEADERS, body: MESSAGE }).then(async (r) => ({ status: r.status, body: await r.json() })),
      ),
    ));
    const served = answers.filter((a) => a.status === 200).length;
    const refused = answers.filter((a) => a.status === 529);
    expect(served).toBeGreaterThanOrEqual(1);
    expect(served).toBeLessThanOrEqual(3);
    expect(refused.length).toBe(8 - served);
    for (const r of refused) expect(r.body.error.message).toContain("limits.maxConcurrentRequests");
    expect(agcp.lines.filter((l) => l.text.includes("Connection cap reached")).length).toBe(1);
    await fetch(`${sim.url}/__sim/faults`, { method: "PATCH", body: "null" });
    expect((await agcp.ask()).ok).toBe(true);
  });
});

describe("an upstream SSE line without end", () => {
  test("the parser refuses a line past its cap instead of buffering it, however it is cut", () => {
    const cap = 64 * 1024;
    const decoder = new SseDecoder(cap);
    const piece = "x".repeat(4096);
    decoder.push("data: ");
    let reads = 0;
    while (!decoder.failure && reads < 1000) {
      decoder.push(piece);
      reads++;
    }
    expect(decoder.failure).toBeInstanceOf(SseParseError);
    expect(decoder.failure!.message).toContain("limits.maxSseLineBytes");
    expect(reads).toBe(Math.ceil((cap - 5) / piece.length));
    // Under the cap, a long line split across many reads is one event.
    const ok = new SseDecoder(cap);
    const value = "y".repeat(cap / 2);
    const events = [...ok.push(`data: {"v":"`), ...ok.push(value.slice(0, 1000)), ...ok.push(value.slice(1000)), ...ok.push(`"}\n\n`)];
    expect(events).toEqual([{ v: value }]);
  });

  test("many short data lines of one event count like one long line", () => {
    const decoder = new SseDecoder(1024);
    for (let i = 0; i < 200 && !decoder.failure; i++) decoder.push("data: 0123456789\n");
    expect(decoder.failure).toBeInstanceOf(SseParseError);
  });

  test("end to end: the stream fails over or ends with an error, it is not buffered", async () => {
    let stack: Stack | undefined;
    let front: ReturnType<typeof Bun.serve> | undefined;
    try {
      stack = await startStack({
        accounts: accounts(1, "line"),
        config: { limits: { maxSseLineBytes: 64 * 1024 } },
        tweak: (c) => {
          const sim = c.upstream.hosts[0]!;
          front = Bun.serve({
            port: 0,
            hostname: "127.0.0.1",
            async fetch(req) {
              const url = new URL(req.url);
              if (url.pathname.includes(":streamGenerateContent")) {
                await req.arrayBuffer();
                return new Response(`data: {"response":{"candidates":[{"content":{"parts":[{"text":"${"z".repeat(256 * 1024)}`, { headers: { "content-type": "text/event-stream" } });
              }
              return fetch(`${sim}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body: req.method === "GET" ? undefined : await req.arrayBuffer() });
            },
          });
          return { ...c, upstream: { ...c.upstream, hosts: [`http://127.0.0.1:${front.port}`] } };
        },
      });
      const res = await fetch(`${stack.url}/v1/messages`, { method: "POST", headers: HEADERS, body: JSON.stringify({ model: MODEL, max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] }) });
      const text = await within(10_000, "stream with an endless line", res.text());
      // Before any content the stream is not committed yet, so the error comes as a plain answer.
      expect(res.status).toBe(500);
      expect(isAnthropicError(JSON.parse(text))).toBe(true);
      expect(text).toContain("limits.maxSseLineBytes");
    } finally {
      await stack?.close();
      front?.stop(true);
    }
  });
});
