/**
 * Rejections upstream adds on top of the shape checks in validate.ts: the envelope's own fields,
 * tool mixes, output limits and what Claude refuses when thinking is on. Each answers the text
 * users see from upstream (Claude's checks come back as Anthropic's words inside Google's 400).
 */
import { modelFamily } from "./models.ts";
import { outputLimitOf } from "./output-limits.ts";
import type { SimModel } from "./types.ts";
import { isRecord, type WireContent, type WireGenerateRequest } from "./wire.ts";

/**
 * Top-level keys of the envelope: the official clients send exactly model, project, request,
 * requestId, requestType, userAgent; the proto also has userPromptId and enabledCreditTypes.
 * Anything else fails the JSON parse.
 */
const ENVELOPE_KEYS = new Set(["model", "project", "request", "requestId", "requestType", "userAgent", "userPromptId", "enabledCreditTypes"]);

/** FunctionCallingConfig.Mode; VALIDATED is what agent calls use since mid-2026. */
const CALLING_MODES = new Set(["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"]);

/** Problems with the envelope around `request` (and its envelope-ish fields), or null. */
export function envelopeProblem(body: Record<string, unknown>): string | null {
  for (const key of Object.keys(body)) {
    if (!ENVELOPE_KEYS.has(key)) return `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`;
  }
  for (const key of ["requestId", "requestType", "userAgent", "userPromptId"]) {
    if (body[key] !== undefined && typeof body[key] !== "string") return `Invalid value at '${snake(key)}' (TYPE_STRING), ${JSON.stringify(body[key])}`;
  }
  const request = body.request;
  if (!isRecord(request)) return null;
  // Official: a negative int64 as a string; peers send uuids or uuid+epoch. All are strings.
  const session = request.sessionId;
  if (session !== undefined && (typeof session !== "string" || session === "")) {
    return `Invalid value at 'request.session_id' (TYPE_STRING), ${JSON.stringify(session)}`;
  }
  if (request.labels !== undefined) {
    if (!isRecord(request.labels)) return "Invalid value at 'request.labels': expected a map of string to string.";
    for (const [i, [key, value]] of Object.entries(request.labels).entries()) {
      if (typeof value !== "string") return `Invalid value at 'request.labels[${i}].value' (TYPE_STRING), ${JSON.stringify(value)} (label ${JSON.stringify(key)})`;
    }
  }
  const calling = isRecord(request.toolConfig) ? request.toolConfig.functionCallingConfig : undefined;
  if (isRecord(calling) && calling.mode !== undefined && (typeof calling.mode !== "string" || !CALLING_MODES.has(calling.mode))) {
    return `Invalid value at 'request.tool_config.function_calling_config.mode' (type.googleapis.com/google.cloud.aiplatform.master.FunctionCallingConfig.Mode), ${JSON.stringify(calling.mode)}`;
  }
  return null;
}

/**
 * Built-in search cannot share a request with function declarations on v1internal (peers that
 * tried it got a 400 and keep them apart). The sheet gives no exact text; this is the Gemini
 * API's wording for the same refusal.
 */
export function toolMixProblem(tools: unknown): string | null {
  if (!Array.isArray(tools)) return null;
  const search = tools.some((t) => isRecord(t) && (t.googleSearch !== undefined || t.google_search !== undefined));
  const functions = tools.some((t) => isRecord(t) && Array.isArray(t.functionDeclarations) && t.functionDeclarations.length > 0);
  return search && functions ? "Tool use with function calling is unsupported" : null;
}

/** `maxOutputTokens` above the model's catalog limit. */
export function outputLimitProblem(request: WireGenerateRequest, model: SimModel): string | null {
  const max = request.generationConfig?.maxOutputTokens;
  const limit = outputLimitOf(model);
  if (typeof max !== "number" || max <= limit) return null;
  if (modelFamily(model) === "claude") {
    return `max_tokens: ${max} > ${limit}, which is the maximum allowed number of output tokens for ${model.id}`;
  }
  return `Unable to submit request because it has a maxOutputTokens value of ${max} but the supported range is from 1 (inclusive) to ${limit + 1} (exclusive). Update the value and try again.`;
}

/**
 * What Claude refuses while thinking is on: sampling changes, and a tool loop whose calling turn
 * lost its thinking (Anthropic: the final assistant message must start with a thinking block).
 */
export function claudeThinkingProblem(request: WireGenerateRequest, model: SimModel): string | null {
  if (modelFamily(model) !== "claude" || !thinkingOn(request)) return null;
  const config = request.generationConfig ?? {};
  const temperature = config.temperature;
  if (temperature !== undefined && temperature !== 1) {
    return "`temperature` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility";
  }
  // Anthropic's exact words for top_k are not in the sheets; closest reported wording.
  if (config.topK !== undefined || config.top_k !== undefined) return "`top_k` is not supported when thinking is enabled";

  const at = callingTurnWithoutThinking(request.contents);
  if (at !== null) {
    return `messages.${at}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`tool_use\`. When \`thinking\` is enabled, a final \`assistant\` message must start with a thinking block (preceeding the lastmost set of \`tool_use\` and \`tool_result\` blocks). We recommend you include thinking blocks from previous turns. To avoid this requirement, disable \`thinking\`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking`;
  }
  return null;
}

function thinkingOn(request: WireGenerateRequest): boolean {
  const t = request.generationConfig?.thinkingConfig;
  if (!isRecord(t)) return false;
  if ((t.includeThoughts ?? t.include_thoughts) === true) return true;
  const budget = t.thinkingBudget ?? t.thinking_budget;
  if (typeof budget === "number" && budget > 0) return true;
  const level = t.thinkingLevel ?? t.thinking_level;
  return typeof level === "string" && level !== "" && level !== "THINKING_LEVEL_UNSPECIFIED";
}

/**
 * Index of the model turn that made the calls answered at the end of the conversation, when it
 * carries no thinking: neither a thought part nor a signature (agy replays a call with its
 * signature and no thought part, which upstream accepts). Null when not in a tool loop.
 */
function callingTurnWithoutThinking(contents: WireContent[]): number | null {
  const last = contents.at(-1);
  if (!(last?.parts ?? []).some((p) => p.functionResponse !== undefined)) return null;
  for (let i = contents.length - 2; i >= 0; i--) {
    const parts = contents[i]?.parts ?? [];
    if (contents[i]?.role !== "model" || !parts.some((p) => p.functionCall !== undefined)) continue;
    const thinking = parts.some((p) => p.thought === true || (typeof p.thoughtSignature === "string" && p.thoughtSignature !== ""));
    return thinking ? null : i;
  }
  return null;
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
