import { describe, expect, test } from "bun:test";
import { UpstreamError } from "../../src/upstream/errors.ts";
import { createTokenCache } from "../../src/upstream/tokens.ts";

const OAUTH = { tokenUrl: "http://token.test/token", clientId: "cid", clientSecret: "csecret-value" };
const ACCOUNT = { id: "a@example.com", refreshToken: "1//refresh-token-for-a-0123456789" };

interface FakeTokenEndpoint {
  fetch: typeof fetch;
  hits: URLSearchParams[];
  /** Resolve held requests (when hold is on). */
  release(): void;
}

function fakeTokenEndpoint(opts: { hold?: boolean; expiresIn?: number; fail?: { status: number; body: unknown } } = {}) {
  const hits: URLSearchParams[] = [];
  const waiting: Array<() => void> = [];
  let issued = 0;
  const impl = async (_url: string | URL | Request, init?: RequestInit) => {
    const form = new URLSearchParams(String(init?.body));
    hits.push(form);
    if (opts.hold) await new Promise<void>((resolve) => waiting.push(resolve));
    if (opts.fail) return Response.json(opts.fail.body, { status: opts.fail.status });
    return Response.json({
      access_token: `ya29.access-${++issued}`,
      expires_in: opts.expiresIn ?? 3600,
      token_type: "Bearer",
    });
  };
  const endpoint: FakeTokenEndpoint = {
    fetch: impl as unknown as typeof fetch,
    hits,
    release: () => waiting.splice(0).forEach((resolve) => resolve()),
  };
  return endpoint;
}

describe("token cache", () => {
  test("sends a refresh_token grant with the client credentials and caches the result", async () => {
    const endpoint = fakeTokenEndpoint();
    let now = 1_000_000;
    const cache = createTokenCache({ oauth: OAUTH, fetch: endpoint.fetch, now: () => now, refreshSkewMs: 60_000 });
    expect(await cache.get(ACCOUNT)).toBe("ya29.access-1");
    const form = endpoint.hits[0]!;
    expect(form.get("grant_type")).toBe("refresh_token");
    expect(form.get("refresh_token")).toBe(ACCOUNT.refreshToken);
    expect(form.get("client_id")).toBe("cid");
    expect(form.get("client_secret")).toBe("csecret-value");
    now += 30 * 60_000;
    expect(await cache.get(ACCOUNT)).toBe("ya29.access-1");
    expect(endpoint.hits.length).toBe(1);
    expect(cache.expiresAt(ACCOUNT.id)).toBe(1_000_000 + 3_600_000);
  });

  test("refreshes refreshSkewMs before expiry, not after", async () => {
    const endpoint = fakeTokenEndpoint({ expiresIn: 3600 });
    let now = 0;
    const cache = createTokenCache({ oauth: OAUTH, fetch: endpoint.fetch, now: () => now, refreshSkewMs: 5 * 60_000 });
    await cache.get(ACCOUNT);
    now = 3600_000 - 5 * 60_000 - 1; // one ms before the skew window opens
    expect(await cache.get(ACCOUNT)).toBe("ya29.access-1");
    now += 1; // inside the window: still valid upstream, but refresh now
    expect(await cache.get(ACCOUNT)).toBe("ya29.access-2");
    expect(endpoint.hits.length).toBe(2);
  });

  test("20 concurrent callers share one in-flight refresh", async () => {
    const endpoint = fakeTokenEndpoint({ hold: true });
    const cache = createTokenCache({ oauth: OAUTH, fetch: endpoint.fetch, now: () => 0 });
    const pending = Array.from({ length: 20 }, () => cache.get(ACCOUNT));
    await Bun.sleep(0);
    expect(endpoint.hits.length).toBe(1);
    endpoint.release();
    const tokens = await Promise.all(pending);
    expect(new Set(tokens)).toEqual(new Set(["ya29.access-1"]));
    expect(endpoint.hits.length).toBe(1);
  });

  test("accounts refresh independently", async () => {
    const endpoint = fakeTokenEndpoint({ hold: true });
    const cache = createTokenCache({ oauth: OAUTH, fetch: endpoint.fetch, now: () => 0 });
    const a = cache.get(ACCOUNT);
    const b = cache.get({ id: "b@example.com", refreshToken: "1//refresh-token-for-b-0123456789" });
    await Bun.sleep(0);
    expect(endpoint.hits.length).toBe(2);
    endpoint.release();
    expect(new Set(await Promise.all([a, b])).size).toBe(2);
  });

  test("invalidate forces the next get to refresh", async () => {
    const endpoint = fakeTokenEndpoint();
    const cache = createTokenCache({ oauth: OAUTH, fetch: endpoint.fetch, now: () => 0 });
    await cache.get(ACCOUNT);
    cache.invalidate(ACCOUNT.id);
    expect(await cache.get(ACCOUNT)).toBe("ya29.access-2");
  });

  test("a new refresh token (re-authentication) discards the cached access token", async () => {
    const endpoint = fakeTokenEndpoint();
    const cache = createTokenCache({ oauth: OAUTH, fetch: endpoint.fetch, now: () => 0 });
    await cache.get(ACCOUNT);
    expect(await cache.get({ ...ACCOUNT, refreshToken: "1//a-brand-new-refresh-token" })).toBe("ya29.access-2");
  });

  test("prime seeds a token without a refresh", async () => {
    const endpoint = fakeTokenEndpoint();
    const cache = createTokenCache({ oauth: OAUTH, fetch: endpoint.fetch, now: () => 0 });
    cache.prime(ACCOUNT, "ya29.primed", 3600);
    expect(await cache.get(ACCOUNT)).toBe("ya29.primed");
    expect(endpoint.hits.length).toBe(0);
  });

  test("invalid_grant → auth_revoked for every waiting caller, and the failure is not cached", async () => {
    const endpoint = fakeTokenEndpoint({
      hold: true,
      fail: { status: 400, body: { error: "invalid_grant", error_description: "Token has been expired or revoked." } },
    });
    const cache = createTokenCache({ oauth: OAUTH, fetch: endpoint.fetch, now: () => 0 });
    const waiting = Array.from({ length: 5 }, () => cache.get(ACCOUNT).catch((e: unknown) => e));
    await Bun.sleep(0);
    endpoint.release();
    const errors = await Promise.all(waiting);
    for (const err of errors) {
      expect(err).toBeInstanceOf(UpstreamError);
      expect((err as UpstreamError).kind).toBe("auth_revoked");
      expect((err as UpstreamError).message).not.toContain(ACCOUNT.refreshToken);
      expect((err as UpstreamError).message).not.toContain("csecret-value");
    }
    expect(endpoint.hits.length).toBe(1);
    const again = cache.get(ACCOUNT).catch((e: unknown) => e);
    await Bun.sleep(0);
    endpoint.release();
    expect(((await again) as UpstreamError).kind).toBe("auth_revoked");
    expect(endpoint.hits.length).toBe(2);
  });

  test("an unreachable token endpoint → network", async () => {
    const failing = (async () => {
      throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    }) as unknown as typeof fetch;
    const cache = createTokenCache({ oauth: OAUTH, fetch: failing, now: () => 0 });
    const err = (await cache.get(ACCOUNT).catch((e: unknown) => e)) as UpstreamError;
    expect(err.kind).toBe("network");
  });

  test("a token endpoint that never answers times out as network", async () => {
    const hanging = ((_: unknown, init?: RequestInit) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(init.signal?.reason));
      })) as unknown as typeof fetch;
    const cache = createTokenCache({ oauth: OAUTH, fetch: hanging, now: () => 0, timeoutMs: 20 });
    const err = (await cache.get(ACCOUNT).catch((e: unknown) => e)) as UpstreamError;
    expect(err.kind).toBe("network");
    expect(err.message).toContain("20 ms");
  });
});
