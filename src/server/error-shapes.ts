import type { ApiError } from "../anthropic/errors.ts";
import { geminiErrorResponse } from "../gemini-api/errors.ts";
import { openAiErrorResponse } from "../openai/errors.ts";
import { errorResponse } from "./errors.ts";

export type ErrorDialect = "anthropic" | "openai" | "gemini";

/**
 * Which API a request speaks, decided from the path alone (plus the headers for the paths two APIs
 * share), so every error — a bad key, a bad body, an unknown route — answers in the client's shape.
 */
export function dialectOf(url: URL, headers: Headers): ErrorDialect {
  const pathname = url.pathname;
  if (pathname.startsWith("/v1beta/") || pathname === "/v1beta") return "gemini";
  if (pathname.startsWith("/v1/chat/") || pathname.startsWith("/v1/responses") || pathname.startsWith("/v1/images/")) return "openai";
  if (pathname === "/v1/models" || pathname.startsWith("/v1/models/")) {
    // `models/{model}:generateContent` exists only in the Gemini API (whose SDK now defaults to /v1).
    if (pathname.includes(":") || isGeminiClient(url, headers)) return "gemini";
    return isOpenAiClient(headers) ? "openai" : "anthropic";
  }
  return "anthropic";
}

/** Gemini clients carry the key as `x-goog-api-key` or `?key=`, and Google's SDKs name themselves in `x-goog-api-client`. */
export function isGeminiClient(url: URL, headers: Headers): boolean {
  return headers.has("x-goog-api-key") || headers.has("x-goog-api-client") || url.searchParams.has("key");
}

/**
 * `/v1/models` is shared by Anthropic's and OpenAI's APIs. Anthropic's SDKs (and Claude Code) always
 * send `anthropic-version`, and usually the key in `x-api-key`; OpenAI's SDKs send
 * `Authorization: Bearer` and neither. So: a bearer token without either Anthropic header is an
 * OpenAI client; anything else (including a bare curl) gets Anthropic's format, as before.
 */
export function isOpenAiClient(headers: Headers): boolean {
  if (headers.has("anthropic-version") || headers.has("x-api-key")) return false;
  return /^Bearer\s/i.test(headers.get("authorization") ?? "");
}

export function errorResponseIn(dialect: ErrorDialect, err: ApiError): Response {
  if (dialect === "openai") return openAiErrorResponse(err);
  if (dialect === "gemini") return geminiErrorResponse(err);
  return errorResponse(err);
}
