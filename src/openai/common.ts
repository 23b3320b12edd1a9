/**
 * Pieces both OpenAI conversation doors (chat completions and responses) map the same way onto
 * the Anthropic Messages form, agcp's conversation model (see README, "Architecture").
 */
import { invalidRequest } from "../anthropic/errors.ts";
import type { DocumentBlock, ImageBlock, MessagesRequest } from "../anthropic/types.ts";
import { sanitizeToolSchemaCached } from "../google/schema-sanitize.ts";
import type { CloudCodeRequest } from "../google/request.ts";

/** OpenAI lets the model use all it has; Anthropic needs a number. Generous, below every model's cap. */
export const DEFAULT_MAX_TOKENS = 16_384;

const DATA_URL = /^data:([^;,]+)?((?:;[^;,]+)*?);base64,(.*)$/s;

/** `image_url` / `input_image`: a data URL becomes inline bytes, an http(s) URL a file reference. */
export function imageFromUrl(url: string, where: string): ImageBlock {
  const data = DATA_URL.exec(url);
  if (data) return { type: "image", source: { type: "base64", media_type: data[1] || "image/png", data: data[3] ?? "" } };
  if (/^https?:\/\//i.test(url)) return { type: "image", source: { type: "url", url } };
  throw invalidRequest(`${where}: expected a data: URL (base64) or an http(s) URL`);
}

/** A `file` part with inline data (PDFs and the like) becomes a document. */
export function documentFromDataUrl(url: string, where: string): DocumentBlock {
  const data = DATA_URL.exec(url);
  if (!data) throw invalidRequest(`${where}: expected a base64 data: URL`);
  return { type: "document", source: { type: "base64", media_type: data[1] || "application/pdf", data: data[3] ?? "" } };
}

/** OpenAI's effort words in Anthropic's (`output_config.effort`). */
const EFFORT: Record<string, string> = { minimal: "low", low: "low", medium: "medium", high: "high", xhigh: "max" };

/**
 * `reasoning_effort` / `reasoning.effort` → Anthropic's adaptive thinking with that effort, so the
 * one place that knows each family's budgets and tiered ids (src/google/thinking.ts) decides.
 * `none` turns thinking off where the model allows it (thinking models think regardless).
 */
export function effortFields(effort: string | null | undefined): Pick<MessagesRequest, "thinking" | "output_config"> {
  if (effort === undefined || effort === null) return {};
  if (effort === "none") return { thinking: { type: "disabled" } };
  const word = EFFORT[effort];
  return word ? { thinking: { type: "adaptive" }, output_config: { effort: word } } : {};
}

export type JsonMode = { type: "json_object" } | { type: "json_schema"; schema?: Record<string, unknown>; name?: string };

/**
 * Structured output. Gemini models have a JSON mode upstream (responseMimeType + responseSchema);
 * Claude on Cloud Code has none, so it is asked in words, appended to the system instruction.
 */
export function applyJsonMode(conversion: CloudCodeRequest, mode: JsonMode | undefined, family: "claude" | "gemini"): CloudCodeRequest {
  if (!mode) return conversion;
  const request = conversion.envelope.request;
  if (family === "gemini") {
    request.generationConfig.responseMimeType = "application/json";
    if (mode.type === "json_schema" && mode.schema) request.generationConfig.responseSchema = sanitizeToolSchemaCached(mode.schema);
    return conversion;
  }
  const words =
    mode.type === "json_schema" && mode.schema
      ? `Answer with a single JSON value that matches this JSON schema, and nothing else: ${JSON.stringify(mode.schema)}`
      : "Answer with a single valid JSON object, and nothing else.";
  const system = request.systemInstruction ?? { role: "user" as const, parts: [] };
  system.parts.push({ text: words });
  request.systemInstruction = system;
  return conversion;
}

/** Tool arguments arrive as a JSON string; upstream wants the object. */
export function parseArguments(text: string, where: string): Record<string, unknown> {
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalidRequest(`${where}: arguments must be a JSON object, got text that is not JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalidRequest(`${where}: arguments must be a JSON object`);
  return value as Record<string, unknown>;
}

/** Unix seconds, OpenAI's `created`. */
export function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** OpenAI-looking ids (`chatcmpl-…`, `resp_…`) from the Anthropic ones the translator made. */
export function reId(id: string, prefix: string): string {
  return prefix + id.replace(/^(msg|toolu)_/, "");
}
