/**
 * The one way agcp talks to Cloud Code: bearer tokens from the cache, the IDE's identification
 * headers, host fallback, and a single refresh-and-retry on 401. Switching accounts is the pool's
 * job, not this module's.
 */
import { classifyNetworkError, classifyUpstreamError } from "./classify.ts";
import { fetchWithDeadline, readBodyWithin } from "./deadline.ts";
import { UpstreamError } from "./errors.ts";
import { identityHeaders } from "./identity.ts";
import type { UpstreamOptions } from "./options.ts";
import {
  createProjectCache,
  discoverProject,
  type CodeAssistMethod,
  type DiscoveryOptions,
  type ProjectInfo,
} from "./project.ts";
import { parseQuotaSummary, type QuotaWindow } from "../google/quota-pools.ts";
import { proxyFor, proxySecrets, redactProxyUrl } from "./proxy.ts";
import { isRecord, parseJson } from "./rpc.ts";
import { createTokenCache, requestToken, type TokenCache } from "./tokens.ts";

export interface UpstreamAccount {
  id: string;
  refreshToken: string;
  /** Configured project; skips discovery. */
  projectId?: string;
  /** Outbound proxy URL for everything this account sends ("direct": none); absent: `upstream.proxy`. */
  proxy?: string;
}

/** The Cloud Code request envelope; `project` is filled in from discovery when absent. */
export interface GenerateEnvelope {
  model: string;
  project?: string;
  request: unknown;
}

export interface GenerateOptions {
  stream: boolean;
  /** Aborting (client went away) aborts the upstream fetch, before or after headers. */
  signal?: AbortSignal;
  /** Whether the request asks for thinking (kept for callers; official clients send no beta header for it). */
  thinking?: boolean;
  /**
   * The system instruction carries the Claude Agent SDK identity sentence (on a Gemini model): a
   * detail-less 429 is then upstream refusing the sentence, not a limit of the account.
   */
  agentSdkIdentity?: boolean;
}

export interface ModelQuota {
  /** Remaining quota, 0..1; 0 when upstream only gives a reset time (exhausted). */
  fraction: number;
  resetAt?: number;
  displayName?: string;
  /**
   * The fraction was absent and 0 is only inferred from the reset time. Usually right (proto3 JSON
   * omits a zero), but free tier omits it for third-party models that are not exhausted: the
   * quota summary, when read, knows better.
   */
  inferred?: true;
}

export interface CodeGrant {
  refreshToken: string;
  accessToken: string;
  expiresIn: number;
}

export interface UpstreamClientOptions extends UpstreamOptions {
  fetch?: typeof fetch;
  now?: () => number;
  discovery?: DiscoveryOptions;
}

export interface UpstreamClient {
  tokens: TokenCache;
  /** An ok Response (SSE stream or JSON); anything else throws UpstreamError. Caller aborts rethrow the abort reason. */
  generate(account: UpstreamAccount, envelope: GenerateEnvelope, options: GenerateOptions): Promise<Response>;
  /**
   * Upstream's token count for a generate request's content (countTokens: body `{request}` only,
   * no model or project beside it). Costs no completion.
   */
  countTokens(account: UpstreamAccount, request: unknown, options?: { signal?: AbortSignal }): Promise<number>;
  /** Quota per model id, from fetchAvailableModels (a cheap probe: costs no completion). */
  fetchModels(account: UpstreamAccount, options?: { signal?: AbortSignal }): Promise<Record<string, ModelQuota>>;
  /** The whole fetchAvailableModels answer (the account's catalog: src/google/catalog.ts parses it). */
  fetchAvailableModels(account: UpstreamAccount, options?: { signal?: AbortSignal }): Promise<unknown>;
  /** The pools' 5-hour and weekly windows, from retrieveUserQuotaSummary (also free of charge). */
  fetchQuotaSummary(account: UpstreamAccount, options?: { signal?: AbortSignal }): Promise<QuotaWindow[]>;
  discover(account: UpstreamAccount): Promise<ProjectInfo>;
  /** `account` picks the proxy (a sign-in has no account yet: the global proxy). */
  userinfo(accessToken: string, account?: { proxy?: string }): Promise<{ email: string; name?: string }>;
  exchangeCode(code: string, verifier: string, redirectUri: string): Promise<CodeGrant>;
  /** Drop cached token and project, e.g. after re-authentication or removal. */
  forget(accountId: string): void;
}

interface CallOptions {
  signal?: AbortSignal;
  stream?: boolean;
  model?: string;
  agentSdkIdentity?: boolean;
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const doFetch = options.fetch ?? fetch;
  const now = options.now ?? Date.now;
  const proxySettings = { proxy: options.proxy ?? "", noProxy: options.noProxy ?? [] };
  /** Every request names its proxy (or false: direct), so the environment cannot change the route behind our back. */
  const route = (url: string, account?: { proxy?: string }) => proxyFor(url, account?.proxy, proxySettings);
  const tokens = createTokenCache({
    oauth: options.oauth,
    fetch: doFetch,
    now,
    refreshSkewMs: options.refreshSkewMs,
    timeoutMs: options.requestTimeoutMs,
    proxyFor: (account) => route(options.oauth.tokenUrl, account),
  });

  // Exactly what the official clients send (plus configured extras): no Accept, no X-Client-*.
  const identity = identityHeaders(options.identity);
  function baseHeaders(accessToken: string): Record<string, string> {
    return { ...identity, Authorization: `Bearer ${accessToken}`, "Content-Type": "application/json" };
  }

  /** Host fallback plus one token refresh on 401. Returns only ok responses. */
  async function call(account: UpstreamAccount, method: string, body: unknown, opts: CallOptions = {}) {
    const payload = JSON.stringify(body);
    let accessToken = await tokens.get(account);
    let refreshed = false;
    let httpError: UpstreamError | undefined;
    let networkError: UpstreamError | undefined;

    for (let i = 0; i < options.hosts.length; i++) {
      const url = `${options.hosts[i]}/v1internal:${method}`;
      const proxy = route(url, account);
      const secrets = [accessToken, account.refreshToken, ...proxySecrets(proxy || undefined)];
      const attempt = await fetchWithDeadline(doFetch, url, {
        method: "POST",
        headers: baseHeaders(accessToken),
        body: payload,
        proxy,
      }, { timeoutMs: options.requestTimeoutMs, signal: opts.signal });

      if (attempt.kind === "failed") {
        networkError = classifyNetworkError(attempt.error, { url, timeoutMs: attempt.timeoutMs, secrets, ...(proxy && { proxy: redactProxyUrl(proxy) }) });
        continue;
      }
      const { res } = attempt;
      if (res.ok) return res;
      if (res.status === 401 && !refreshed) {
        refreshed = true;
        tokens.invalidate(account.id);
        accessToken = await tokens.get(account);
        i--; // same host, fresh token
        continue;
      }
      const error = classifyUpstreamError({
        status: res.status,
        headers: res.headers,
        bodyText: attempt.bodyText,
        now: now(),
        model: opts.model,
        secrets,
        agentSdkIdentity: opts.agentSdkIdentity,
      });
      if (!tryNextHost(res.status, error)) throw error;
      httpError = error;
    }
    // A host that answered says more than one that could not be reached.
    throw httpError ?? networkError ?? new UpstreamError({ kind: "network", message: "no upstream hosts configured" });
  }

  async function callJson(account: UpstreamAccount, method: string, body: unknown, opts: CallOptions = {}) {
    const res = await call(account, method, body, opts);
    // Bounded like every upstream wait; a caller abort comes back as the abort reason.
    const bytes = await readBodyWithin(res, { idleMs: options.requestTimeoutMs, signal: opts.signal });
    const parsed = parseJson(new TextDecoder().decode(bytes));
    if (parsed === undefined) {
      throw new UpstreamError({ kind: "server", status: res.status, message: `${method} answered with non-JSON` });
    }
    return parsed;
  }

  const projects = createProjectCache((account: UpstreamAccount) =>
    discoverProject((method: CodeAssistMethod, body) => callJson(account, method, body), options.discovery),
  );

  /** A plain 403 on a discovered project may mean the project changed: look it up again next time. */
  function forgetDeniedProject(account: UpstreamAccount, error: unknown): never {
    if (error instanceof UpstreamError && error.status === 403 && error.kind === "server") projects.invalidate(account.id);
    throw error;
  }

  return {
    tokens,

    async generate(account, envelope, opts) {
      const project = envelope.project ?? (await projects.get(account)).projectId;
      const method = opts.stream ? "streamGenerateContent?alt=sse" : "generateContent";
      return call(account, method, { ...envelope, project }, {
        stream: opts.stream,
        signal: opts.signal,
        model: envelope.model,
        agentSdkIdentity: opts.agentSdkIdentity,
      }).catch((error: unknown) => forgetDeniedProject(account, error));
    },

    async countTokens(account, request, opts = {}) {
      const answer = await callJson(account, "countTokens", { request }, { signal: opts.signal });
      // Seen both bare and wrapped in `response`; proto-JSON may write the int64 as a string.
      const inner = isRecord(answer) && isRecord(answer.response) ? answer.response : answer;
      const total = isRecord(inner) ? Number(inner.totalTokens) : Number.NaN;
      if (!Number.isFinite(total) || total < 0) {
        throw new UpstreamError({ kind: "server", message: "countTokens answered without a totalTokens number" });
      }
      return Math.round(total);
    },

    async fetchAvailableModels(account, opts = {}) {
      const { projectId } = await projects.get(account);
      return callJson(account, "fetchAvailableModels", { project: projectId }, { signal: opts.signal }).catch((error: unknown) =>
        forgetDeniedProject(account, error),
      );
    },

    async fetchModels(account, opts = {}) {
      return readAvailableModels(await this.fetchAvailableModels(account, opts));
    },

    async fetchQuotaSummary(account, opts = {}) {
      const { projectId } = await projects.get(account);
      const answer = await callJson(account, "retrieveUserQuotaSummary", { project: projectId }, { signal: opts.signal });
      return parseQuotaSummary(answer);
    },

    discover(account) {
      return projects.get(account);
    },

    async userinfo(accessToken, account) {
      const url = options.oauth.userinfoUrl;
      const attempt = await fetchWithDeadline(doFetch, url, {
        method: "GET",
        headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" },
        proxy: route(url, account),
      }, { timeoutMs: options.requestTimeoutMs, readBody: "always" });
      if (attempt.kind === "failed") {
        throw classifyNetworkError(attempt.error, { url, timeoutMs: attempt.timeoutMs, secrets: [accessToken] });
      }
      const text = attempt.bodyText;
      if (!attempt.res.ok) {
        throw classifyUpstreamError({
          status: attempt.res.status,
          headers: attempt.res.headers,
          bodyText: text,
          now: now(),
          secrets: [accessToken],
        });
      }
      const body = parseJson(text);
      if (!isRecord(body) || typeof body.email !== "string" || !body.email) {
        throw new UpstreamError({ kind: "server", status: attempt.res.status, message: "userinfo answered without an email" });
      }
      return typeof body.name === "string" ? { email: body.email, name: body.name } : { email: body.email };
    },

    async exchangeCode(code, verifier, redirectUri) {
      const grant = await requestToken(
        { oauth: options.oauth, fetch: doFetch, timeoutMs: options.requestTimeoutMs, proxy: route(options.oauth.tokenUrl) },
        { grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: redirectUri },
      );
      if (!grant.refreshToken) {
        // Happens when consent was not forced; without it the account cannot be used unattended.
        throw new UpstreamError({
          kind: "unauthenticated",
          message: "Google returned no refresh token; remove agcp's access in your Google account and sign in again",
        });
      }
      return { refreshToken: grant.refreshToken, accessToken: grant.accessToken, expiresIn: grant.expiresIn };
    },

    forget(accountId) {
      tokens.invalidate(accountId);
      projects.invalidate(accountId);
    },
  };
}

/** Where another host might do better: it is down, does not know the method, or refused this host. */
function tryNextHost(status: number, error: UpstreamError): boolean {
  if (error.kind === "verification_required" || error.kind === "banned") return false;
  return status === 403 || status === 404 || status >= 500;
}

export function readAvailableModels(answer: unknown): Record<string, ModelQuota> {
  const models = isRecord(answer) && isRecord(answer.models) ? answer.models : {};
  const out: Record<string, ModelQuota> = {};
  for (const [id, raw] of Object.entries(models)) {
    if (!isRecord(raw)) continue;
    const quota = isRecord(raw.quotaInfo) ? raw.quotaInfo : undefined;
    // Without quotaInfo there is nothing to balance on (internal or unmetered model).
    if (!quota) continue;
    const resetAt = typeof quota.resetTime === "string" ? Date.parse(quota.resetTime) : Number.NaN;
    const remaining = typeof quota.remainingFraction === "number" ? quota.remainingFraction : undefined;
    if (remaining === undefined && Number.isNaN(resetAt)) continue;
    const entry: ModelQuota = { fraction: remaining === undefined ? 0 : Math.min(1, Math.max(0, remaining)) };
    if (remaining === undefined) entry.inferred = true;
    if (!Number.isNaN(resetAt)) entry.resetAt = resetAt;
    if (typeof raw.displayName === "string") entry.displayName = raw.displayName;
    out[id] = entry;
  }
  return out;
}
