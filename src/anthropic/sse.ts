/** Anthropic's SSE framing: `event: <type>` then `data: <json>`, one blank line per event. */
import type { ApiError } from "./errors.ts";
import type { AnthropicStreamEvent } from "./types.ts";

export function encodeEvent(event: AnthropicStreamEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

const PING = encodeEvent({ type: "ping" });

export function pingEvent(): string {
  return PING;
}

/** An error after the stream began: the status line is gone, so the body says what went wrong. */
export function errorEvent(error: ApiError): string {
  return encodeEvent({ type: "error", error: { type: error.type, message: error.message } });
}
