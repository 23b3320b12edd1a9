/**
 * What went wrong upstream, in the words the pool decides on. Every failure of a call to
 * Cloud Code (or its OAuth endpoints) becomes exactly one UpstreamError.
 */
export type UpstreamErrorKind =
  | "quota_exhausted" // hours; switch account
  | "rate_limited" // seconds; switch or wait
  | "capacity" // upstream-wide overload (429 MODEL_CAPACITY_EXHAUSTED, 503, 529); backoff, switching helps little
  | "unauthenticated" // 401 that survived one token refresh
  | "auth_revoked" // invalid_grant from the token endpoint: re-authenticate
  | "verification_required" // 403 VALIDATION_REQUIRED / ACCOUNT_DISABLED / USER_DISABLED
  | "banned" // 403 "disabled ... violation of Terms of Service"
  | "bad_request" // 400 INVALID_ARGUMENT: the request's fault, never the account's
  | "server" // other 5xx
  | "network" // connection refused/reset, timeout, DNS
  | "empty_response"; // a stream that ended with no content

export interface UpstreamErrorInit {
  kind: UpstreamErrorKind;
  message: string;
  /** HTTP status upstream answered, when it answered. */
  status?: number;
  /** Absolute epoch ms when the limit lifts, parsed from whichever hint upstream gave. */
  resetAt?: number;
  /** Upstream's reason word, e.g. QUOTA_EXHAUSTED. */
  reason?: string;
  model?: string;
  /** Where a human can verify the account, when upstream says. */
  validationUrl?: string;
  /** Upstream stayed silent past upstream.requestTimeoutMs (before headers, in a body, between chunks). */
  timedOut?: boolean;
}

export class UpstreamError extends Error {
  override readonly name = "UpstreamError";
  readonly kind: UpstreamErrorKind;
  readonly status?: number;
  readonly resetAt?: number;
  readonly reason?: string;
  readonly model?: string;
  readonly validationUrl?: string;
  readonly timedOut: boolean;

  constructor(init: UpstreamErrorInit) {
    super(init.message);
    this.kind = init.kind;
    this.status = init.status;
    this.resetAt = init.resetAt;
    this.reason = init.reason;
    this.model = init.model;
    this.validationUrl = init.validationUrl;
    this.timedOut = init.timedOut ?? false;
  }

  /** Kinds that say something about the account (and so may cool or invalidate it). */
  get countsAgainstAccount(): boolean {
    return this.kind !== "bad_request";
  }
}
