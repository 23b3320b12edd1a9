/** Public shapes of the simulated Cloud Code upstream. */

export type SimTier = "free" | "pro" | "ultra";
export type ModelFamily = "claude" | "gemini";

export interface SimModel {
  id: string;
  displayName: string;
  /** Derived from the id when absent: ids starting with "claude" are Claude, the rest Gemini. */
  family?: ModelFamily;
  maxOutputTokens?: number;
  /** Listed in `agentModelSorts` (selectable by agents), not only a helper id. */
  agent?: boolean;
  /** Resolved only for clients at or above the newer-models gate (404 below it). */
  newer?: boolean;
  /** Further `fetchAvailableModels` fields, sent as they are (model enum, limits, thinking budget/level …). */
  details?: Record<string, unknown>;
}

/** The top-level `fetchAvailableModels` fields besides `models`. */
export interface SimCatalogInfo {
  defaultAgentModelId: string;
  webSearchModelIds: string[];
  imageGenerationModelIds: string[];
  commandModelIds: string[];
  mqueryModelIds: string[];
  commitMessageModelIds: string[];
  tieredModelIds: Record<string, string[]>;
  /** Retired id → its successor; a retired id is in no account's catalog. */
  deprecatedModelIds: Record<string, { newModelId: string; oldModelEnum: string; newModelEnum: string }>;
  /** `agentModelSorts[0].groups`, in order; each takes the agent models its filter accepts. */
  agentModelGroups: { displayName: string; filter: (model: SimModel) => boolean }[];
}

/** Minimum client versions per User-Agent family; below them upstream answers as it does for old clients. */
export interface SimVersionGate {
  /** Below it, every generate answers a normal completion saying the version is no longer supported. */
  minimum: string;
  /** Below it, newer models (SimModel.newer) answer 404 "Requested entity was not found". */
  newerModels: string;
}

/** `desktop` judges the hub, IDE and legacy `antigravity/<v>` families; `cli` judges agy's own numbering. */
export interface SimVersionGates {
  desktop: SimVersionGate;
  cli: SimVersionGate;
}

export interface SimAccountInit {
  email: string;
  refreshToken: string;
  /** `null` means the account has no project yet and must go through onboardUser. Absent: a project is derived from the email. */
  projectId?: string | null;
  tier?: SimTier;
  /** The model ids this account is entitled to (its catalog). Absent: every model of the lineup. */
  models?: string[];
  /**
   * Remaining fraction (0..1) per model id, applied to the window that model's quotaInfo reports
   * (its pool's 5-hour window, shared by the pool); a number sets every window. Unlisted: full.
   */
  quota?: number | Record<string, number>;
  /** Quota windows by bucketId (`gemini-5h`, `gemini-weekly`, `3p-5h`, `3p-weekly`). */
  buckets?: Record<string, number | { remainingFraction?: number; resetInMs?: number }>;
  rateLimitPerMinute?: number;
  revoked?: boolean;
  validationRequired?: boolean;
  banned?: boolean;
}

/** Misbehaviour injected into generate calls (per account or globally); countTokens honours latency, serverError and capacity. */
export interface SimFault {
  /** Delay before the first byte of the answer. */
  latencyMs?: number;
  /** Streaming: send this many chunks, then cut the connection abruptly (no clean end). */
  dropAfterChunks?: number;
  /** Send the first n bytes of the answer (streaming or not), then nothing, connection left open. */
  stallAfterBytes?: number;
  /** Answer 200 with an SSE stream that carries no chunks (non-streaming: no content parts). */
  emptyStream?: boolean;
  /** Upstream-wide overload: 503 UNAVAILABLE or 429 MODEL_CAPACITY_EXHAUSTED. */
  capacity?: "503" | "429";
  /** 500 INTERNAL. */
  serverError?: boolean;
  /**
   * One of upstream's late-2026 error answers: 403 SUBSCRIPTION_REQUIRED, 403 SERVICE_DISABLED,
   * body-less 429 RESOURCE_EXHAUSTED, 503 "No capacity available".
   */
  error?: "subscription_required" | "service_disabled" | "resource_exhausted" | "no_capacity";
  /** Apply the fault to the next n generate requests only, then clear it. */
  failNext?: number;
}

export interface SimOptions {
  accounts: SimAccountInit[];
  models?: SimModel[];
  /** Pause between SSE chunks. Default 0. */
  chunkDelayMs?: number;
  /** How many generate requests a full 5-hour window allows. Default 1000. */
  requestsPerQuota?: number;
  /** How long after first use a 5-hour window resets. Default 5 h. */
  quotaWindowMs?: number;
  /** How many generate requests a full weekly window allows. Default 10 × requestsPerQuota. */
  requestsPerWeek?: number;
  /** How long after first use a weekly window resets. Default 7 days. */
  weeklyWindowMs?: number;
  /** Lifetime of issued access tokens. Default 3599. */
  accessTokenTtlSec?: number;
  /** When set, the OAuth endpoints require this client id. */
  clientId?: string;
  /** When set, the token endpoint requires this client secret. */
  clientSecret?: string;
  /** Top-level catalog fields (default: the late-2026 values). */
  catalog?: Partial<SimCatalogInfo>;
  /**
   * The version gate per User-Agent family (default: today's, DEFAULT_VERSION_GATES); `false` lets
   * every version through. A User-Agent that names no Antigravity version is not judged.
   */
  versionGates?: { desktop?: Partial<SimVersionGate>; cli?: Partial<SimVersionGate> } | false;
  /** Clock (epoch ms) for token expiry, quota resets and rate windows. Default Date.now. */
  now?: () => number;
}

export interface SimCounters {
  /** Requests received per method (loadCodeAssist, streamGenerateContent, token, ...). */
  requests: Record<string, number>;
  successfulGenerates: number;
  /** 429 answers by ErrorInfo reason. */
  rateLimited: Record<string, number>;
  unauthorized: number;
  forbidden: number;
  badRequests: number;
  serverErrors: number;
  inflight: number;
  clientAborts: number;
  sessionsSeen: number;
  /** Parsed body of the last request that reached a v1internal method for this account. */
  lastRequestBody: unknown;
  /** Parsed body of the last generate request (background quota calls do not replace it). */
  lastGenerateBody: unknown;
  /** Headers of the last v1internal request for this account, lower-case names, without Authorization. */
  lastRequestHeaders: Record<string, string> | null;
}

export interface SimBucketView {
  pool: "gemini" | "claude";
  window: "5h" | "weekly";
  remainingFraction: number;
  /** null while the window is full and unused. */
  resetTime: string | null;
}

export interface SimAccountView {
  email: string;
  refreshToken: string;
  projectId: string | null;
  tier: SimTier;
  /** The model ids this account is entitled to. */
  models: string[];
  /** What each model's quotaInfo reports (its pool's 5-hour window), after any reset that is due. */
  quotas: Record<string, { remainingFraction: number; resetTime: string | null }>;
  /** Quota windows by bucketId (free tier: weekly only). */
  buckets: Record<string, SimBucketView>;
  rateLimitPerMinute: number | null;
  revoked: boolean;
  validationRequired: boolean;
  banned: boolean;
  fault: SimFault | null;
  counters: SimCounters;
}

/** Counters that add up across accounts (the rest describe one account's last request). */
export type SimTotals = Omit<SimCounters, "sessionsSeen" | "lastRequestBody" | "lastGenerateBody" | "lastRequestHeaders">;

export interface SimStats extends SimTotals {
  accounts: number;
  /** Requests that matched no account (unknown token, OAuth, control API excluded). */
  unattributed: number;
}
