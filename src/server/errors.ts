import { HTTPError } from "h3";
import { ApiError, type ApiErrorType } from "../anthropic/errors.ts";
import { StateError } from "../state/types.ts";
import { UpstreamError } from "../upstream/errors.ts";

/**
 * The single place where anything thrown inside agcp becomes what the client sees.
 * Upstream failures that reach this point are final (failover already gave up), so their
 * kind decides the client's error type; internal errors never leak their details.
 */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HTTPError) {
    if (err.cause instanceof ApiError || err.cause instanceof UpstreamError || err.cause instanceof StateError || isStackOverflow(err.cause)) {
      return toApiError(err.cause);
    }
    if (err.status === 404) return new ApiError("not_found_error", err.message || "Not found");
    if (err.status === 405) return new ApiError("not_found_error", err.message || "Method not allowed", { status: 405 });
    if (err.status === 413) return new ApiError("request_too_large", err.message || "Request body too large");
    if (err.status >= 400 && err.status < 500) return new ApiError("invalid_request_error", err.message);
    return internal(err.cause ?? err);
  }
  if (err instanceof UpstreamError) return fromUpstream(err);
  if (err instanceof StateError) {
    if (err.code === "not_found") return new ApiError("not_found_error", err.message);
    return new ApiError("invalid_request_error", err.message, { status: err.code === "conflict" ? 409 : 400 });
  }
  if (isStackOverflow(err)) return new ApiError("invalid_request_error", "Request is nested too deeply to process.");
  return internal(err);
}

/**
 * Only a request can drive agcp's recursion (JSON serialising, schema walks) this deep, e.g. a
 * tool input nested 100,000 levels: the request's problem, not a server failure.
 */
function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

const UPSTREAM_TO_CLIENT: Record<UpstreamError["kind"], ApiErrorType> = {
  bad_request: "invalid_request_error",
  quota_exhausted: "rate_limit_error",
  rate_limited: "rate_limit_error",
  capacity: "overloaded_error",
  unauthenticated: "api_error",
  auth_revoked: "api_error",
  verification_required: "api_error",
  banned: "api_error",
  server: "api_error",
  network: "api_error",
  empty_response: "api_error",
};

function fromUpstream(err: UpstreamError): ApiError {
  // Upstream's 404 (a model it does not offer) is as final as a 400, but the client should read "not found".
  if (err.kind === "bad_request" && err.status === 404) {
    // Upstream's words name nothing ("Requested entity was not found."): say which model it was.
    return new ApiError("not_found_error", err.model && !err.message.includes(err.model) ? `${err.message} (upstream model ${err.model})` : err.message);
  }
  const type = UPSTREAM_TO_CLIENT[err.kind];
  const message = err.kind === "bad_request" ? err.message : `Upstream ${err.kind.replace("_", " ")}: ${err.message}`;
  // A silent upstream is a gateway timeout: the client may try again, nothing was wrong with its request.
  if (err.timedOut) return new ApiError(type, message, { status: 504 });
  return new ApiError(type, message);
}

function internal(err: unknown): ApiError {
  // The message is generic on purpose: internal errors may carry request data or credentials.
  const e = new ApiError("api_error", "Internal error in agcp; see the server log for details.");
  (e as { cause?: unknown }).cause = err;
  return e;
}

export function errorResponse(err: ApiError): Response {
  return new Response(JSON.stringify(err.toBody()), {
    status: err.status,
    headers: { "content-type": "application/json", ...err.headers },
  });
}
