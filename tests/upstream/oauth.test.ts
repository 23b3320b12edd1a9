import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import {
  buildAuthorizeUrl,
  createOAuthState,
  createPkce,
  pkceChallenge,
  readOAuthCallback,
} from "../../src/upstream/oauth.ts";
import { DEFAULT_UPSTREAM } from "../../src/upstream/options.ts";
import { userAgentOf } from "../../src/upstream/identity.ts";

describe("PKCE", () => {
  test("RFC 7636 appendix B example", () => {
    expect(pkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")).toBe(
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });
  test("verifier is 43 url-safe chars and challenge is its S256", () => {
    const { verifier, challenge } = createPkce();
    expect(verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(challenge).toBe(createHash("sha256").update(verifier).digest("base64url"));
  });
  test("random source is injectable and each call differs by default", () => {
    const fixed = createPkce((n) => new Uint8Array(n).fill(1));
    expect(fixed.verifier).toBe(Buffer.from(new Uint8Array(32).fill(1)).toString("base64url"));
    expect(createPkce().verifier).not.toBe(createPkce().verifier);
    expect(createOAuthState()).not.toBe(createOAuthState());
  });
});

describe("buildAuthorizeUrl", () => {
  test("offline, consent, S256, state, scopes, login hint", () => {
    const url = new URL(
      buildAuthorizeUrl({
        oauth: { ...DEFAULT_UPSTREAM.oauth, clientId: "cid.apps.googleusercontent.com" },
        redirectUri: "http://localhost:51121/oauth-callback",
        state: "st",
        challenge: "ch",
        loginHint: "a@example.com",
      }),
    );
    expect(url.origin + url.pathname).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    const q = url.searchParams;
    expect(q.get("client_id")).toBe("cid.apps.googleusercontent.com");
    expect(q.get("redirect_uri")).toBe("http://localhost:51121/oauth-callback");
    expect(q.get("response_type")).toBe("code");
    expect(q.get("access_type")).toBe("offline");
    expect(q.get("prompt")).toBe("consent");
    expect(q.get("code_challenge")).toBe("ch");
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("state")).toBe("st");
    expect(q.get("login_hint")).toBe("a@example.com");
    expect(q.get("scope")!.split(" ")).toEqual(DEFAULT_UPSTREAM.oauth.scopes);
    expect(q.get("scope")).toContain("https://www.googleapis.com/auth/cclog");
  });
  test("no login_hint unless given", () => {
    const url = new URL(
      buildAuthorizeUrl({ oauth: DEFAULT_UPSTREAM.oauth, redirectUri: "http://localhost/cb", state: "s", challenge: "c" }),
    );
    expect(url.searchParams.has("login_hint")).toBe(false);
  });
});

describe("readOAuthCallback", () => {
  test("code and state, or error", () => {
    expect(readOAuthCallback("http://localhost:51121/oauth-callback?code=4%2Fabc&state=s1")).toEqual({
      code: "4/abc",
      state: "s1",
    });
    expect(readOAuthCallback("http://localhost:51121/oauth-callback?error=access_denied&state=s1")).toEqual({
      error: "access_denied",
      state: "s1",
    });
  });
});

describe("defaults", () => {
  test("daily host first, real Google endpoints, the Antigravity installed-app client", () => {
    expect(DEFAULT_UPSTREAM.hosts).toEqual([
      "https://daily-cloudcode-pa.googleapis.com",
      "https://cloudcode-pa.googleapis.com",
    ]);
    expect(DEFAULT_UPSTREAM.oauth.tokenUrl).toBe("https://oauth2.googleapis.com/token");
    expect(DEFAULT_UPSTREAM.oauth.userinfoUrl).toBe("https://www.googleapis.com/oauth2/v1/userinfo");
    expect(DEFAULT_UPSTREAM.oauth.clientId).toStartWith("1071006060591-");
    expect(DEFAULT_UPSTREAM.oauth.clientId).toEndWith(".apps.googleusercontent.com");
    expect(DEFAULT_UPSTREAM.oauth.clientSecret).toStartWith("GOCSPX-");
    // agy's form and version as captured; os/arch are this machine's, filled in when the UA is built.
    expect(DEFAULT_UPSTREAM.identity).toMatchObject({ family: "cli", version: "1.2.0", changelist: "978750357", userAgent: "", headers: {} });
    expect(userAgentOf({ ...DEFAULT_UPSTREAM.identity, os: "linux", arch: "amd64" })).toBe(
      "antigravity/cli/1.2.0 (aidev_client; os_type=linux; arch=amd64; cl=978750357; auth_method=consumer)",
    );
  });
});
