/**
 * Anthropic-shaped answers → Responses API: a `response` object, or the typed `response.*` SSE
 * events that build it (created → output items with their deltas → completed). Thinking becomes
 * a reasoning item (summary text + agcp's encrypted_content), text a message item, tool use a
 * function_call item whose call_id is the tool_use id.
 */
import type { AnthropicMessage, AnthropicStreamEvent, StopReason, Usage } from "../../anthropic/types.ts";
import { reId, unixNow } from "../common.ts";
import type { EventEncoder } from "../via-anthropic.ts";
import { encodeReasoning } from "./reasoning.ts";
import type { ResponsesRequest } from "./schema.ts";

type OutputItem = Record<string, unknown> & { type: string; id: string };

export function responsesUsage(u: Usage | undefined) {
  const cached = u?.cache_read_input_tokens ?? 0;
  const input = (u?.input_tokens ?? 0) + cached;
  const output = u?.output_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input + output,
  };
}

/** The fields of a response object that echo the request. */
function envelope(req: ResponsesRequest, id: string, createdAt: number) {
  return {
    id,
    object: "response",
    created_at: createdAt,
    error: null,
    incomplete_details: null as { reason: string } | null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: req.model,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: null },
    store: false,
    temperature: req.temperature ?? null,
    text: { format: req.text?.format ?? { type: "text" } },
    tool_choice: req.tool_choice ?? "auto",
    tools: req.tools ?? [],
    top_p: req.top_p ?? null,
    truncation: "disabled",
    metadata: {},
  };
}

function finalStatus(stop: StopReason | null | undefined): { status: "completed" | "incomplete"; incomplete_details: { reason: string } | null } {
  return stop === "max_tokens" ? { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } } : { status: "completed", incomplete_details: null };
}

const messageItem = (id: string, text: string, status: string): OutputItem => ({
  type: "message",
  id,
  status,
  role: "assistant",
  content: status === "in_progress" ? [] : [{ type: "output_text", text, annotations: [], logprobs: [] }],
});

const reasoningItem = (id: string, text: string, signature: string): OutputItem => ({
  type: "reasoning",
  id,
  summary: text ? [{ type: "summary_text", text }] : [],
  ...(signature && { encrypted_content: encodeReasoning(text, signature) }),
});

const functionCallItem = (id: string, callId: string, name: string, args: string, status: string): OutputItem => ({
  type: "function_call",
  id,
  call_id: callId,
  name,
  arguments: args,
  status,
});

export function toResponse(message: AnthropicMessage, req: ResponsesRequest) {
  const base = message.id.replace(/^msg_/, "");
  const output: OutputItem[] = message.content.flatMap((block, i): OutputItem[] => {
    if (block.type === "thinking") return [reasoningItem(`rs_${base}_${i}`, block.thinking, block.signature)];
    if (block.type === "text") return [messageItem(`msg_${base}_${i}`, block.text, "completed")];
    if (block.type === "tool_use") return [functionCallItem(`fc_${base}_${i}`, block.id, block.name, JSON.stringify(block.input), "completed")];
    return [];
  });
  return { ...envelope(req, reId(message.id, "resp_"), unixNow()), ...finalStatus(message.stop_reason), output, usage: responsesUsage(message.usage) };
}

interface OpenItem {
  item: OutputItem;
  outputIndex: number;
  text: string;
  signature: string;
}

/** Stateful: one per stream. Every event carries OpenAI's running `sequence_number`. */
export function createResponsesEncoder(req: ResponsesRequest): EventEncoder {
  let seq = 0;
  let id = "resp_agcp";
  let base = "agcp";
  const createdAt = unixNow();
  const output: OutputItem[] = [];
  const open = new Map<number, OpenItem>();
  let stop: StopReason | null = null;
  let usage: Usage | undefined;
  const event = (type: string, fields: Record<string, unknown>) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`;
  const snapshot = (status: string) => ({ ...envelope(req, id, createdAt), status, output: [...output] });

  return {
    encode(events: readonly AnthropicStreamEvent[]): string {
      let out = "";
      for (const ev of events) {
        switch (ev.type) {
          case "message_start":
            id = reId(ev.message.id, "resp_");
            base = ev.message.id.replace(/^msg_/, "");
            out += event("response.created", { response: snapshot("in_progress") });
            out += event("response.in_progress", { response: snapshot("in_progress") });
            break;
          case "content_block_start": {
            const b = ev.content_block;
            const outputIndex = output.length;
            let item: OutputItem;
            if (b.type === "thinking") item = reasoningItem(`rs_${base}_${ev.index}`, "", "");
            else if (b.type === "text") item = messageItem(`msg_${base}_${ev.index}`, "", "in_progress");
            else if (b.type === "tool_use") item = functionCallItem(`fc_${base}_${ev.index}`, b.id, b.name, "", "in_progress");
            else break;
            open.set(ev.index, { item, outputIndex, text: "", signature: "" });
            output.push(item);
            out += event("response.output_item.added", { output_index: outputIndex, item });
            if (b.type === "thinking") {
              out += event("response.reasoning_summary_part.added", { item_id: item.id, output_index: outputIndex, summary_index: 0, part: { type: "summary_text", text: "" } });
            } else if (b.type === "text") {
              out += event("response.content_part.added", { item_id: item.id, output_index: outputIndex, content_index: 0, part: { type: "output_text", text: "", annotations: [] } });
            }
            break;
          }
          case "content_block_delta": {
            const o = open.get(ev.index);
            if (!o) break;
            const d = ev.delta;
            const at = { item_id: o.item.id, output_index: o.outputIndex };
            if (d.type === "thinking_delta") {
              o.text += d.thinking;
              out += event("response.reasoning_summary_text.delta", { ...at, summary_index: 0, delta: d.thinking });
            } else if (d.type === "signature_delta") {
              o.signature = d.signature;
            } else if (d.type === "text_delta") {
              o.text += d.text;
              out += event("response.output_text.delta", { ...at, content_index: 0, delta: d.text, logprobs: [] });
            } else if (d.type === "input_json_delta") {
              o.text += d.partial_json;
              out += event("response.function_call_arguments.delta", { ...at, delta: d.partial_json });
            }
            break;
          }
          case "content_block_stop": {
            const o = open.get(ev.index);
            if (!o) break;
            open.delete(ev.index);
            const at = { item_id: o.item.id, output_index: o.outputIndex };
            let done: OutputItem;
            if (o.item.type === "reasoning") {
              out += event("response.reasoning_summary_text.done", { ...at, summary_index: 0, text: o.text });
              out += event("response.reasoning_summary_part.done", { ...at, summary_index: 0, part: { type: "summary_text", text: o.text } });
              done = reasoningItem(o.item.id, o.text, o.signature);
            } else if (o.item.type === "message") {
              const part = { type: "output_text", text: o.text, annotations: [], logprobs: [] };
              out += event("response.output_text.done", { ...at, content_index: 0, text: o.text, logprobs: [] });
              out += event("response.content_part.done", { ...at, content_index: 0, part });
              done = messageItem(o.item.id, o.text, "completed");
            } else {
              const args = o.text || "{}";
              out += event("response.function_call_arguments.done", { ...at, name: o.item.name, arguments: args });
              done = functionCallItem(o.item.id, o.item.call_id as string, o.item.name as string, args, "completed");
            }
            output[o.outputIndex] = done;
            out += event("response.output_item.done", { output_index: o.outputIndex, item: done });
            break;
          }
          case "message_delta":
            stop = ev.delta.stop_reason;
            usage = ev.usage as Usage;
            break;
          case "message_stop": {
            const status = finalStatus(stop);
            const response = { ...snapshot(status.status), ...status, usage: responsesUsage(usage) };
            out += event(status.status === "completed" ? "response.completed" : "response.incomplete", { response });
            break;
          }
          default:
            break;
        }
      }
      return out;
    },
  };
}
