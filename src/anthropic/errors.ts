/**
 * The one error type that crosses the client boundary. Anything thrown in a route ends up
 * as one of these and is written once, in Anthropic's shape, by the server's error handler.
 */
export type ApiErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "request_too_large"
  | "rate_limit_error"
  | "api_error"
  | "overloaded_error";

const STATUS: Record<ApiErrorType, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

export interface ApiErrorBody {
  type: "error";
  error: { type: ApiErrorType; message: string };
}

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly type: ApiErrorType;
  readonly status: number;
  /** Extra response headers (e.g. retry-after). */
  readonly headers: Record<string, string>;

  constructor(type: ApiErrorType, message: string, opts: { status?: number; headers?: Record<string, string> } = {}) {
    super(message);
    this.type = type;
    this.status = opts.status ?? STATUS[type];
    this.headers = opts.headers ?? {};
  }

  toBody(): ApiErrorBody {
    return { type: "error", error: { type: this.type, message: this.message } };
  }
}

export const invalidRequest = (message: string) => new ApiError("invalid_request_error", message);
