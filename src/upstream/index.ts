export { UpstreamError, type UpstreamErrorInit, type UpstreamErrorKind } from "./errors.ts";
export { DEFAULT_UPSTREAM, type UpstreamOAuthOptions, type UpstreamOptions } from "./options.ts";
export {
  DEFAULT_IDENTITY,
  DEFAULT_IDENTITY_VERSION,
  IDENTITY_FAMILIES,
  describeIdentity,
  identityHeaders,
  userAgentOf,
  versionInUserAgent,
  type IdentityFamily,
  type UpstreamIdentity,
} from "./identity.ts";
export { detectInstalledIdentity, type DetectedIdentity } from "./identity-detect.ts";
export { parseDuration, parseResetTime, type ResetHints } from "./reset-time.ts";
export {
  LONG_RESET_MS,
  classifyNetworkError,
  classifyTokenError,
  classifyUpstreamError,
  type UpstreamAnswer,
} from "./classify.ts";
export { createTokenCache, type TokenAccount, type TokenCache, type TokenCacheOptions } from "./tokens.ts";
export {
  CLIENT_METADATA,
  createProjectCache,
  discoverProject,
  readLoadCodeAssist,
  tierWord,
  type AccountTier,
  type DiscoveryOptions,
  type ProjectInfo,
} from "./project.ts";
export {
  createUpstreamClient,
  readAvailableModels,
  type CodeGrant,
  type GenerateEnvelope,
  type GenerateOptions,
  type ModelQuota,
  type UpstreamAccount,
  type UpstreamClient,
  type UpstreamClientOptions,
} from "./client.ts";
export {
  buildAuthorizeUrl,
  createOAuthState,
  createPkce,
  pkceChallenge,
  readOAuthCallback,
  type AuthorizeUrlInput,
  type OAuthCallback,
  type Pkce,
} from "./oauth.ts";
export { redactSecrets } from "./redact.ts";
