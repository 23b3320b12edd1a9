/**
 * Gemini API GenerateContentRequest → Cloud Code request. The Gemini API already speaks the shape
 * Cloud Code wraps, so this is nearly a pass-through: only what upstream refuses or needs is
 * touched (missing roles, safety settings, JSON-Schema tool parameters, Claude's thinking
 * spelling, the session id).
 */
import { z } from "zod";
import { invalidRequest } from "../anthropic/errors.ts";
import { parseWith } from "../anthropic/schema.ts";
import type { ModelFamily } from "../google/models.ts";
import type { CloudCodeRequest } from "../google/request.ts";
import { sanitizeToolSchemaCached } from "../google/schema-sanitize.ts";
import { createToolNameMap } from "../google/tool-names.ts";
import type { GoogleContent, GoogleGenerationConfig, GooglePart, GoogleRequest } from "../google/types.ts";

const part = z.looseObject({}).refine(
  (p) => ["text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode", "codeExecutionResult"].some((k) => k in p),
  { error: "a part needs one of text, inlineData, fileData, functionCall, functionResponse" },
);

const content = z.looseObject({
  role: z.enum(["user", "model", "function", "system"]).optional(),
  parts: z.array(part).min(1),
});

const generateRequest = z.looseObject({
  contents: z.array(content).min(1),
  systemInstruction: z.union([z.string(), z.looseObject({ parts: z.array(part) })]).optional(),
  tools: z.array(z.looseObject({})).optional(),
  toolConfig: z.looseObject({}).optional(),
  generationConfig: z.looseObject({}).optional(),
  safetySettings: z.array(z.unknown()).optional(),
  cachedContent: z.string().optional(),
});

export type GeminiGenerateRequest = z.infer<typeof generateRequest>;

export function parseGenerateRequest(body: unknown): GeminiGenerateRequest {
  const req = parseWith(generateRequest, body);
  if (req.cachedContent) throw invalidRequest("cachedContent: agcp keeps no cached contents; send the contents themselves.");
  return req;
}

/** countTokens takes the request's contents, or a whole generateContentRequest. */
const countRequest = z.looseObject({
  contents: z.array(content).optional(),
  generateContentRequest: generateRequest.optional(),
});

export function parseCountTokensRequest(body: unknown): GeminiGenerateRequest {
  const req = parseWith(countRequest, body);
  if (req.generateContentRequest) return req.generateContentRequest;
  if (req.contents?.length) return { contents: req.contents };
  throw invalidRequest("contents: Field required (or send generateContentRequest)");
}

/** The Google request inside the envelope; built once per request, wrapped per attempt. */
export function toGoogleRequest(req: GeminiGenerateRequest, sessionId: string, family: ModelFamily): GoogleRequest {
  const contents = req.contents.map(
    (c): GoogleContent => ({ role: c.role === "model" ? "model" : "user", parts: c.parts as GooglePart[] }),
  );
  const out: GoogleRequest = { contents, generationConfig: generationConfig(req.generationConfig, family), sessionId };
  const system = req.systemInstruction;
  if (typeof system === "string") {
    if (system.trim()) out.systemInstruction = { role: "user", parts: [{ text: system }] };
  } else if (system?.parts.length) {
    out.systemInstruction = { role: "user", parts: system.parts as Array<{ text: string }> };
  }
  if (req.tools?.length) out.tools = req.tools.map(tool) as GoogleRequest["tools"];
  if (req.toolConfig) out.toolConfig = req.toolConfig as unknown as GoogleRequest["toolConfig"];
  return out;
}

export function wrap(request: GoogleRequest, target: { upstreamModel: string; projectId: string }): CloudCodeRequest {
  const thinking = request.generationConfig.thinkingConfig !== undefined;
  return {
    envelope: {
      project: target.projectId,
      model: target.upstreamModel,
      requestType: "agent",
      userAgent: "antigravity",
      requestId: `agent-${crypto.randomUUID()}`,
      request,
    },
    toolNames: createToolNameMap(),
    thinking,
  };
}

/** Upstream takes the legacy `parameters` subset only; JSON-Schema parameters are rewritten into it. */
function tool(t: Record<string, unknown>): Record<string, unknown> {
  const declarations = t.functionDeclarations;
  if (!Array.isArray(declarations)) return t;
  return {
    ...t,
    functionDeclarations: declarations.map((d: Record<string, unknown>) => {
      const { parametersJsonSchema, parameters, ...rest } = d;
      const schema = parameters ?? parametersJsonSchema;
      return schema === undefined ? rest : { ...rest, parameters: sanitizeToolSchemaCached(schema) };
    }),
  };
}

function generationConfig(config: Record<string, unknown> | undefined, family: ModelFamily): GoogleGenerationConfig {
  if (!config) return {};
  const { responseJsonSchema, responseSchema, thinkingConfig, ...rest } = config;
  const out = rest as GoogleGenerationConfig;
  const schema = responseSchema ?? responseJsonSchema;
  if (schema !== undefined) out.responseSchema = sanitizeToolSchemaCached(schema);
  if (thinkingConfig && typeof thinkingConfig === "object") {
    const t = thinkingConfig as { includeThoughts?: boolean; thinkingBudget?: number; include_thoughts?: boolean; thinking_budget?: number };
    const include = t.includeThoughts ?? t.include_thoughts ?? false;
    const budget = t.thinkingBudget ?? t.thinking_budget;
    // Claude on Cloud Code reads the snake_case spelling (see src/google/request.ts).
    if (family === "claude") out.thinkingConfig = { include_thoughts: include, thinking_budget: budget ?? 0 };
    else out.thinkingConfig = budget === undefined ? ({ includeThoughts: include } as GoogleGenerationConfig["thinkingConfig"]) : { includeThoughts: include, thinkingBudget: budget };
  }
  return out;
}

/** First user words plus the system instruction: what stays the same on every turn of a conversation. */
export function conversationText(req: GeminiGenerateRequest): { system: string; firstUser: string } {
  const system = typeof req.systemInstruction === "string" ? req.systemInstruction : (req.systemInstruction?.parts ?? []).map((p) => String(p.text ?? "")).join("\n");
  const first = req.contents.find((c) => c.role !== "model");
  const firstUser = (first?.parts ?? []).map((p) => (typeof p.text === "string" ? p.text : "")).join("\n");
  return { system, firstUser };
}
