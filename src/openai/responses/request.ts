/**
 * Responses request → Anthropic Messages request (agcp's conversation form). Input items map
 * one to one: messages, function calls, their outputs, and reasoning items, whose
 * `encrypted_content` carries the thinking and its signature back (agcp put them there).
 */
import { invalidRequest } from "../../anthropic/errors.ts";
import type { ContentBlock, MessageParam, MessagesRequest, TextBlock, Tool, ToolChoice } from "../../anthropic/types.ts";
import { DEFAULT_MAX_TOKENS, documentFromDataUrl, imageFromUrl, parseArguments, effortFields, type JsonMode } from "../common.ts";
import { decodeReasoning } from "./reasoning.ts";
import type { ResponsesContentPart, ResponsesRequest } from "./schema.ts";

export interface ResponsesConversion {
  messages: MessagesRequest;
  jsonMode: JsonMode | undefined;
}

export function responsesToMessages(req: ResponsesRequest): ResponsesConversion {
  if (req.previous_response_id) {
    throw invalidRequest(
      "previous_response_id: agcp keeps no response state; send the whole conversation in `input` (with store: false, as Codex does).",
    );
  }
  const system: TextBlock[] = [];
  if (req.instructions?.trim()) system.push({ type: "text", text: req.instructions });
  const messages: MessageParam[] = [];
  // Items of one turn arrive one by one; consecutive items of the same role join one message.
  const push = (role: "user" | "assistant", blocks: ContentBlock[]) => {
    const last = messages[messages.length - 1];
    if (last && last.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  const items = typeof req.input === "string" ? [{ role: "user" as const, content: req.input }] : req.input;
  for (const [i, item] of items.entries()) {
    const where = `input.${i}`;
    if (!("type" in item) || item.type === undefined || item.type === "message") {
      const m = item as { role: "user" | "assistant" | "system" | "developer"; content: string | ResponsesContentPart[] };
      if (m.role === "system" || m.role === "developer") {
        const text = typeof m.content === "string" ? m.content : m.content.map((p) => ("text" in p ? p.text : "")).join("\n");
        if (text.trim()) system.push({ type: "text", text });
        continue;
      }
      push(m.role, contentBlocks(m.content, `${where}.content`));
    } else if (item.type === "function_call") {
      const call = item as { call_id: string; name: string; arguments: string };
      push("assistant", [{ type: "tool_use", id: call.call_id, name: call.name, input: parseArguments(call.arguments, where) }]);
    } else if (item.type === "function_call_output") {
      const out = item as { call_id: string; output: string | ResponsesContentPart[] };
      const content = typeof out.output === "string" ? out.output : out.output.map((p) => ("text" in p ? p.text : "")).join("\n");
      push("user", [{ type: "tool_result", tool_use_id: out.call_id, content }]);
    } else if (item.type === "reasoning") {
      const thinking = decodeReasoning((item as { encrypted_content?: string | null }).encrypted_content);
      // Without agcp's own encrypted_content there is no signature, and upstream takes no unsigned thinking.
      if (thinking) push("assistant", [{ type: "thinking", thinking: thinking.thinking, signature: thinking.signature }]);
    }
  }
  if (!messages.some((m) => m.role === "user")) throw invalidRequest("input: at least one user message is required");

  const out: MessagesRequest = { model: req.model, messages, max_tokens: req.max_output_tokens ?? DEFAULT_MAX_TOKENS };
  if (system.length) out.system = system;
  if (req.temperature !== undefined && req.temperature !== null) out.temperature = req.temperature;
  if (req.top_p !== undefined && req.top_p !== null) out.top_p = req.top_p;
  Object.assign(out, effortFields(req.reasoning?.effort));

  // Hosted tools (web_search, file_search, computer_use, …) run on OpenAI's side; only functions travel.
  const functions = (req.tools ?? []).filter((t) => t.type === "function");
  if (functions.length) {
    out.tools = functions.map((t, j): Tool => {
      if (!t.name) throw invalidRequest(`tools.${j}.name: Field required`);
      const tool: Tool = { name: t.name, input_schema: t.parameters ?? { type: "object", properties: {} } };
      if (t.description) tool.description = t.description;
      return tool;
    });
    const choice = toolChoice(req.tool_choice);
    if (choice) out.tool_choice = choice;
  }

  const format = req.text?.format;
  const jsonMode: JsonMode | undefined =
    format?.type === "json_object"
      ? { type: "json_object" }
      : format?.type === "json_schema"
        ? { type: "json_schema", ...(format.schema && { schema: format.schema }), ...(format.name && { name: format.name }) }
        : undefined;
  return { messages: out, jsonMode };
}

function contentBlocks(content: string | ResponsesContentPart[], where: string): ContentBlock[] {
  if (typeof content === "string") return content ? [{ type: "text", text: content }] : [];
  return content.map((p, j): ContentBlock => {
    switch (p.type) {
      case "input_text":
      case "output_text":
        return { type: "text", text: p.text };
      case "refusal":
        return { type: "text", text: p.refusal };
      case "input_image":
        if (!p.image_url) throw invalidRequest(`${where}.${j}.image_url: only image URLs are supported (agcp keeps no uploaded files)`);
        return imageFromUrl(p.image_url, `${where}.${j}.image_url`);
      case "input_file":
        if (!p.file_data) throw invalidRequest(`${where}.${j}.file_data: only inline file_data is supported (agcp keeps no uploaded files)`);
        return documentFromDataUrl(p.file_data, `${where}.${j}.file_data`);
    }
  });
}

function toolChoice(choice: ResponsesRequest["tool_choice"]): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "none") return { type: "none" };
  if (choice === "auto") return { type: "auto" };
  if (choice === "required") return { type: "any" };
  return { type: "tool", name: choice.name };
}
