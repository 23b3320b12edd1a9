import { expect, test } from "bun:test";
import { ApiError } from "../../src/anthropic/errors.ts";
import { encodeEvent, errorEvent, pingEvent } from "../../src/anthropic/sse.ts";

test("encodeEvent frames type and JSON", () => {
  const s = encodeEvent({ type: "content_block_delta", index: 2, delta: { type: "text_delta", text: "a\nb" } });
  expect(s).toBe('event: content_block_delta\ndata: {"type":"content_block_delta","index":2,"delta":{"type":"text_delta","text":"a\\nb"}}\n\n');
});

test("pingEvent", () => {
  expect(pingEvent()).toBe('event: ping\ndata: {"type":"ping"}\n\n');
});

test("errorEvent carries the Anthropic error body", () => {
  const s = errorEvent(new ApiError("overloaded_error", "Upstream is overloaded"));
  expect(s.startsWith("event: error\ndata: ")).toBe(true);
  expect(JSON.parse(s.slice("event: error\ndata: ".length))).toEqual({
    type: "error",
    error: { type: "overloaded_error", message: "Upstream is overloaded" },
  });
  expect(s.endsWith("\n\n")).toBe(true);
});
