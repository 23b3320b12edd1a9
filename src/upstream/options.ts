import { DEFAULT_ENVELOPE, type EnvelopeOptions } from "../google/envelope.ts";
import { DEFAULT_OUTPUT_LIMITS, type OutputLimits } from "../google/output-limits.ts";

/**
 * Everything the upstream client needs to know about Google's endpoints and how to introduce
 * itself. The API is private and moves, so every URL and version string lives here as data.
 */
export interface UpstreamOAuthOptions {
  tokenUrl: string;
  userinfoUrl: string;
  authorizeUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

import { DEFAULT_IDENTITY, type UpstreamIdentity } from "./identity.ts";

export type { UpstreamIdentity };

export interface UpstreamOptions {
  /** Cloud Code hosts, tried in order on network errors, 403/404 and 5xx. */
  hosts: string[];
  oauth: UpstreamOAuthOptions;
  identity: UpstreamIdentity;
  /** Longest wait for response headers, and (enforced by the reader) between chunks of a running stream. */
  requestTimeoutMs: number;
  /** Refresh an access token this long before it expires. */
  refreshSkewMs: number;
  /** Envelope forms where official clients and peers disagree (see src/google/envelope.ts). */
  envelope: EnvelopeOptions;
  /** Model glob → most output tokens upstream takes; used until the account's catalog says. */
  maxOutputTokens: OutputLimits;
  /** Outbound proxy for every account without its own (see proxy.ts); "" for none. */
  proxy: string;
  /** Hosts that bypass `proxy`. */
  noProxy: string[];
}

/** The Antigravity desktop app's installed-app OAuth client (public by design; see README). */
export const ANTIGRAVITY_OAUTH_CLIENT = {
  clientId: "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com",
  clientSecret: "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",
} as const;

export const DEFAULT_UPSTREAM: UpstreamOptions = {
  hosts: ["https://daily-cloudcode-pa.googleapis.com", "https://cloudcode-pa.googleapis.com"],
  oauth: {
    tokenUrl: "https://oauth2.googleapis.com/token",
    userinfoUrl: "https://www.googleapis.com/oauth2/v1/userinfo",
    authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
    // The Antigravity desktop app's public installed-app client (Google's "installed app" secrets
    // are not confidential), as every peer ships it. Tokens the app and `agy` sign in with are
    // bound to it, so imported tokens refresh with it too. Override: upstream.oauth or
    // AGCP_OAUTH_CLIENT_ID / AGCP_OAUTH_CLIENT_SECRET.
    clientId: ANTIGRAVITY_OAUTH_CLIENT.clientId,
    clientSecret: ANTIGRAVITY_OAUTH_CLIENT.clientSecret,
    scopes: [
      "https://www.googleapis.com/auth/cloud-platform",
      "https://www.googleapis.com/auth/userinfo.email",
      "https://www.googleapis.com/auth/userinfo.profile",
      "https://www.googleapis.com/auth/cclog",
      "https://www.googleapis.com/auth/experimentsandconfigs",
    ],
  },
  identity: DEFAULT_IDENTITY,
  requestTimeoutMs: 60_000,
  refreshSkewMs: 5 * 60_000,
  envelope: DEFAULT_ENVELOPE,
  maxOutputTokens: DEFAULT_OUTPUT_LIMITS,
  proxy: "",
  noProxy: [],
};
