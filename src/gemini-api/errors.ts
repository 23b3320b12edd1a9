/**
 * agcp's one internal error (ApiError) in the Gemini API's shape, `{"error": {"code", "message",
 * "status"}}` with Google's canonical status names. Mapped once, for every /v1beta route.
 */
import type { ApiError, ApiErrorType } from "../anthropic/errors.ts";
import type { SseFormat } from "../server/sse-channel.ts";

const STATUS: Record<ApiErrorType, { status: string; code?: number }> = {
  invalid_request_error: { status: "INVALID_ARGUMENT" },
  authentication_error: { status: "UNAUTHENTICATED" },
  permission_error: { status: "PERMISSION_DENIED" },
  not_found_error: { status: "NOT_FOUND" },
  request_too_large: { status: "INVALID_ARGUMENT" },
  rate_limit_error: { status: "RESOURCE_EXHAUSTED" },
  api_error: { status: "INTERNAL" },
  // Google has no 529: an overloaded model is 503 UNAVAILABLE.
  overloaded_error: { status: "UNAVAILABLE", code: 503 },
};

export interface GeminiErrorBody {
  error: { code: number; message: string; status: string };
}

function codeOf(err: ApiError): number {
  return STATUS[err.type].code ?? err.status;
}

export function geminiErrorBody(err: ApiError): GeminiErrorBody {
  const code = codeOf(err);
  const status = code === 503 ? "UNAVAILABLE" : STATUS[err.type].status;
  return { error: { code, message: err.message, status } };
}

export function geminiErrorResponse(err: ApiError): Response {
  return new Response(JSON.stringify(geminiErrorBody(err)), {
    status: codeOf(err),
    headers: { "content-type": "application/json", ...err.headers },
  });
}

/** Gemini's SSE is bare `data:` lines too; a comment keeps the line alive without a fake chunk. */
export const GEMINI_SSE: SseFormat = {
  ping: ": ping\n\n",
  errorResponse: geminiErrorResponse,
  errorEvent: (err) => `data: ${JSON.stringify(geminiErrorBody(err))}\n\n`,
};
