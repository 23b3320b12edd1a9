// Upstream (or something in between) ends the SSE stream cleanly after some content but before the
// chunk carrying finishReason. That is a drop, not a finished answer: the client must not be told
// the turn ended normally (stop_reason end_turn) with half an answer.
import { afterEach, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";

const HEADERS = { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "test-key" };
let stack: Stack | undefined;
let front: ReturnType<typeof Bun.serve> | undefined;
afterEach(async () => {
  await stack?.close();
  front?.stop(true);
  stack = front = undefined;
});

/** Forwards to the simulator; generate streams keep only their first data frame, then end cleanly. */
function truncatingFront(simUrl: string) {
  return Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const url = new URL(req.url);
      const upstream = await fetch(`${simUrl}${url.pathname}${url.search}`, {
        method: req.method,
        headers: req.headers,
        body: req.method === "GET" ? undefined : await req.arrayBuffer(),
      });
      if (!url.pathname.includes(":streamGenerateContent") || !upstream.ok) return upstream;
      const frames = (await upstream.text()).split(/\r?\n\r?\n/).filter((f) => f.startsWith("data:"));
      return new Response(`${frames[0]}\n\n`, { headers: { "content-type": "text/event-stream" } });
    },
  });
}

test("a stream cut cleanly before finishReason ends with event: error, not message_stop with end_turn", async () => {
  stack = await startStack({
    accounts: [{ email: "trunc@agcp.test", refreshToken: "sim-refresh-trunc" }],
    tweak: (c) => {
      front = truncatingFront(c.upstream.hosts[0]!);
      return { ...c, upstream: { ...c.upstream, hosts: [`http://127.0.0.1:${front.port}`] } };
    },
  });
  const res = await fetch(`${stack.url}/v1/messages`, {
    method: "POST",
    headers: HEADERS,
    // Thinking asked for, so the first frame (the model's thoughts) is content the client sees.
    body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 2048, stream: true, thinking: { type: "enabled", budget_tokens: 1024 }, messages: [{ role: "user", content: "a long answer please" }] }),
  });
  const text = await res.text();
  expect(text).toContain("content_block_delta"); // some content did arrive
  expect(text).toContain("event: error");
  expect(text).not.toContain('"stop_reason":"end_turn"');
});
