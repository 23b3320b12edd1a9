/**
 * Turns whatever upstream answered into one UpstreamError the pool can act on. The kind decides
 * whether the account cools for seconds, for hours, leaves rotation, or is not blamed at all.
 */
import { AGENT_SDK_IDENTITY_SENTENCE } from "./agent-identity.ts";
import { UpstreamError, type UpstreamErrorKind } from "./errors.ts";
import { redactSecrets, shorten } from "./redact.ts";
import { parseResetTime } from "./reset-time.ts";
import { isRecord, parseJson, readRpcError, rpcMetadata, rpcReason } from "./rpc.ts";

/** A 429 without a reason word whose reset is further away than this is a quota, not a rate limit. */
export const LONG_RESET_MS = 5 * 60_000;

const VERIFICATION_REASONS = new Set(["VALIDATION_REQUIRED", "ACCOUNT_DISABLED", "USER_DISABLED"]);

export interface UpstreamAnswer {
  status: number;
  headers?: Headers;
  bodyText: string;
  now: number;
  /** The model asked for, when upstream does not name it. */
  model?: string;
  /** Strings that must not appear in the message (the tokens used for this call). */
  secrets?: readonly (string | undefined)[];
  /** The request's system instruction had the Claude Agent SDK identity sentence, on a Gemini model. */
  agentSdkIdentity?: boolean;
}

export function classifyUpstreamError(answer: UpstreamAnswer): UpstreamError {
  const { status, headers, bodyText, now } = answer;
  const body = parseJson(bodyText);
  const rpc = readRpcError(body);
  const reason = rpcReason(rpc);
  const rawMessage = rpc?.message || shorten(bodyText) || `upstream answered HTTP ${status}`;
  const message = shorten(redactSecrets(rawMessage, answer.secrets), 1000);
  const model = rpcMetadata(rpc, "model") ?? answer.model;
  const resetAt = parseResetTime({ headers, body, message: bodyText.slice(0, 4000), now });
  const haystack = `${rawMessage} ${rpc?.status ?? ""}`;

  const make = (kind: UpstreamErrorKind, extra: { validationUrl?: string } = {}) =>
    new UpstreamError({
      kind,
      message,
      status,
      resetAt,
      reason: reason ?? rpc?.status,
      model,
      ...extra,
    });

  if (/no longer supported/i.test(haystack)) {
    // Every account shares the client version, so blaming one would cool the whole pool.
    return make("bad_request");
  }
  if (status === 429) {
    if (answer.agentSdkIdentity && reason === undefined && resetAt === undefined && !rpc?.details.length) {
      // Gemini 3.7/3.8 Flash answer the `claude -p` identity sentence with this bare 429. Every
      // account would get the same, so no account is to blame: the request has to change.
      return new UpstreamError({
        kind: "bad_request",
        status,
        model,
        reason: rpc?.status,
        message:
          `${message} Upstream refuses the Claude Agent SDK identity sentence ("${AGENT_SDK_IDENTITY_SENTENCE}") ` +
          `in the system prompt on this Gemini model; agcp rewrites it unless agentSdkIdentity.rewrite is "off".`,
      });
    }
    if (reason === "QUOTA_EXHAUSTED") return make("quota_exhausted");
    if (reason === "RATE_LIMIT_EXCEEDED") return make("rate_limited");
    if (reason === "MODEL_CAPACITY_EXHAUSTED" || isOverloaded(haystack)) return make("capacity");
    return make(resetAt !== undefined && resetAt - now > LONG_RESET_MS ? "quota_exhausted" : "rate_limited");
  }
  if (reason === "MODEL_CAPACITY_EXHAUSTED" || status === 503 || status === 529) return make("capacity");
  if (status >= 500 && isOverloaded(haystack)) return make("capacity");
  if (status === 401) return make("unauthenticated");
  if (status === 403) {
    if (isBanned(haystack)) return make("banned");
    if (reason && VERIFICATION_REASONS.has(reason)) {
      return make("verification_required", { validationUrl: validationUrlOf(body, rpc) });
    }
    // A plain permission error may be one host's hiccup; cool briefly instead of retiring the account.
    return make("server");
  }
  if (status === 408) return make("server");
  if (status >= 400 && status < 500) return make("bad_request");
  return make("server");
}

function isOverloaded(text: string): boolean {
  // Not bare "capacity": quota messages say "you have exhausted your capacity on this model".
  return /overloaded|capacity (is )?exhausted|no capacity|insufficient capacity|model_capacity/i.test(text);
}

function isBanned(text: string): boolean {
  return /disabled/i.test(text) && /terms of service/i.test(text);
}

function validationUrlOf(body: unknown, rpc: ReturnType<typeof readRpcError>): string | undefined {
  const fromMetadata = rpcMetadata(rpc, "validation_url", "validationUrl", "validationURL", "url");
  if (fromMetadata) return fromMetadata;
  // Some answers carry it as a Help link instead of ErrorInfo metadata.
  for (const detail of rpc?.details ?? []) {
    const links = detail.links;
    if (!Array.isArray(links)) continue;
    for (const link of links) if (isRecord(link) && typeof link.url === "string") return link.url;
  }
  return isRecord(body) && typeof body.validation_url === "string" ? body.validation_url : undefined;
}

export interface TokenAnswer {
  status: number;
  bodyText: string;
  secrets?: readonly (string | undefined)[];
}

/** The OAuth token endpoint speaks RFC 6749 errors, not Google RPC errors. */
export function classifyTokenError(answer: TokenAnswer): UpstreamError {
  const { status, bodyText } = answer;
  const body = parseJson(bodyText);
  const code = isRecord(body) && typeof body.error === "string" ? body.error : undefined;
  const description =
    isRecord(body) && typeof body.error_description === "string" ? body.error_description : undefined;
  const detail = shorten(redactSecrets(description ?? code ?? bodyText, answer.secrets), 300);
  const make = (kind: UpstreamErrorKind, message: string) =>
    new UpstreamError({ kind, message, status, reason: code });

  if (code === "invalid_grant") {
    return make("auth_revoked", `refresh token rejected (invalid_grant: ${detail}); re-authenticate the account`);
  }
  if (code === "invalid_client" || code === "unauthorized_client") {
    return make("bad_request", `OAuth client rejected (${code}); check oauth.clientId / oauth.clientSecret`);
  }
  if (status === 429) return make("rate_limited", `token endpoint rate limited: ${detail}`);
  if (status >= 500) return make("server", `token endpoint failed with HTTP ${status}: ${detail}`);
  return make("unauthenticated", `token endpoint answered HTTP ${status}: ${detail}`);
}

export interface NetworkErrorContext {
  /** Set when the failure was our own time-to-headers limit. */
  timeoutMs?: number;
  url?: string;
  secrets?: readonly (string | undefined)[];
  /** The proxy the request went through, already redacted; named so a broken proxy is recognisable. */
  proxy?: string;
}

/** Connection refused/reset, DNS, TLS, our own timeout: all become `network`. */
export function classifyNetworkError(error: unknown, context: NetworkErrorContext = {}): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const via = context.proxy ? ` via proxy ${context.proxy}` : "";
  const where = context.url ? ` (${originOf(context.url)}${via})` : via ? ` (${via.trim()})` : "";
  if (context.timeoutMs !== undefined) {
    return new UpstreamError({
      kind: "network",
      message: `no response from upstream within ${context.timeoutMs} ms${where}`,
      timedOut: true,
    });
  }
  const code = isRecord(error) && typeof error.code === "string" ? error.code : undefined;
  const text = error instanceof Error ? error.message : String(error);
  return new UpstreamError({
    kind: "network",
    message: shorten(redactSecrets(`network error${where}: ${text}`, context.secrets), 300),
    reason: code,
  });
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "upstream";
  }
}
