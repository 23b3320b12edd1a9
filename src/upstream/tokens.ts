/**
 * Access tokens per account: cached until shortly before expiry, refreshed at most once at a time
 * per account so a burst of requests on a cold account costs one token-endpoint call.
 */
import { classifyNetworkError, classifyTokenError } from "./classify.ts";
import { fetchWithDeadline } from "./deadline.ts";
import { UpstreamError } from "./errors.ts";
import type { UpstreamOAuthOptions } from "./options.ts";
import { proxySecrets, redactProxyUrl } from "./proxy.ts";
import { isRecord, parseJson } from "./rpc.ts";

export interface TokenAccount {
  id: string;
  refreshToken: string;
  /** The account's own outbound proxy ("direct" for none); absent: the global one. */
  proxy?: string;
}

export interface TokenCacheOptions {
  oauth: Pick<UpstreamOAuthOptions, "tokenUrl" | "clientId" | "clientSecret">;
  fetch?: typeof fetch;
  now: () => number;
  /** Refresh this long before expiry. */
  refreshSkewMs?: number;
  /** Longest wait for the token endpoint. */
  timeoutMs?: number;
  /** The proxy for a token-endpoint call of this account (false: direct). Default: direct. */
  proxyFor?: (account?: TokenAccount) => string | false;
}

export interface TokenCache {
  /** A valid access token for the account; refreshes when missing or about to expire. */
  get(account: TokenAccount): Promise<string>;
  /** Forget the cached token (upstream said 401), so the next get() refreshes. */
  invalidate(id: string): void;
  /** Seed a token we already hold, e.g. from the authorization-code exchange. */
  prime(account: TokenAccount, accessToken: string, expiresInSec: number): void;
  /** When the cached token expires, if there is one (for status displays). */
  expiresAt(id: string): number | undefined;
}

interface CachedToken {
  accessToken: string;
  expiresAt: number;
  /** A re-authenticated account gets a new refresh token; the old access token may be dead. */
  refreshToken: string;
}

export interface TokenGrant {
  accessToken: string;
  expiresIn: number;
  refreshToken?: string;
}

const DEFAULT_SKEW_MS = 5 * 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;
/** Google says about an hour; assume less if it says nothing. */
const FALLBACK_EXPIRES_IN_SEC = 3000;

export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const skew = options.refreshSkewMs ?? DEFAULT_SKEW_MS;
  const cache = new Map<string, CachedToken>();
  const inFlight = new Map<string, { refreshToken: string; promise: Promise<string> }>();

  function fresh(account: TokenAccount): string | undefined {
    const entry = cache.get(account.id);
    if (!entry || entry.refreshToken !== account.refreshToken) return undefined;
    return options.now() < entry.expiresAt - skew ? entry.accessToken : undefined;
  }

  function store(account: TokenAccount, accessToken: string, expiresInSec: number): void {
    cache.set(account.id, {
      accessToken,
      refreshToken: account.refreshToken,
      expiresAt: options.now() + expiresInSec * 1000,
    });
  }

  async function refresh(account: TokenAccount): Promise<string> {
    const grant = await requestToken({ ...options, proxy: options.proxyFor?.(account) ?? false }, {
      grant_type: "refresh_token",
      refresh_token: account.refreshToken,
    });
    store(account, grant.accessToken, grant.expiresIn);
    return grant.accessToken;
  }

  return {
    get(account) {
      const cached = fresh(account);
      if (cached) return Promise.resolve(cached);
      const pending = inFlight.get(account.id);
      if (pending && pending.refreshToken === account.refreshToken) return pending.promise;
      const promise = refresh(account).finally(() => {
        if (inFlight.get(account.id)?.promise === promise) inFlight.delete(account.id);
      });
      inFlight.set(account.id, { refreshToken: account.refreshToken, promise });
      return promise;
    },
    invalidate(id) {
      cache.delete(id);
    },
    prime(account, accessToken, expiresInSec) {
      store(account, accessToken, expiresInSec);
    },
    expiresAt(id) {
      return cache.get(id)?.expiresAt;
    },
  };
}

/** POST a form to the token endpoint; every failure becomes an UpstreamError without secrets. */
export async function requestToken(
  options: Pick<TokenCacheOptions, "oauth" | "fetch" | "timeoutMs"> & { proxy?: string | false },
  params: Record<string, string>,
): Promise<TokenGrant> {
  const doFetch = options.fetch ?? fetch;
  const secrets = [params.refresh_token, params.code, params.code_verifier, options.oauth.clientSecret, ...proxySecrets(options.proxy || undefined)];
  const form = new URLSearchParams({
    client_id: options.oauth.clientId,
    client_secret: options.oauth.clientSecret,
    ...params,
  });
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const attempt = await fetchWithDeadline(doFetch, options.oauth.tokenUrl, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: form,
    proxy: options.proxy ?? false,
  }, { timeoutMs, readBody: "always" });
  if (attempt.kind === "failed") {
    throw classifyNetworkError(attempt.error, {
      url: options.oauth.tokenUrl,
      timeoutMs: attempt.timeoutMs,
      secrets,
      ...(options.proxy && { proxy: redactProxyUrl(options.proxy) }),
    });
  }
  const { res, bodyText: text } = attempt;
  if (!res.ok) throw classifyTokenError({ status: res.status, bodyText: text, secrets });
  const body = parseJson(text);
  if (!isRecord(body) || typeof body.access_token !== "string" || !body.access_token) {
    throw new UpstreamError({
      kind: "server",
      status: res.status,
      message: "token endpoint answered without an access_token",
    });
  }
  const expiresIn = Number(body.expires_in);
  return {
    accessToken: body.access_token,
    expiresIn: Number.isFinite(expiresIn) && expiresIn > 0 ? expiresIn : FALLBACK_EXPIRES_IN_SEC,
    refreshToken: typeof body.refresh_token === "string" && body.refresh_token ? body.refresh_token : undefined,
  };
}
