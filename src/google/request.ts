/**
 * Anthropic Messages request → Cloud Code envelope. Pure: the caller resolves the model, the
 * project and the session, and passes the signature cache that decides which thinking may go back.
 *
 * Everything here exists because upstream answers 400 otherwise, and a 400 caused by our
 * translation must never look like an account problem: no `cache_control`, no empty `parts`,
 * no unsigned or foreign thinking, no schema keywords upstream does not know, clean tool names.
 */
import type {
  ContentBlock,
  DocumentBlock,
  ImageBlock,
  MessagesRequest,
  ToolResultBlock,
} from "../anthropic/types.ts";
import { DEFAULT_ENVELOPE, type EnvelopeOptions, upstreamLabels, upstreamRequestId, upstreamSessionId } from "./envelope.ts";
import { modelFamily } from "./models.ts";
import { sanitizeToolSchemaCached } from "./schema-sanitize.ts";
import type { SignatureCache } from "./signatures.ts";
import { builtinThinkingInfo, planThinking, requestedEffort, thinkingRequested, thinksByDefault, type ThinkingModelInfo } from "./thinking.ts";
import { createToolNameMap, type ToolNameMap } from "./tool-names.ts";
import type {
  CloudCodeEnvelope,
  GoogleContent,
  GoogleFunctionDeclaration,
  GoogleGenerationConfig,
  GooglePart,
  GoogleRequest,
  GoogleToolConfig,
  ModelFamily,
} from "./types.ts";

export interface ToCloudCodeContext {
  upstreamModel: string;
  projectId: string;
  /** The conversation's id (see session.ts); the upstream session id and request id derive from it. */
  sessionId: string;
  /** Defaults to the form `envelope.requestId` names; pass one for reproducible output. */
  requestId?: string;
  signatures: SignatureCache;
  /** The model's catalog entry (thinking budget/level, output limit); default: the sheet's values. */
  thinkingInfo?: ThinkingModelInfo;
  /** Envelope form switches. Default: the official clients' form (DEFAULT_ENVELOPE). */
  envelope?: EnvelopeOptions;
  /**
   * The model's output limit from config (`upstream.maxOutputTokens`), used when `thinkingInfo`
   * (the catalog) names none: maxOutputTokens never exceeds the limit, upstream refuses more.
   */
  maxOutputTokens?: number;
  /** The catalog's `model` enum for the upstream model, sent in `labels.model_enum`; default: thinkingInfo's `model`. */
  modelEnum?: string;
  /** Epoch ms of the request, for the official request id. Default: Date.now(). */
  now?: number;
}

export interface CloudCodeRequest {
  envelope: CloudCodeEnvelope;
  toolNames: ToolNameMap;
  /** Whether the request asks upstream for thinking (Claude thinking models also need the interleaved-thinking beta header). */
  thinking: boolean;
}

export { DEFAULT_THINKING_BUDGET, GEMINI_25_MAX_THINKING_BUDGET, MIN_CLAUDE_THINKING_BUDGET } from "./thinking.ts";
/** Gemini caps stopSequences at five. */
const GEMINI_MAX_STOP_SEQUENCES = 5;
/**
 * Google's documented stand-in for a function-call thought signature we do not have (history from
 * another model, or from before a restart); without any, Gemini 3 rejects the call in history.
 */
export const SKIP_THOUGHT_SIGNATURE = "skip_thought_signature_validator";
/** Text for a turn that would otherwise be empty or missing; upstream wants non-empty user-first contents. */
const PLACEHOLDER_TEXT = ".";

export function toCloudCodeRequest(req: MessagesRequest, ctx: ToCloudCodeContext): CloudCodeRequest {
  const family = modelFamily(ctx.upstreamModel);
  const form = ctx.envelope ?? DEFAULT_ENVELOPE;
  // Output limit: the catalog's, else the configured table's, else the sheet's built-in value.
  const baseInfo = ctx.thinkingInfo ?? builtinThinkingInfo(ctx.upstreamModel);
  const outputLimit = ctx.thinkingInfo?.maxOutputTokens ?? ctx.maxOutputTokens ?? baseInfo.maxOutputTokens;
  const thinkingInfo: ThinkingModelInfo = outputLimit === undefined ? baseInfo : { ...baseInfo, maxOutputTokens: outputLimit };
  const thinkingModel = thinksByDefault(ctx.upstreamModel, thinkingInfo);

  // Custom tools only: server tools (web_search_…) run on Anthropic's side and have no function form.
  const tools = (req.tools ?? []).filter((t) => t.input_schema !== undefined || t.type === undefined || t.type === "custom");
  const toolNames = createToolNameMap(tools.map((t) => t.name));

  const callIds = family === "claude" || form.geminiCallIds;
  let contents = buildContents(req, { family, toolNames, signatures: ctx.signatures, callIds, toolResults: form.toolResults });

  let thinking = thinkingRequested(req) || thinkingModel;
  // Each model's own control (budget, level, or the tier in its id): src/google/thinking.ts.
  const thinkingPlan = thinking
    ? planThinking({ model: ctx.upstreamModel, family, info: thinkingInfo, thinking: req.thinking, effort: requestedEffort(req), maxTokens: req.max_tokens })
    : undefined;
  if (!thinkingPlan) thinking = false;
  let choice = req.tool_choice;
  if (thinking && family === "claude") {
    // Claude rejects a tool loop whose last call lost its thinking block (dropped as foreign or
    // unsigned, e.g. after a model switch or a restart): sending it would fail for certain, so
    // this turn goes without thinking. It also refuses thinking with forced tool use: a thinking
    // model keeps thinking and lets the model choose, otherwise the forced tool wins.
    const forced = choice?.type === "any" || choice?.type === "tool";
    if (toolLoopLostThinking(contents)) thinking = false;
    else if (forced && thinkingModel) choice = { type: "auto" };
    else if (forced) thinking = false;
  }

  // Without thinking, history thinking is useless to the model and only risks a signature check.
  if (!thinking && contents.some((c) => c.parts.some((p) => p.thought === true))) {
    contents = normaliseTurns(contents.map((c) => ({ role: c.role, parts: c.parts.filter((p) => p.thought !== true) })));
  }

  const generationConfig: GoogleGenerationConfig = { maxOutputTokens: req.max_tokens };
  const claudeThinking = thinking && family === "claude";
  // Claude with thinking accepts neither temperature changes nor top_k.
  if (req.temperature !== undefined && !(claudeThinking && req.temperature !== 1)) generationConfig.temperature = req.temperature;
  if (req.top_p !== undefined) generationConfig.topP = req.top_p;
  if (req.top_k !== undefined && !claudeThinking) generationConfig.topK = req.top_k;
  if (req.stop_sequences?.length) {
    generationConfig.stopSequences = family === "gemini" ? req.stop_sequences.slice(0, GEMINI_MAX_STOP_SEQUENCES) : req.stop_sequences;
  }
  if (thinking && thinkingPlan) {
    generationConfig.thinkingConfig = thinkingPlan.thinkingConfig;
    generationConfig.maxOutputTokens = thinkingPlan.maxOutputTokens;
  }
  // Upstream refuses more than the model's limit ("max_tokens: 128000 > 64000 …"), thinking or not.
  if (outputLimit !== undefined && (generationConfig.maxOutputTokens ?? 0) > outputLimit) generationConfig.maxOutputTokens = outputLimit;

  // Decided on the Anthropic-shaped turns above; from here on results may turn into model turns.
  if (form.toolResults === "official") contents = resultsAsModelTurns(contents);

  const request: GoogleRequest = { contents, generationConfig, sessionId: upstreamSessionId(ctx.sessionId, form.sessionId) };
  if (form.labels) {
    // The account's catalog entry (passed as thinkingInfo) names the model's enum.
    const catalogEnum = (ctx.thinkingInfo as { model?: unknown } | undefined)?.model;
    const modelEnum = ctx.modelEnum ?? (typeof catalogEnum === "string" ? catalogEnum : undefined);
    request.labels = upstreamLabels({ conversationId: ctx.sessionId, contents, family, model: ctx.upstreamModel, ...(modelEnum && { modelEnum }) });
  }

  let systemParts = [...systemText(req.system), ...systemMessageText(req.messages)];
  if (form.systemIdentity === "prepend" && form.systemIdentityText.trim()) systemParts.unshift(form.systemIdentityText);
  if (form.systemParts === "single" && systemParts.length > 1) systemParts = [systemParts.join("\n\n")];
  if (systemParts.length) request.systemInstruction = { role: "user", parts: systemParts.map((text) => ({ text })) };

  if (tools.length) {
    const functionDeclarations: GoogleFunctionDeclaration[] = tools.map((t) => {
      const decl: GoogleFunctionDeclaration = {
        name: toolNames.toUpstream(t.name),
        parameters: sanitizeToolSchemaCached(t.input_schema ?? { type: "object", properties: {} }),
      };
      if (t.description) decl.description = t.description;
      return decl;
    });
    request.tools = form.toolDeclarations === "per-tool" ? functionDeclarations.map((d) => ({ functionDeclarations: [d] })) : [{ functionDeclarations }];
    const toolConfig = toToolConfig(choice, toolNames, new Set(tools.map((t) => t.name)), form.toolMode);
    if (toolConfig) request.toolConfig = toolConfig;
  }

  const envelope: CloudCodeEnvelope = {
    project: ctx.projectId,
    model: ctx.upstreamModel,
    requestType: "agent",
    userAgent: "antigravity",
    requestId: ctx.requestId ?? upstreamRequestId(form.requestId, { conversationId: ctx.sessionId, now: ctx.now ?? Date.now(), steps: contents.length }),
    request,
  };
  return { envelope, toolNames, thinking };
}

function toToolConfig(
  choice: MessagesRequest["tool_choice"],
  names: ToolNameMap,
  declared: ReadonlySet<string>,
  mode: EnvelopeOptions["toolMode"],
): GoogleToolConfig | undefined {
  // Official clients send VALIDATED whenever the model chooses; legacy left it to upstream's default.
  const free: GoogleToolConfig | undefined = mode === "validated" ? { functionCallingConfig: { mode: "VALIDATED" } } : undefined;
  switch (choice?.type) {
    case undefined:
      return free;
    case "auto":
      return free ?? { functionCallingConfig: { mode: "AUTO" } };
    case "any":
      return { functionCallingConfig: { mode: "ANY" } };
    case "none":
      return { functionCallingConfig: { mode: "NONE" } };
    case "tool":
      // Forcing a tool the request does not declare would be a 400; let the model choose instead.
      if (!declared.has(choice.name)) return free ?? { functionCallingConfig: { mode: "AUTO" } };
      return { functionCallingConfig: { mode: "ANY", allowedFunctionNames: [names.toUpstream(choice.name)] } };
  }
}

function systemText(system: MessagesRequest["system"]): string[] {
  if (system === undefined) return [];
  if (typeof system === "string") return system.trim() ? [system] : [];
  return system.map((b) => b.text).filter((t) => t.trim() !== "");
}

/**
 * Claude Code sends some instructions as `role: "system"` messages inside `messages`. Upstream has
 * one system instruction, so they join it (in order) instead of posing as the user's words.
 */
function systemMessageText(messages: MessagesRequest["messages"]): string[] {
  const out: string[] = [];
  for (const m of messages) {
    if (m.role !== "system") continue;
    if (typeof m.content === "string") {
      if (m.content.trim()) out.push(m.content);
    } else {
      for (const b of m.content) if (b.type === "text" && b.text.trim()) out.push(b.text);
    }
  }
  return out;
}

interface BuildContext {
  family: ModelFamily;
  toolNames: ToolNameMap;
  signatures: SignatureCache;
  /** Send call/result ids (always for Claude; for Gemini per `envelope.geminiCallIds`). */
  callIds: boolean;
  toolResults: EnvelopeOptions["toolResults"];
}

function buildContents(req: MessagesRequest, bc: BuildContext): GoogleContent[] {
  // tool_result blocks carry only the id; upstream wants the function's name too.
  const toolNameById = new Map<string, string>();
  for (const m of req.messages) {
    if (typeof m.content === "string") continue;
    for (const b of m.content) if (b.type === "tool_use") toolNameById.set(b.id, b.name);
  }

  const turns: GoogleContent[] = [];
  for (const m of req.messages) {
    if (m.role === "system") continue;
    const role = m.role === "assistant" ? "model" : "user";
    const parts = typeof m.content === "string" ? textParts(m.content) : blockParts(m.content, role, bc, toolNameById);
    turns.push({ role, parts });
  }
  return normaliseTurns(turns);
}

/**
 * Drops empty turns, merges neighbours of the same role, puts function responses first and makes
 * the conversation start with the user: the shape upstream insists on.
 */
function normaliseTurns(turns: GoogleContent[]): GoogleContent[] {
  const contents: GoogleContent[] = [];
  for (const { role, parts } of turns) {
    if (!parts.length) continue;
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts = [...last.parts, ...parts];
    else contents.push({ role, parts });
  }
  for (const c of contents) if (c.role === "user") c.parts = functionResponsesFirst(c.parts);
  if (contents[0]?.role !== "user") contents.unshift({ role: "user", parts: [{ text: PLACEHOLDER_TEXT }] });
  return contents;
}

function textParts(text: string): GooglePart[] {
  return text.trim() ? [{ text }] : [];
}

function blockParts(
  blocks: ContentBlock[],
  role: "user" | "model",
  bc: BuildContext,
  toolNameById: ReadonlyMap<string, string>,
): GooglePart[] {
  const parts: GooglePart[] = [];
  let callsInTurn = 0;
  for (const b of blocks) {
    switch (b.type) {
      case "text":
        if (b.text.trim()) parts.push({ text: b.text });
        break;
      case "image":
        parts.push(imagePart(b));
        break;
      case "document":
        parts.push(...documentParts(b));
        break;
      case "thinking":
        // Only the model's own turns carry thinking, and only signatures we know came from this family.
        if (role === "model" && b.signature && bc.signatures.thinkingFamily(b.signature) === bc.family) {
          // Shown without its text (display "omitted"): the signature only holds with the text back.
          const text = b.thinking === "" ? bc.signatures.thinkingText(b.signature) : b.thinking;
          if (text !== undefined) parts.push({ text, thought: true, thoughtSignature: b.signature });
        }
        break;
      case "redacted_thinking":
        // No representation upstream; dropping is what a family switch would need anyway.
        break;
      case "tool_use": {
        // The thinking before this call was never shown (the client did not ask for thinking):
        // put it back, first in the turn, so the tool loop keeps its signed thinking.
        if (role === "model" && callsInTurn === 0 && !parts.some((p) => p.thought === true)) {
          const hidden = bc.signatures.hiddenThinking(b.id);
          if (hidden && bc.signatures.thinkingFamily(hidden.signature) === bc.family) {
            parts.unshift({ text: hidden.text, thought: true, thoughtSignature: hidden.signature });
          }
        }
        const part: GooglePart = { functionCall: { name: bc.toolNames.toUpstream(b.name), args: b.input, ...(bc.callIds && { id: b.id }) } };
        if (bc.family === "gemini") {
          const sig = bc.signatures.toolCallSignature(b.id);
          if (sig) part.thoughtSignature = sig;
          else if (callsInTurn === 0) part.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
        }
        callsInTurn++;
        parts.push(part);
        break;
      }
      case "tool_result":
        parts.push(...toolResultParts(b, bc, toolNameById));
        break;
      default:
        // Anthropic-hosted tool blocks from a resumed session: nothing upstream could pair them with.
        break;
    }
  }
  return parts;
}

function toolResultParts(b: ToolResultBlock, bc: BuildContext, toolNameById: ReadonlyMap<string, string>): GooglePart[] {
  const texts: string[] = [];
  const extra: GooglePart[] = [];
  if (typeof b.content === "string") texts.push(b.content);
  else if (b.content) {
    for (const c of b.content) {
      if (c.type === "text") texts.push(c.text);
      else if (c.type === "image") extra.push(imagePart(c));
      else if (c.source.type === "text") texts.push(c.source.data);
      else extra.push(...documentParts(c));
    }
  }
  const text = texts.join("\n");
  const original = toolNameById.get(b.tool_use_id);
  const name = original === undefined ? "unknown_tool" : bc.toolNames.toUpstream(original);
  // Official clients send every result as one string under `output` (errors included: Claude
  // Code's error results say so in their text); legacy distinguished result and error.
  const response = bc.toolResults === "official" ? { output: text } : b.is_error ? { error: text } : { result: text };
  return [{ functionResponse: { name, response, ...(bc.callIds && { id: b.tool_use_id }) } }, ...extra];
}

function imagePart(b: ImageBlock): GooglePart {
  if (b.source.type === "base64") return { inlineData: { mimeType: b.source.media_type, data: b.source.data } };
  return { fileData: { fileUri: b.source.url, mimeType: mimeFromUrl(b.source.url, "image/jpeg") } };
}

function documentParts(b: DocumentBlock): GooglePart[] {
  const s = b.source;
  if (s.type === "text") {
    const text = b.title ? `${b.title}\n\n${s.data}` : s.data;
    return text.trim() ? [{ text }] : [];
  }
  if (s.type === "base64") return [{ inlineData: { mimeType: s.media_type, data: s.data } }];
  return [{ fileData: { fileUri: s.url, mimeType: mimeFromUrl(s.url, "application/pdf") } }];
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  pdf: "application/pdf",
  txt: "text/plain",
};

function mimeFromUrl(url: string, fallback: string): string {
  const m = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url);
  return (m && MIME_BY_EXTENSION[m[1]!.toLowerCase()]) || fallback;
}

/**
 * The official clients send tool results as a turn of their own with role "model"; whatever else
 * the client's message carried (text, images from a result) follows as a user turn.
 */
function resultsAsModelTurns(contents: GoogleContent[]): GoogleContent[] {
  if (!contents.some((c) => c.role === "user" && c.parts.some((p) => p.functionResponse))) return contents;
  const out: GoogleContent[] = [];
  for (const c of contents) {
    const results = c.role === "user" ? c.parts.filter((p) => p.functionResponse) : [];
    if (results.length === 0) {
      out.push(c);
      continue;
    }
    out.push({ role: "model", parts: results });
    const rest = c.parts.filter((p) => !p.functionResponse);
    if (rest.length) out.push({ role: "user", parts: rest });
  }
  return out;
}

/** Upstream pairs function responses with the preceding calls; keep them ahead of other parts. */
function functionResponsesFirst(parts: GooglePart[]): GooglePart[] {
  if (!parts.some((p) => p.functionResponse)) return parts;
  return [...parts.filter((p) => p.functionResponse), ...parts.filter((p) => !p.functionResponse)];
}

/**
 * True when the conversation is inside a tool loop (it ends with function responses) and the model
 * turn that made the calls has no thinking left to send back.
 */
function toolLoopLostThinking(contents: GoogleContent[]): boolean {
  const last = contents[contents.length - 1];
  if (!last || last.role !== "user" || !last.parts.some((p) => p.functionResponse)) return false;
  const model = contents[contents.length - 2];
  if (!model || model.role !== "model") return false;
  return !model.parts.some((p) => p.thought === true);
}
