/**
 * agcp's one internal error (ApiError) in OpenAI's shape, `{"error": {"message", "type", "param",
 * "code"}}`. Mapped here once for every OpenAI door (chat completions, responses, images, models).
 * OpenAI's SDK decides what to raise by the HTTP status, so the status carries the meaning and
 * `type`/`code` use OpenAI's own vocabulary.
 */
import type { ApiError, ApiErrorType } from "../anthropic/errors.ts";
import type { SseFormat } from "../server/sse-channel.ts";

interface OpenAiErrorKind {
  type: string;
  code: string | null;
  /** OpenAI has no 529; an overloaded upstream is a 503 there. */
  status?: number;
}

const KINDS: Record<ApiErrorType, OpenAiErrorKind> = {
  invalid_request_error: { type: "invalid_request_error", code: null },
  authentication_error: { type: "invalid_request_error", code: "invalid_api_key" },
  permission_error: { type: "invalid_request_error", code: "permission_denied" },
  not_found_error: { type: "invalid_request_error", code: "not_found" },
  request_too_large: { type: "invalid_request_error", code: "request_too_large" },
  rate_limit_error: { type: "rate_limit_exceeded", code: "rate_limit_exceeded" },
  api_error: { type: "server_error", code: "server_error" },
  overloaded_error: { type: "server_error", code: "overloaded", status: 503 },
};

export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openAiErrorBody(err: ApiError): OpenAiErrorBody {
  const kind = KINDS[err.type];
  return { error: { message: err.message, type: kind.type, param: null, code: kind.code } };
}

export function openAiErrorResponse(err: ApiError): Response {
  const status = KINDS[err.type].status ?? err.status;
  return new Response(JSON.stringify(openAiErrorBody(err)), {
    status,
    headers: { "content-type": "application/json", ...err.headers },
  });
}

/**
 * OpenAI streams are bare `data:` lines. Pings are SSE comments, which every parser skips (a data
 * ping would reach the application as a chunk); a failure after commit is a `data:` error object,
 * which the OpenAI SDK raises as an APIError.
 */
export const OPENAI_SSE: SseFormat = {
  ping: ": ping\n\n",
  errorResponse: openAiErrorResponse,
  errorEvent: (err) => `data: ${JSON.stringify(openAiErrorBody(err))}\n\n`,
};
