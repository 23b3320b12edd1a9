/**
 * Cloud Code (Gemini-shaped) response → Anthropic message, for non-streaming calls. The
 * streaming path (./stream.ts) shares the stop-reason and usage rules below.
 */
import type { AnthropicMessage, ResponseContentBlock, StopReason, ThinkingBlock, Usage } from "../anthropic/types.ts";
import { type IdSource, randomId, toolUseId } from "./ids.ts";
import { withoutPlaceholder } from "./schema-sanitize.ts";
import type { SignatureCache } from "./signatures.ts";
import type { ToolNameMap } from "./tool-names.ts";
import type { CloudCodeResponse, GoogleUsageMetadata, ModelFamily } from "./types.ts";

export interface ToAnthropicContext {
  /** The model name the client asked for; clients expect to see it back. */
  requestedModel: string;
  toolNames: ToolNameMap;
  signatures: SignatureCache;
  /** Family of the upstream model that answered; signatures are recorded under it. */
  family: ModelFamily;
  /** `thinking.display: "omitted"`: thinking blocks carry no text, only their signature. */
  omitThinking?: boolean;
  /** The client did not ask for thinking: none is shown; a tool call's is kept by its id (see stream.ts). */
  hideThinking?: boolean;
  newId?: IdSource;
}

export function toAnthropicMessage(response: CloudCodeResponse, ctx: ToAnthropicContext): AnthropicMessage {
  const newId = ctx.newId ?? randomId;
  const candidate = response.candidates?.[0];
  const content: ResponseContentBlock[] = [];
  let sawToolUse = false;

  for (const part of candidate?.content?.parts ?? []) {
    const last = content[content.length - 1];
    if (part.functionCall) {
      // Claude on Cloud Code signs its thinking on the part after it, which may be this call.
      if (part.thoughtSignature && ctx.family === "claude" && last?.type === "thinking" && !last.signature) last.signature = part.thoughtSignature;
      const id = toolUseId(part.functionCall.id, newId);
      if (part.thoughtSignature && ctx.family === "gemini") ctx.signatures.rememberToolCall(id, part.thoughtSignature);
      content.push({ type: "tool_use", id, name: ctx.toolNames.toOriginal(part.functionCall.name), input: withoutPlaceholder(part.functionCall.args) });
      sawToolUse = true;
    } else if (part.thought === true) {
      // Consecutive thought parts (and a trailing signature-only part) form one thinking block.
      if (last?.type === "thinking") {
        last.thinking += part.text ?? "";
        if (part.thoughtSignature) last.signature = part.thoughtSignature;
      } else {
        content.push({ type: "thinking", thinking: part.text ?? "", signature: part.thoughtSignature ?? "" });
      }
    } else if (typeof part.text === "string") {
      // Gemini may sign the answer's first text part rather than its thoughts: the thinking keeps it.
      if (part.thoughtSignature && last?.type === "thinking" && !last.signature) last.signature = part.thoughtSignature;
      if (!part.text) continue;
      if (last?.type === "text") last.text += part.text;
      else content.push({ type: "text", text: part.text });
    }
    // inlineData/fileData in answers (generated images) have no Anthropic form: skipped.
  }

  let hidden: ThinkingBlock | undefined;
  for (const block of content) {
    if (ctx.hideThinking && block.type === "tool_use" && hidden) {
      ctx.signatures.rememberHiddenThinking(block.id, { text: hidden.thinking, signature: hidden.signature });
      hidden = undefined;
    }
    if (block.type !== "thinking" || !block.signature) continue;
    ctx.signatures.rememberThinking(block.signature, ctx.family);
    if (ctx.hideThinking) hidden = block;
    else if (ctx.omitThinking) {
      ctx.signatures.rememberThinkingText(block.signature, block.thinking);
      block.thinking = "";
    }
  }

  return {
    id: newId("msg"),
    type: "message",
    role: "assistant",
    model: ctx.requestedModel,
    content: content.filter((b) => !(b.type === "thinking" && (ctx.hideThinking || isEmptyThinking(b)))),
    stop_reason: stopReason(candidate?.finishReason, sawToolUse),
    stop_sequence: null,
    usage: toUsage(response.usageMetadata),
  };
}

/** Whether upstream said anything at all; an empty answer is worth a retry. */
export function hasContent(response: CloudCodeResponse): boolean {
  return (response.candidates?.[0]?.content?.parts ?? []).some(
    (p) => p.functionCall !== undefined || (typeof p.text === "string" && p.text !== ""),
  );
}

function isEmptyThinking(b: ThinkingBlock): boolean {
  return b.thinking === "" && b.signature === "";
}

const REFUSALS = new Set(["SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"]);

export function stopReason(finishReason: string | undefined, sawToolUse: boolean): StopReason {
  if (sawToolUse) return "tool_use";
  if (finishReason === "MAX_TOKENS") return "max_tokens";
  if (finishReason && REFUSALS.has(finishReason)) return "refusal";
  return "end_turn";
}

export function toUsage(meta: GoogleUsageMetadata | undefined): Usage {
  const prompt = meta?.promptTokenCount ?? 0;
  const cached = meta?.cachedContentTokenCount ?? 0;
  return {
    input_tokens: Math.max(0, prompt - cached),
    output_tokens: meta?.candidatesTokenCount ?? 0,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
  };
}
