// An upstream that answers 200 and then goes silent (headers sent, no bytes, connection open).
// The time-to-headers deadline (upstream.requestTimeoutMs) cannot see this; something must, or the
// request waits for ever — with pings keeping every timeout along the way from firing.
import { afterEach, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";

const MODEL = "claude-sonnet-4-6";
const HEADERS = { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "test-key" };

let stack: Stack | undefined;
let front: ReturnType<typeof Bun.serve> | undefined;
const hung: ReadableStreamDefaultController<Uint8Array>[] = [];
afterEach(async () => {
  for (const c of hung.splice(0)) {
    try {
      c.close();
    } catch {}
  }
  await stack?.close();
  front?.stop(true);
  stack = front = undefined;
});

/** Forwards to the simulator, except that the first `stalls` generate calls answer 200 and then say nothing. */
function stallingFront(simUrl: string, stalls: number, firstChunk?: string) {
  let left = stalls;
  return Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (url.pathname.includes(":streamGenerateContent") && left > 0) {
        left--;
        await req.arrayBuffer();
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            hung.push(c);
            if (firstChunk) c.enqueue(new TextEncoder().encode(firstChunk));
          },
        });
        return new Response(body, { headers: { "content-type": "text/event-stream" } });
      }
      return fetch(`${simUrl}${url.pathname}${url.search}`, { method: req.method, headers: req.headers, body: req.method === "GET" ? undefined : await req.arrayBuffer() });
    },
  });
}

async function stackBehindFront(stalls: number, firstChunk?: string): Promise<Stack> {
  let frontUrl = "";
  const s = await startStack({
    accounts: [
      { email: "stall1@agcp.test", refreshToken: "sim-refresh-stall1" },
      { email: "stall2@agcp.test", refreshToken: "sim-refresh-stall2" },
    ],
    config: { upstream: { requestTimeoutMs: 500 }, server: { pingIntervalMs: 200 } },
    tweak: (c) => {
      front = stallingFront(c.upstream.hosts[0]!, stalls, firstChunk);
      frontUrl = `http://127.0.0.1:${front.port}`;
      return { ...c, upstream: { ...c.upstream, hosts: [frontUrl] } };
    },
  });
  return s;
}

/** A frame with no content: headers and one read reach agcp, then nothing more. */
const NO_CONTENT = `data: ${JSON.stringify({ response: { candidates: [{ content: { role: "model", parts: [] } }] } })}\n\n`;

function race<T>(ms: number, p: Promise<T>): Promise<T | "hung"> {
  return Promise.race([p, Bun.sleep(ms).then(() => "hung" as const)]);
}

test("a stream whose upstream goes silent before any content fails over (or fails) instead of hanging", async () => {
  stack = await stackBehindFront(1, NO_CONTENT);
  const res = await fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: MODEL, max_tokens: 16, stream: true, messages: [{ role: "user", content: "hi" }] }),
  });
  // requestTimeoutMs is 500 ms; give it six times that.
  const text = await race(2_500, res.text());
  expect(text).not.toBe("hung");
  expect(text as string).toMatch(/event: (message_stop|error)/);
}, 10_000);

test("a non-streaming request on a thinking model whose upstream goes silent does not hang", async () => {
  stack = await stackBehindFront(1, NO_CONTENT);
  const answer = fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify({ model: "claude-opus-4-6-thinking", max_tokens: 2048, messages: [{ role: "user", content: "hi" }] }),
  }).then((r) => r.status);
  expect(await race(2_500, answer)).not.toBe("hung");
}, 10_000);
