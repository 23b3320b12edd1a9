import { describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { ACCOUNT, startSim } from "./helpers.ts";

const CLIENT_ID = "sim-client.apps.googleusercontent.com";
const CLIENT_SECRET = "sim-secret";
const SCOPES = [
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/userinfo.email",
  "https://www.googleapis.com/auth/userinfo.profile",
].join(" ");
const REDIRECT = "http://localhost:51121/oauth-callback";

function form(fields: Record<string, string>): RequestInit {
  return {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  };
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

function authorizeUrl(base: string, challenge: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    response_type: "code",
    scope: SCOPES,
    access_type: "offline",
    prompt: "consent",
    code_challenge: challenge,
    code_challenge_method: "S256",
    state: "st-123",
    ...extra,
  });
  return `${base}/o/oauth2/v2/auth?${q}`;
}

async function authorize(base: string, challenge: string, extra: Record<string, string> = {}): Promise<URL> {
  const res = await fetch(authorizeUrl(base, challenge, extra), { redirect: "manual" });
  expect(res.status).toBe(302);
  return new URL(res.headers.get("location") ?? "");
}

describe("refresh_token grant", () => {
  test("answers an access token with expiry and type", async () => {
    const h = await startSim({ accounts: [ACCOUNT], accessTokenTtlSec: 1234 });
    const res = await fetch(`${h.url}/token`, form({ grant_type: "refresh_token", refresh_token: ACCOUNT.refreshToken }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.access_token).toBeString();
    expect(body.expires_in).toBe(1234);
    expect(body.token_type).toBe("Bearer");
    expect(String(body.scope)).toContain("cloud-platform");
    expect(h.sim.state.accounts.get(ACCOUNT.email)?.counters.requests.token).toBe(1);
  });

  test("unknown and revoked refresh tokens get invalid_grant", async () => {
    const h = await startSim({ accounts: [ACCOUNT, { email: "r@agcp.test", refreshToken: "rt-r", revoked: true }] });
    for (const refresh of ["nope", "rt-r"]) {
      const res = await fetch(`${h.url}/token`, form({ grant_type: "refresh_token", refresh_token: refresh }));
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: "invalid_grant", error_description: "Token has been expired or revoked." });
    }
  });

  test("revoking an account makes its live access tokens 401", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const token = await h.token(ACCOUNT.refreshToken);
    expect((await h.call("loadCodeAssist", {}, token)).status).toBe(200);
    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { revoked: true });
    const res = await h.call("loadCodeAssist", {}, token);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { status: string; code: number } };
    expect(body.error.status).toBe("UNAUTHENTICATED");
    expect(body.error.code).toBe(401);
  });

  test("access tokens expire by the sim clock", async () => {
    let now = 1_000_000;
    const h = await startSim({ accounts: [ACCOUNT], accessTokenTtlSec: 60, now: () => now });
    const token = await h.token(ACCOUNT.refreshToken);
    expect((await h.call("loadCodeAssist", {}, token)).status).toBe(200);
    now += 60_000;
    const res = await h.call("loadCodeAssist", {}, token);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { details: { reason: string }[] } };
    expect(body.error.details[0]?.reason).toBe("ACCESS_TOKEN_EXPIRED");
    expect(h.sim.state.accounts.get(ACCOUNT.email)?.counters.unauthorized).toBe(1);
  });

  test("checks client credentials when configured", async () => {
    const h = await startSim({ accounts: [ACCOUNT], clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const bad = await fetch(`${h.url}/token`, form({ grant_type: "refresh_token", refresh_token: ACCOUNT.refreshToken, client_id: CLIENT_ID, client_secret: "wrong" }));
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: string }).error).toBe("invalid_client");
    const good = await fetch(`${h.url}/token`, form({ grant_type: "refresh_token", refresh_token: ACCOUNT.refreshToken, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }));
    expect(good.status).toBe(200);
  });

  test("missing credentials on a v1internal call is 401", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const res = await fetch(`${h.url}/v1internal:loadCodeAssist`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe("UNAUTHENTICATED");
  });
});

describe("authorization code flow with PKCE", () => {
  test("authorize redirects with code and state; token exchange creates the account", async () => {
    const h = await startSim({ accounts: [], clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    const { verifier, challenge } = pkce();
    const location = await authorize(h.url, challenge, { login_hint: "new@agcp.test" });
    expect(location.origin + location.pathname).toBe(REDIRECT);
    expect(location.searchParams.get("state")).toBe("st-123");
    const code = location.searchParams.get("code") ?? "";
    expect(code).not.toBe("");

    const res = await fetch(`${h.url}/token`, form({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT, client_id: CLIENT_ID, client_secret: CLIENT_SECRET }));
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, string | number>;
    expect(body.access_token).toBeString();
    expect(String(body.refresh_token)).toStartWith("sim-refresh-");
    expect(body.token_type).toBe("Bearer");
    expect(body.expires_in).toBe(3599);
    const claims = JSON.parse(Buffer.from(String(body.id_token).split(".")[1] ?? "", "base64url").toString());
    expect(claims.email).toBe("new@agcp.test");

    const info = await fetch(`${h.url}/oauth2/v1/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(info.status).toBe(200);
    const user = (await info.json()) as Record<string, unknown>;
    expect(user.email).toBe("new@agcp.test");
    expect(user.verified_email).toBe(true);
    expect(user.id).toBeString();
    expect(user.name).toBeString();
    expect(user.picture).toBeString();

    // The new refresh token works on the refresh grant.
    const refreshed = await fetch(`${h.url}/token`, form({ grant_type: "refresh_token", refresh_token: String(body.refresh_token), client_id: CLIENT_ID, client_secret: CLIENT_SECRET }));
    expect(refreshed.status).toBe(200);
    expect(h.sim.state.accounts.has("new@agcp.test")).toBe(true);
  });

  test("a wrong code_verifier fails and burns the code", async () => {
    const h = await startSim({ accounts: [] });
    const { verifier, challenge } = pkce();
    const code = (await authorize(h.url, challenge)).searchParams.get("code") ?? "";
    const wrong = await fetch(`${h.url}/token`, form({ grant_type: "authorization_code", code, code_verifier: pkce().verifier, redirect_uri: REDIRECT }));
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: string }).error).toBe("invalid_grant");
    const retry = await fetch(`${h.url}/token`, form({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT }));
    expect(retry.status).toBe(400);
    expect(h.sim.state.accounts.size).toBe(0);
  });

  test("without login_hint a fresh user is created; codes are single use", async () => {
    const h = await startSim({ accounts: [] });
    const { verifier, challenge } = pkce();
    const code = (await authorize(h.url, challenge)).searchParams.get("code") ?? "";
    const ok = await fetch(`${h.url}/token`, form({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT }));
    expect(ok.status).toBe(200);
    expect([...h.sim.state.accounts.keys()]).toEqual(["user1@agcp.test"]);
    const again = await fetch(`${h.url}/token`, form({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT }));
    expect(again.status).toBe(400);
  });

  test("re-consent of a revoked account issues a working refresh token", async () => {
    const h = await startSim({ accounts: [{ ...ACCOUNT, revoked: true }] });
    const { verifier, challenge } = pkce();
    const code = (await authorize(h.url, challenge, { login_hint: ACCOUNT.email })).searchParams.get("code") ?? "";
    const res = await fetch(`${h.url}/token`, form({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: REDIRECT }));
    const body = (await res.json()) as { refresh_token: string };
    expect(body.refresh_token).not.toBe(ACCOUNT.refreshToken);
    expect(await h.token(body.refresh_token)).toBeString();
  });

  test("authorize validates its parameters", async () => {
    const h = await startSim({ accounts: [], clientId: CLIENT_ID });
    const { challenge } = pkce();
    const cases: [Record<string, string>, number, string][] = [
      [{ client_id: "other" }, 401, "invalid_client"],
      [{ redirect_uri: "https://evil.example/cb" }, 400, "redirect_uri_mismatch"],
      [{ code_challenge: "short" }, 400, "invalid_request"],
      [{ code_challenge_method: "plain" }, 400, "invalid_request"],
      [{ state: "" }, 400, "invalid_request"],
      [{ scope: "openid" }, 400, "invalid_scope"],
    ];
    for (const [override, status, error] of cases) {
      const res = await fetch(authorizeUrl(h.url, challenge, override), { redirect: "manual" });
      expect(res.status).toBe(status);
      expect(((await res.json()) as { error: string }).error).toBe(error);
    }
  });
});
