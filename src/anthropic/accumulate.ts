import type { AnthropicMessage, AnthropicStreamEvent, ResponseContentBlock } from "./types.ts";

/**
 * Folds a complete stream of Anthropic events into the message a non-streaming call returns,
 * the same way a client SDK would: tool input arrives as JSON fragments and is parsed at the end.
 */
export function accumulateMessage(events: readonly AnthropicStreamEvent[]): AnthropicMessage {
  let message: AnthropicMessage | undefined;
  const toolJson = new Map<number, string>();
  for (const ev of events) {
    switch (ev.type) {
      case "message_start":
        message = { ...ev.message, content: [] };
        break;
      case "content_block_start":
        message?.content.push(structuredClone(ev.content_block));
        break;
      case "content_block_delta": {
        const block = message?.content[ev.index];
        if (block) applyDelta(block, ev.delta, ev.index, toolJson);
        break;
      }
      case "message_delta":
        if (message) {
          message.stop_reason = ev.delta.stop_reason;
          message.stop_sequence = ev.delta.stop_sequence;
          message.usage = { ...message.usage, ...ev.usage };
        }
        break;
    }
  }
  if (!message) throw new Error("stream ended without message_start");
  for (const [index, json] of toolJson) {
    const block = message.content[index];
    if (block?.type === "tool_use" || block?.type === "server_tool_use") block.input = json ? JSON.parse(json) : {};
  }
  return message;
}

function applyDelta(
  block: ResponseContentBlock,
  delta: Extract<AnthropicStreamEvent, { type: "content_block_delta" }>["delta"],
  index: number,
  toolJson: Map<number, string>,
) {
  if (delta.type === "text_delta" && block.type === "text") block.text += delta.text;
  else if (delta.type === "thinking_delta" && block.type === "thinking") block.thinking += delta.thinking;
  else if (delta.type === "signature_delta" && block.type === "thinking") block.signature = delta.signature;
  else if (delta.type === "input_json_delta" && (block.type === "tool_use" || block.type === "server_tool_use")) toolJson.set(index, (toolJson.get(index) ?? "") + delta.partial_json);
  else if (delta.type === "citations_delta" && block.type === "text") block.citations = [...(block.citations ?? []), delta.citation];
}
