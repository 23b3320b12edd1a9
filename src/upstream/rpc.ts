/**
 * Reading Google RPC error bodies: `{"error": {code, status, message, details: [...]}}`. Upstream
 * sometimes wraps the object in an array, and proxies in front of it answer with HTML, so every
 * reader here is total: it returns what it can find and never throws.
 */
export interface RpcErrorDetail {
  "@type"?: string;
  reason?: string;
  metadata?: Record<string, unknown>;
  retryDelay?: unknown;
  [key: string]: unknown;
}

export interface RpcError {
  code?: number;
  status?: string;
  message?: string;
  details: RpcErrorDetail[];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Accepts the whole body (`{error}` / `[{error}]`) or the inner error object. */
export function readRpcError(body: unknown): RpcError | undefined {
  const outer = Array.isArray(body) ? body[0] : body;
  if (!isRecord(outer)) return undefined;
  const inner = isRecord(outer.error) ? outer.error : outer;
  const details = Array.isArray(inner.details) ? inner.details.filter(isRecord) : [];
  const error: RpcError = { details: details as RpcErrorDetail[] };
  if (typeof inner.code === "number") error.code = inner.code;
  if (typeof inner.status === "string") error.status = inner.status;
  if (typeof inner.message === "string") error.message = inner.message;
  if (error.code === undefined && error.status === undefined && error.message === undefined && !details.length) {
    return undefined;
  }
  return error;
}

export function isDetailType(detail: RpcErrorDetail, shortName: string): boolean {
  return typeof detail["@type"] === "string" && detail["@type"].endsWith(`/google.rpc.${shortName}`);
}

/** The ErrorInfo reason, e.g. QUOTA_EXHAUSTED. */
export function rpcReason(error: RpcError | undefined): string | undefined {
  for (const detail of error?.details ?? []) {
    if (typeof detail.reason === "string" && detail.reason) return detail.reason;
  }
  return undefined;
}

/** A string value from any detail's metadata (first hit wins). */
export function rpcMetadata(error: RpcError | undefined, ...keys: string[]): string | undefined {
  for (const detail of error?.details ?? []) {
    if (!isRecord(detail.metadata)) continue;
    for (const key of keys) {
      const value = detail.metadata[key];
      if (typeof value === "string" && value) return value;
    }
  }
  return undefined;
}
