/**
 * Chat Completions request → Anthropic Messages request, agcp's conversation form. From there
 * src/google/request.ts does the one conversion to Cloud Code that knows upstream's rules.
 */
import { invalidRequest } from "../../anthropic/errors.ts";
import type { ContentBlock, MessageParam, MessagesRequest, TextBlock, Tool, ToolChoice } from "../../anthropic/types.ts";
import { DEFAULT_MAX_TOKENS, documentFromDataUrl, imageFromUrl, parseArguments, effortFields, type JsonMode } from "../common.ts";
import type { ChatMessage, ChatRequest } from "./schema.ts";

export interface ChatConversion {
  messages: MessagesRequest;
  jsonMode: JsonMode | undefined;
}

export function chatToMessages(req: ChatRequest): ChatConversion {
  if (req.n !== undefined && req.n !== null && req.n !== 1) throw invalidRequest(`n: only 1 choice per request is supported, got ${req.n}`);

  const system: TextBlock[] = [];
  const messages: MessageParam[] = [];
  for (const [i, m] of req.messages.entries()) {
    if (m.role === "system" || m.role === "developer") {
      const text = typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join("\n");
      if (text.trim()) system.push({ type: "text", text });
      continue;
    }
    messages.push(toMessage(m as ConversationMessage, `messages.${i}`));
  }
  if (!messages.some((m) => m.role === "user")) throw invalidRequest("messages: at least one user message is required");

  const out: MessagesRequest = {
    model: req.model,
    messages,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? DEFAULT_MAX_TOKENS,
  };
  if (system.length) out.system = system;
  if (req.temperature !== undefined && req.temperature !== null) out.temperature = req.temperature;
  if (req.top_p !== undefined && req.top_p !== null) out.top_p = req.top_p;
  if (req.stop) out.stop_sequences = typeof req.stop === "string" ? [req.stop] : req.stop;
  Object.assign(out, effortFields(req.reasoning_effort));
  if (req.tools?.length) {
    out.tools = req.tools.map((t): Tool => {
      const tool: Tool = { name: t.function.name, input_schema: t.function.parameters ?? { type: "object", properties: {} } };
      if (t.function.description) tool.description = t.function.description;
      return tool;
    });
    const choice = toolChoice(req.tool_choice);
    if (choice) out.tool_choice = choice;
  }

  const format = req.response_format;
  const jsonMode: JsonMode | undefined =
    format?.type === "json_object"
      ? { type: "json_object" }
      : format?.type === "json_schema"
        ? { type: "json_schema", ...(format.json_schema.schema && { schema: format.json_schema.schema }), ...(format.json_schema.name && { name: format.json_schema.name }) }
        : undefined;
  return { messages: out, jsonMode };
}

type ConversationMessage = Extract<ChatMessage, { role: "user" | "assistant" | "tool" }>;

function toMessage(m: ConversationMessage, where: string): MessageParam {
  switch (m.role) {
    case "user": {
      if (typeof m.content === "string") return { role: "user", content: m.content };
      const blocks: ContentBlock[] = m.content.map((p, j): ContentBlock => {
        if (p.type === "text") return { type: "text", text: p.text };
        if (p.type === "image_url") return imageFromUrl(p.image_url.url, `${where}.content.${j}.image_url.url`);
        if (!p.file.file_data) throw invalidRequest(`${where}.content.${j}.file: only inline file_data is supported (agcp keeps no uploaded files)`);
        return documentFromDataUrl(p.file.file_data, `${where}.content.${j}.file.file_data`);
      });
      return { role: "user", content: blocks };
    }
    case "assistant": {
      const blocks: ContentBlock[] = [];
      // reasoning_content comes back unsigned: upstream could not verify it, so it stays out.
      if (typeof m.content === "string") {
        if (m.content) blocks.push({ type: "text", text: m.content });
      } else if (m.content) {
        for (const p of m.content) blocks.push({ type: "text", text: p.type === "text" ? p.text : p.refusal });
      }
      for (const [j, call] of (m.tool_calls ?? []).entries()) {
        blocks.push({
          type: "tool_use",
          id: call.id,
          name: call.function.name,
          input: parseArguments(call.function.arguments, `${where}.tool_calls.${j}.function`),
        });
      }
      return { role: "assistant", content: blocks };
    }
    case "tool": {
      const content = typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join("\n");
      return { role: "user", content: [{ type: "tool_result", tool_use_id: m.tool_call_id, content }] };
    }
  }
}

function toolChoice(choice: ChatRequest["tool_choice"]): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "none") return { type: "none" };
  if (choice === "auto") return { type: "auto" };
  if (choice === "required") return { type: "any" };
  return { type: "tool", name: choice.function.name };
}
