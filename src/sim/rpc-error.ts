/** Google RPC error bodies, as Cloud Code answers them. */

export const ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo";
export const RETRY_INFO_TYPE = "type.googleapis.com/google.rpc.RetryInfo";
export const ERROR_DOMAIN = "cloudcode-pa.googleapis.com";

export type RpcStatus =
  | "INVALID_ARGUMENT"
  | "UNAUTHENTICATED"
  | "PERMISSION_DENIED"
  | "NOT_FOUND"
  | "RESOURCE_EXHAUSTED"
  | "INTERNAL"
  | "UNAVAILABLE";

const CODE: Record<RpcStatus, number> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  RESOURCE_EXHAUSTED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

export type RpcDetail = Record<string, unknown> & { "@type": string };

export interface RpcErrorBody {
  error: { code: number; message: string; status: RpcStatus; details?: RpcDetail[] };
}

export function rpcErrorBody(status: RpcStatus, message: string, details?: RpcDetail[]): RpcErrorBody {
  const error: RpcErrorBody["error"] = { code: CODE[status], message, status };
  if (details && details.length > 0) error.details = details;
  return { error };
}

export function rpcError(
  status: RpcStatus,
  message: string,
  details?: RpcDetail[],
  headers?: Record<string, string>,
): Response {
  return Response.json(rpcErrorBody(status, message, details), {
    status: CODE[status],
    headers: { ...headers, "content-type": "application/json; charset=UTF-8" },
  });
}

export function errorInfo(reason: string, metadata?: Record<string, string>): RpcDetail {
  return { "@type": ERROR_INFO_TYPE, reason, domain: ERROR_DOMAIN, ...(metadata ? { metadata } : {}) };
}

export function retryInfo(delayMs: number): RpcDetail {
  return { "@type": RETRY_INFO_TYPE, retryDelay: formatSeconds(delayMs) };
}

/** Protobuf Duration JSON: "3723.5s". */
export function formatSeconds(ms: number): string {
  return `${trimDecimals(Math.max(0, ms) / 1000)}s`;
}

/** Go-style duration as in quotaResetDelay: "1h2m3.5s", "754.4ms". */
export function formatGoDuration(ms: number): string {
  const total = Math.max(0, ms);
  if (total < 1000) return `${trimDecimals(total)}ms`;
  const h = Math.floor(total / 3_600_000);
  const m = Math.floor((total % 3_600_000) / 60_000);
  const s = (total % 60_000) / 1000;
  let out = "";
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  return `${out}${trimDecimals(s)}s`;
}

/** Prose form used in messages: whole seconds, "1h2m3s". */
export function formatProseDuration(ms: number): string {
  return formatGoDuration(Math.floor(Math.max(0, ms) / 1000) * 1000);
}

function trimDecimals(n: number): string {
  return String(Math.round(n * 1000) / 1000);
}
