/**
 * Anthropic-shaped answers → Chat Completions: one `chat.completion` object, or
 * `chat.completion.chunk` SSE lines ending in `data: [DONE]`. Thinking goes out as
 * `reasoning_content`, the field OpenAI-compatible clients (DeepSeek-style) read.
 */
import type { AnthropicMessage, AnthropicStreamEvent, StopReason, Usage } from "../../anthropic/types.ts";
import { reId, unixNow } from "../common.ts";
import type { EventEncoder } from "../via-anthropic.ts";

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export function finishReason(stop: StopReason | null | undefined): FinishReason {
  switch (stop) {
    case "tool_use":
      return "tool_calls";
    case "max_tokens":
      return "length";
    case "refusal":
      return "content_filter";
    default:
      return "stop";
  }
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

/** Anthropic splits the prompt into fresh and cached tokens; OpenAI counts the whole prompt and says how much was cached. */
export function chatUsage(u: Usage): ChatUsage {
  const cached = u.cache_read_input_tokens ?? 0;
  const prompt = u.input_tokens + cached;
  return { prompt_tokens: prompt, completion_tokens: u.output_tokens, total_tokens: prompt + u.output_tokens, prompt_tokens_details: { cached_tokens: cached } };
}

interface ToolCallOut {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export function toChatCompletion(message: AnthropicMessage, model: string) {
  let content = "";
  let reasoning = "";
  const toolCalls: ToolCallOut[] = [];
  for (const block of message.content) {
    if (block.type === "text") content += block.text;
    else if (block.type === "thinking") reasoning += block.thinking;
    else if (block.type === "tool_use") toolCalls.push({ id: block.id, type: "function", function: { name: block.name, arguments: JSON.stringify(block.input) } });
  }
  const out: Record<string, unknown> = { role: "assistant", content: content || (toolCalls.length ? null : ""), refusal: null };
  if (reasoning) out.reasoning_content = reasoning;
  if (toolCalls.length) out.tool_calls = toolCalls;
  return {
    id: reId(message.id, "chatcmpl-"),
    object: "chat.completion" as const,
    created: unixNow(),
    model,
    choices: [{ index: 0, message: out, finish_reason: finishReason(message.stop_reason), logprobs: null }],
    usage: chatUsage(message.usage),
  };
}

/** Stateful: tool calls are numbered in order of appearance, as OpenAI's `tool_calls[].index`. */
export function createChatEncoder(model: string, includeUsage: boolean): EventEncoder {
  let id = "chatcmpl-agcp";
  const created = unixNow();
  let toolIndex = -1;
  // Anthropic block index → the tool call it is, for argument deltas.
  const toolOfBlock = new Map<number, number>();
  const chunk = (delta: Record<string, unknown>, finish: FinishReason | null = null) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;

  return {
    encode(events: readonly AnthropicStreamEvent[]): string {
      let out = "";
      for (const ev of events) {
        switch (ev.type) {
          case "message_start":
            id = reId(ev.message.id, "chatcmpl-");
            out += chunk({ role: "assistant", content: "" });
            break;
          case "content_block_start":
            if (ev.content_block.type === "tool_use") {
              toolOfBlock.set(ev.index, ++toolIndex);
              out += chunk({
                tool_calls: [{ index: toolIndex, id: ev.content_block.id, type: "function", function: { name: ev.content_block.name, arguments: "" } }],
              });
            }
            break;
          case "content_block_delta": {
            const d = ev.delta;
            if (d.type === "text_delta") out += chunk({ content: d.text });
            else if (d.type === "thinking_delta") out += chunk({ reasoning_content: d.thinking });
            else if (d.type === "input_json_delta") out += chunk({ tool_calls: [{ index: toolOfBlock.get(ev.index) ?? 0, function: { arguments: d.partial_json } }] });
            break;
          }
          case "message_delta": {
            out += chunk({}, finishReason(ev.delta.stop_reason));
            if (includeUsage) {
              out += `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices: [], usage: chatUsage(ev.usage as Usage) })}\n\n`;
            }
            break;
          }
          case "message_stop":
            out += "data: [DONE]\n\n";
            break;
          default:
            break;
        }
      }
      return out;
    },
  };
}
