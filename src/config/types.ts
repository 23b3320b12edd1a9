/**
 * agcp configuration types.
 *
 * This file has no imports on purpose: `agcp init` copies it verbatim next to your
 * `agcp.config.ts` so editors can type-check the config without any node_modules.
 * Every field is optional; the default is given in each field's doc comment.
 */

/** Account selection strategy. */
export type AgcpStrategy = "hybrid" | "sticky" | "round-robin" | "reset-aware";

/** Log levels (consola's names), from quietest to loudest. */
export type AgcpLogLevel = "silent" | "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "verbose";

/** Minimum remaining quota, as fractions of the full quota (0 .. 0.99). */
export interface AgcpQuotaFloors {
  /**
   * Below or at this remaining fraction an account is not picked for a model (while the
   * quota data is fresh), so it keeps a reserve. Default: 0.05 (5 %).
   */
  floor?: number;
  /** Per-model floors, e.g. `{ "claude-opus-5-5-high": 0.2 }`. Override `floor`. Default: none. */
  models?: Record<string, number>;
  /**
   * Floors per upstream quota pool ("gemini"; "claude" = Claude and GPT-OSS) and window ("5h",
   * "weekly"), e.g. `{ claude: { weekly: 0.1 } }` keeps a tenth of each account's Claude week in
   * reserve. Override `floor` for that window. Default: `floor`.
   */
  pools?: { gemini?: AgcpWindowFloors; claude?: AgcpWindowFloors };
}

/** Floors for the two windows of one quota pool. */
export interface AgcpWindowFloors {
  "5h"?: number;
  weekly?: number;
}

export interface AgcpAccount {
  /** Name shown in logs and the API. Default: `email`, else `account-<n>` (1-based position). */
  label?: string;
  /** Google account e-mail, informational. Default: none. */
  email?: string;
  /**
   * OAuth refresh token. Prefer `refreshTokenEnv` so the secret stays out of the file.
   * Exactly one of `refreshToken` / `refreshTokenEnv` is required.
   */
  refreshToken?: string;
  /** NAME of the environment variable that holds the refresh token, e.g. "AGCP_TOKEN_WORK". */
  refreshTokenEnv?: string;
  /** Cloud Code project id. Default: discovered from the upstream on first use. */
  projectId?: string;
  /** Set to false to keep the account configured but never route to it. Default: true. */
  enabled?: boolean;
  /**
   * Outbound HTTP(S) proxy for everything this account sends upstream (OAuth, catalog, quota,
   * generation); "direct" bypasses `upstream.proxy`. Default: `upstream.proxy`.
   */
  proxy?: string;
  /**
   * Per-account quota floors. Lookup order: this account's model floor → this account's
   * floor → global model floor → global floor. Default: the global `quota`.
   */
  quota?: AgcpQuotaFloors;
}

export interface AgcpPoolOptions {
  /** Reset-aware strategy: scores are the fraction of a window per hour it must be spent at. */
  resetAware?: {
    /** Bonus for the session's own account (prompt caching). Default: 0.5. */
    affinityBonus?: number;
    /** Taken off per request an account has in flight (spreads parallel subagents). Default: 0.1. */
    inFlightPenalty?: number;
    /**
     * Within this many hours of a weekly window's reset, that window's floor no longer holds an
     * account back: what it reserves would be lost at the reset. 0 keeps floors to the end. Default: 24.
     */
    floorReleaseHours?: number;
  };
  /** Hybrid strategy scoring. */
  hybrid?: {
    /**
     * score = health*health + bucket*(tokens/max*100) + quota*quotaScore + lru*min(idleSeconds, lruCapSeconds).
     * Default: { health: 2, bucket: 5, quota: 3, lru: 0.1 }.
     */
    weights?: { health?: number; bucket?: number; quota?: number; lru?: number };
    /** Idle time counted by the LRU term is capped at this many seconds. Default: 3600. */
    lruCapSeconds?: number;
    /**
     * Added to the score of the account a conversation used last (keeps prompt caches warm) while
     * it is usable at the normal level; bounded so a clearly better account still wins. Default: 150.
     */
    affinityBonus?: number;
  };
  /** Per-account health score. */
  health?: {
    /** Score of a new account. Default: 70. */
    initial?: number;
    /** Added per successful request. Default: 1. */
    successReward?: number;
    /** Subtracted per rate limit. Default: 10. */
    rateLimitPenalty?: number;
    /** Subtracted per other account failure. Default: 20. */
    failurePenalty?: number;
    /** Points regained per hour. Default: 10. */
    recoveryPerHour?: number;
    /** Lowest score. Default: 0. */
    min?: number;
    /** Highest score. Default: 100. */
    max?: number;
    /** Below this an account is skipped at the normal selection level. Default: 50. */
    minUsable?: number;
  };
  /** Client-side token bucket per account. */
  bucket?: {
    /** Capacity. Default: 50. */
    max?: number;
    /** Tokens regained per minute. Default: 6. */
    refillPerMinute?: number;
    /** Tokens at start. Default: 50. */
    initial?: number;
    /** Tokens spent per selection. Default: 1. */
    cost?: number;
  };
  /** How quota data feeds selection. */
  quota?: {
    /** Default floor (fraction 0..0.99); `quota.floor` at the top level overrides it. Default: 0.05. */
    defaultFloor?: number;
    /** Quota score when the remaining quota is unknown. Default: 50. */
    unknownScore?: number;
    /** Quota data older than this is stale. Default: 300000 (5 min). */
    staleAfterMs?: number;
    /** Stale quota scores are multiplied by this. Default: 0.9. */
    staleFactor?: number;
  };
  /** Fallback ladder when no account qualifies. */
  ladder?: {
    /** Wait before the "emergency" level (health ignored). Default: 250. */
    emergencyDelayMs?: number;
    /** Wait before the "last resort" level (token bucket ignored too). Default: 500. */
    lastResortDelayMs?: number;
  };
  /** Sticky strategy. */
  sticky?: {
    /** Wait for the current account if it resets within this long. Default: 120000 (2 min). */
    maxWaitMs?: number;
  };
  /** Cooldowns when the upstream gives no reset hint. */
  backoff?: {
    /** Quota exhausted, by repeat count. Default: [60000, 300000, 1800000, 7200000]. */
    quotaExhaustedMs?: number[];
    /** Short rate limit. Default: 30000. */
    rateLimitedMs?: number;
    /** Capacity (upstream overload). Default: 15000. */
    capacityMs?: number;
    /** ± jitter on `capacityMs`. Default: 5000. */
    capacityJitterMs?: number;
    /** Upstream 5xx. Default: 20000. */
    serverErrorMs?: number;
    /** Anything else. Default: 60000. */
    unknownMs?: number;
    /** 429s from one (account, model) within this window count once. Default: 2000. */
    dedupeWindowMs?: number;
    /** Consecutive 5xx/network failures that cool a model. Default: 3. */
    consecutiveFailuresToCool?: number;
    /** Cooldown after those failures. Default: 60000. */
    consecutiveFailureCooldownMs?: number;
    /** At most this fraction of the pool may be cooled by non-quota errors at once. Default: 0.5. */
    maxNonQuotaCooledFraction?: number;
  };
  /** Waits between retries on capacity errors. Default: [5000, 10000, 20000, 30000, 60000]. */
  capacityRetryDelaysMs?: number[];
  /** Waits between retries on empty upstream responses. Default: [500, 1000]. */
  emptyResponseRetryDelaysMs?: number[];
  /**
   * Requests one account may have in flight from this instance; 0 means no cap. At the cap the
   * account is passed over; when every usable account is at it, a request waits (within maxWaitMs)
   * for one to finish. Default: 0.
   */
  maxInFlightPerAccount?: number;
  /** The request path never sleeps longer than this in total. Default: 120000 (2 min). */
  maxWaitMs?: number;
  /** Attempts per request: max(minAttempts, accounts + 1). Default: 5. */
  minAttempts?: number;
  /** Long cooldowns are re-checked with a cheap quota probe after at most this long. Default: 900000 (15 min). */
  probeAfterMs?: number;
  /** Background quota refresh. */
  quotaRefresh?: {
    /** Interval. Default: 240000 (4 min, so data is re-read before it counts as stale at 5 min). */
    intervalMs?: number;
    /** Random spread as a fraction of the interval. Default: 0.2. */
    jitter?: number;
    /** Accounts refreshed in parallel. Default: 4. */
    concurrency?: number;
  };
}

export interface AgcpStorageOptions {
  /**
   * Where routing state (cooldowns, health, quota) survives restarts.
   * "memory" forgets on exit; "fs" writes JSON files; "redis" shares state between instances.
   * Default: "fs".
   */
  driver?: "memory" | "fs" | "redis";
  /**
   * Directory for the "fs" driver; relative paths are resolved against the config file's folder.
   * Default: $XDG_STATE_HOME/agcp, else ~/.local/state/agcp.
   */
  dir?: string;
  /** Redis URL for the "redis" driver, e.g. "redis://127.0.0.1:6379/0". Required for "redis". */
  url?: string;
  /** Key prefix, so several deployments can share one store. Default: "agcp". */
  prefix?: string;
  /** How often changed state is written out. Default: 1000. */
  flushIntervalMs?: number;
}

export interface AgcpUpstreamOptions {
  /** Cloud Code base URLs, tried in order. Default: the daily, then the production endpoint. */
  hosts?: string[];
  /**
   * Google OAuth endpoints and client. `clientId` / `clientSecret` default to the Antigravity
   * desktop app's public installed-app client (env AGCP_OAUTH_CLIENT_ID / AGCP_OAUTH_CLIENT_SECRET
   * override). The rest defaults to Google's endpoints.
   */
  oauth?: {
    tokenUrl?: string;
    userinfoUrl?: string;
    authorizeUrl?: string;
    clientId?: string;
    clientSecret?: string;
    scopes?: string[];
  };
  /**
   * How agcp identifies itself upstream: only a User-Agent, in an official client's form. Upstream
   * gates on its version; when Google raises the gate, raise `version` (env AGCP_CLIENT_VERSION).
   * Default: agy's form, `antigravity/cli/1.2.0 (aidev_client; os_type=…; arch=…; cl=978750357;
   * auth_method=consumer)`, or the version of a local agy / Antigravity install when one is found.
   */
  identity?: {
    /** "cli" (agy), "hub" (desktop), "ide" (language server) or "legacy" (`antigravity/<v> os/arch`). Default: "cli". */
    family?: "cli" | "hub" | "ide" | "legacy";
    /** Env AGCP_CLIENT_VERSION. Default: "1.2.0" (cli), or what a local install reports. */
    version?: string;
    /** Go names ("linux", "darwin", "windows"). Default: this machine's. */
    os?: string;
    /** Go names ("amd64", "arm64"). Default: this machine's. */
    arch?: string;
    /** agy's `cl=` build number. Default: 1.2.0's; left out for other versions unless set. */
    changelist?: string;
    /** The whole User-Agent verbatim; wins over the parts above. Env AGCP_USER_AGENT. Default: built from them. */
    userAgent?: string;
    /** Extra headers on every Cloud Code call (official clients send none). Default: {}. */
    headers?: Record<string, string>;
    /** Look for a local agy / Antigravity install when no version is configured. Default: true. */
    detect?: boolean;
  };
  /** Longest wait for response headers of one upstream request, and between chunks of a running stream. Default: 60000. */
  requestTimeoutMs?: number;
  /** Access tokens are refreshed this long before they expire. Default: 300000 (5 min). */
  refreshSkewMs?: number;
  /**
   * Envelope forms where the official Antigravity clients and public peers disagree. Defaults
   * follow the official clients' captures (late 2026); README "Requests upstream accepts" says
   * what each choice risks.
   */
  envelope?: {
    /** "official": `agent/<uuid>/<epochMs>/<trajectory>/<step>`; "legacy": `agent-<uuid>`. Default: "official". */
    requestId?: "official" | "legacy";
    /** "official": negative int64 string per conversation; "legacy": the conversation uuid. Default: "official". */
    sessionId?: "official" | "legacy";
    /** Send `request.labels` (trajectory, step, model flags). Default: true. */
    labels?: boolean;
    /** Tool mode when the model chooses: "validated" (VALIDATED) or "auto" (AUTO / none). Default: "validated". */
    toolMode?: "validated" | "auto";
    /** "per-tool": one `functionDeclarations` entry per tool; "single": all in one. Default: "per-tool". */
    toolDeclarations?: "per-tool" | "single";
    /** "official": results as role "model" with `{output}`; "legacy": role "user" with `{result}`/`{error}`. Default: "official". */
    toolResults?: "official" | "legacy";
    /** Send call/result ids on Gemini models too. Default: true. */
    geminiCallIds?: boolean;
    /** "single": the system prompt as one part; "per-block": one part per system block. Default: "single". */
    systemParts?: "single" | "per-block";
    /** "prepend": put `systemIdentityText` before the system prompt, as some peers do. Default: "none". */
    systemIdentity?: "none" | "prepend";
    /** Default: the one-sentence Antigravity identity peers use. */
    systemIdentityText?: string;
  };
  /**
   * Most output tokens per upstream model, as `{ "<model glob>": tokens }`; the most specific glob
   * wins, yours merged over the built-ins. Larger `max_tokens` are capped (upstream answers 400).
   * Used when the account's catalog (`fetchAvailableModels`) names no limit for the model.
   * Default: claude-* 64000, claude-*-5-5* 128000, gemini-* 65536, gemini-*pro* 65535, gpt-oss* 32768.
   */
  maxOutputTokens?: Record<string, number>;
  /**
   * Outbound HTTP(S) proxy for OAuth, catalog, quota and generation of every account without its
   * own `proxy`, e.g. "http://user:pass@proxy.corp:3128" (SOCKS is not supported). The password
   * is never logged. Default: env HTTPS_PROXY / https_proxy, else none.
   */
  proxy?: string;
  /** Hosts that bypass `proxy` ("*", "host", ".domain", "host:port"). Default: env NO_PROXY / no_proxy, else none. */
  noProxy?: string[];
}

export interface AgcpModelOptions {
  /** Client model name → upstream model name, merged over the built-in table. Default: built-in. */
  exact?: Record<string, string>;
  /** Checked in order before the built-in patterns; `match` uses `*` wildcards. Default: built-in. */
  patterns?: Array<{ match: string; to: string }>;
  /** Model → model to try when every account is limited for it (one level deep). Default: none. */
  fallback?: Record<string, string>;
  /**
   * Upstream id → stand-ins, in order, for an account whose catalog lacks it (only for mapped names,
   * e.g. `claude-opus-*`, never for an id the client named itself). Merged over the built-in table,
   * which sends Claude 5.5 to 4.6 and Gemini 3.8 Flash to 3.7 on accounts without them.
   */
  alternatives?: Record<string, string[]>;
}

export interface AgcpServerOptions {
  /** On SIGINT/SIGTERM, in-flight requests get this long to finish. Default: 10000. */
  shutdownTimeoutMs?: number;
  /** Keep-alive `ping` events on streams, so proxies do not cut idle streams. Default: 10000. */
  pingIntervalMs?: number;
}

export interface AgcpImageOptions {
  /**
   * Upstream image model for /v1/images/generations, used until the accounts' catalogs name theirs
   * (`imageGenerationModelIds`). Default: "gemini-3.1-flash-image".
   */
  model?: string;
}

export interface AgcpWebSearchOptions {
  /**
   * Model for Anthropic web-search tools (Google Search grounding) when no account's catalog names
   * `webSearchModelIds` (otherwise the catalogs decide; a requested model that is such an id is used
   * as is). Default: "gemini-3.1-flash-lite".
   */
  model?: string;
  /** Result links come back as Google redirect URLs; each is resolved (one HEAD, not followed) within this time, else kept. Default: 2000. */
  resolveTimeoutMs?: number;
  /** Resolve redirect links at all (false: clients get the redirect URLs). Default: true. */
  resolveRedirects?: boolean;
}

/**
 * Which browsers and names agcp answers to. A web page on another origin must not drive agcp, and a
 * page that re-points its own DNS name at 127.0.0.1 (DNS rebinding) must not read it.
 */
export interface AgcpSecurityOptions {
  /**
   * Extra `Host` names agcp answers to (no port), e.g. `["agcp.example.com"]` behind a reverse proxy.
   * Always accepted: `localhost`, any IP address, and the configured `host`. `"*"` accepts any name.
   * Other names get 421. Default: [].
   */
  allowedHosts?: string[];
  /**
   * Browser origins (`scheme://host[:port]`) allowed to call agcp, besides its own. A request whose
   * `Origin` is neither gets 403. `"*"` allows every origin. Default: [].
   */
  allowedOrigins?: string[];
}

/** Bounds that keep one client, or one upstream, from holding agcp's resources for ever. */
export interface AgcpLimitsOptions {
  /** Upstream requests in flight at once (beyond: they wait for a slot). Default: 4096. */
  upstreamConcurrency?: number;
  /** Longest wait for an upstream slot; then the client gets 529 overloaded_error. Default: 10000. */
  upstreamQueueMs?: number;
  /** Client requests served at once; beyond that, 503 with retry-after and one log line. Default: 8192. */
  maxConcurrentRequests?: number;
  /** A request body must have arrived completely within this time (slow senders get 408). Default: 60000. */
  bodyTimeoutMs?: number;
  /** Deepest nesting accepted in a request's JSON. Default: 128. */
  maxJsonDepth?: number;
  /** Longest line accepted in an upstream SSE stream, in bytes. Default: 33554432 (32 MiB). */
  maxSseLineBytes?: number;
}

/** How `/v1/messages/count_tokens` counts (README "Token counting"). */
export interface AgcpTokenCountOptions {
  /** Ask upstream's countTokens (exact, one cheap call, no quota); false: local estimate only. Default: true. */
  upstream?: boolean;
  /** How long an upstream count is reused for the same content. Default: 60000. */
  cacheTtlMs?: number;
  /** Counts kept at most (least recently used go first). Default: 500. */
  cacheMaxEntries?: number;
  /** Longest wait for upstream's count before answering the estimate. Default: 5000. */
  timeoutMs?: number;
  /** After a failed count, how long only the estimate answers (for that model). Default: 30000. */
  backoffMs?: number;
}

/** The request log (console, GET /api/requests, --access-log). Never holds prompts or tokens. */
export interface AgcpRequestLogOptions {
  /** Requests kept in memory, newest first. Default: 500. 0 turns the in-memory log off. */
  size?: number;
  /** One JSON line per request on stdout (also `agcp start --access-log`). Default: false. */
  accessLog?: boolean;
  /**
   * Each entry's trace names every skipped account and why while the pool has at most this many
   * accounts (working that out walks the whole pool). Default: 200.
   */
  traceAccounts?: number;
}

/** The Claude Agent SDK identity sentence of `claude -p` (README "Claude Code on Gemini"). */
export interface AgcpAgentSdkIdentityOptions {
  /**
   * Where the sentence is rewritten before sending: "gemini" (Gemini models, which answer it with
   * a bare 429), "all", or "off". Default: "gemini".
   */
  rewrite?: "gemini" | "all" | "off";
  /** What it becomes. Default: "You are Claude Code, Anthropic's official CLI for Claude." */
  replacement?: string;
}

export interface AgcpConfig {
  /** TCP port. Env AGCP_PORT, flag --port. Default: 8080. */
  port?: number;
  /** Listen address. Env AGCP_HOST, flag --host. Default: "127.0.0.1" (this machine only). */
  host?: string;
  /**
   * When set, clients must send it as `x-api-key` or `Authorization: Bearer`. Env AGCP_API_KEY.
   * Default: none (no client auth; keep host on loopback then).
   */
  apiKey?: string;
  /** Account selection strategy. Env AGCP_STRATEGY, flag --strategy. Default: "reset-aware". */
  strategy?: AgcpStrategy;
  /** Env AGCP_LOG_LEVEL, flag --log-level. Default: "info". */
  logLevel?: AgcpLogLevel;
  /** Largest accepted request body in bytes (Claude Code sends big contexts with images). Default: 33554432 (32 MiB). */
  bodyLimit?: number;
  /** Google accounts to balance across. Default: none. */
  accounts?: AgcpAccount[];
  /** Global quota floors. Default: { floor: 0.05 }. */
  quota?: AgcpQuotaFloors;
  /** Load-balancing constants; anything left out keeps its default. */
  pool?: AgcpPoolOptions;
  /** Persistence of routing state. Default: { driver: "fs" }. */
  storage?: AgcpStorageOptions;
  /** Upstream endpoints and identity (change only for testing). */
  upstream?: AgcpUpstreamOptions;
  /** Model name mapping and fallbacks. */
  models?: AgcpModelOptions;
  /** HTTP server behaviour. */
  server?: AgcpServerOptions;
  /** Image generation (OpenAI images door). */
  images?: AgcpImageOptions;
  /** Anthropic web-search tools answered through Google Search grounding. */
  webSearch?: AgcpWebSearchOptions;
  /** Origins and host names allowed to reach agcp. */
  security?: AgcpSecurityOptions;
  /** Concurrency, time and size bounds. */
  limits?: AgcpLimitsOptions;
  /** Exact token counts through upstream. */
  tokenCount?: AgcpTokenCountOptions;
  /** The request log: size, access log, trace detail. */
  requestLog?: AgcpRequestLogOptions;
  /** Handling of `claude -p`'s identity sentence. */
  agentSdkIdentity?: AgcpAgentSdkIdentityOptions;
}

/** Identity helper for editor completion: `export default defineConfig({ ... })`. */
export function defineConfig(config: AgcpConfig): AgcpConfig {
  return config;
}
