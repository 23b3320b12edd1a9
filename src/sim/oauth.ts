import { createHash, randomBytes } from "node:crypto";
import { authenticate, countRequest, type SimContext } from "./http.ts";
import { shortHash, type SimAccount } from "./state.ts";

/** Google's OAuth endpoints as the installed-app flow (PKCE, S256) uses them. */

const DEFAULT_SCOPE = [
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/userinfo.email",
  "https://www.googleapis.com/auth/userinfo.profile",
].join(" ");
const REQUIRED_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
const CODE_TTL_MS = 10 * 60_000;
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;

function oauthError(status: number, error: string, description?: string): Response {
  return Response.json(description ? { error, error_description: description } : { error }, { status });
}

async function readParams(req: Request): Promise<URLSearchParams> {
  const type = req.headers.get("content-type") ?? "";
  const text = await req.text();
  if (type.includes("application/json")) {
    try {
      const value: unknown = JSON.parse(text);
      const params = new URLSearchParams();
      if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) if (typeof v === "string") params.set(k, v);
      }
      return params;
    } catch {
      return new URLSearchParams();
    }
  }
  return new URLSearchParams(text);
}

/** Client credentials from the form or HTTP Basic; null when they match what the sim was told to expect. */
function clientProblem(ctx: SimContext, params: URLSearchParams): Response | null {
  const { clientId, clientSecret } = ctx.state.config;
  let id = params.get("client_id");
  let secret = params.get("client_secret");
  const basic = /^Basic\s+(\S+)$/i.exec(ctx.req.headers.get("authorization") ?? "");
  if (basic?.[1]) {
    const [u, p] = Buffer.from(basic[1], "base64").toString().split(":");
    id ??= u ? decodeURIComponent(u) : null;
    secret ??= p ? decodeURIComponent(p) : null;
  }
  if ((clientId !== undefined && id !== clientId) || (clientSecret !== undefined && secret !== clientSecret)) {
    return oauthError(401, "invalid_client", "The OAuth client was not found.");
  }
  return null;
}

export async function handleToken(ctx: SimContext): Promise<Response> {
  const params = await readParams(ctx.req);
  const badClient = clientProblem(ctx, params);
  if (badClient) return badClient;
  switch (params.get("grant_type")) {
    case "refresh_token":
      return refreshGrant(ctx, params);
    case "authorization_code":
      return codeGrant(ctx, params);
    default:
      return oauthError(400, "unsupported_grant_type", "Invalid grant_type: " + (params.get("grant_type") ?? ""));
  }
}

function refreshGrant(ctx: SimContext, params: URLSearchParams): Response {
  const refreshToken = params.get("refresh_token");
  if (!refreshToken) return oauthError(400, "invalid_request", "Missing required parameter: refresh_token");
  const account = ctx.state.findByRefreshToken(refreshToken);
  if (!account || account.revoked) {
    if (account) countRequest(account, "token");
    else ctx.state.unattributed++;
    return oauthError(400, "invalid_grant", "Token has been expired or revoked.");
  }
  countRequest(account, "token");
  const { token, expiresIn } = ctx.state.issueAccessToken(account);
  return Response.json({ access_token: token, expires_in: expiresIn, scope: DEFAULT_SCOPE, token_type: "Bearer" });
}

function codeGrant(ctx: SimContext, params: URLSearchParams): Response {
  const { state } = ctx;
  const code = params.get("code");
  if (!code) return oauthError(400, "invalid_request", "Missing required parameter: code");
  const grant = state.authCodes.get(code);
  // Codes are single use, whatever the outcome.
  state.authCodes.delete(code);
  if (!grant || state.now > grant.expiresAt) return oauthError(400, "invalid_grant", "Malformed auth code.");
  const clientId = params.get("client_id");
  if (clientId !== null && clientId !== grant.clientId) return oauthError(400, "invalid_grant", "Unauthorized client for this code.");
  if (params.get("redirect_uri") !== grant.redirectUri) return oauthError(400, "redirect_uri_mismatch", "Bad Request");
  const verifier = params.get("code_verifier");
  if (!verifier) return oauthError(400, "invalid_grant", "Missing code verifier.");
  if (!PKCE_VALUE.test(verifier) || s256(verifier) !== grant.codeChallenge) {
    return oauthError(400, "invalid_grant", "Invalid code verifier.");
  }

  let account = state.accounts.get(grant.email);
  if (!account) {
    account = state.addAccount({ email: grant.email, refreshToken: newRefreshToken() });
  } else if (account.revoked) {
    // Re-consent after revocation yields a fresh, working refresh token.
    account.revoked = false;
    account.refreshToken = newRefreshToken();
  }
  countRequest(account, "token");
  const { token, expiresIn } = state.issueAccessToken(account);
  return Response.json({
    access_token: token,
    expires_in: expiresIn,
    refresh_token: account.refreshToken,
    scope: grant.scope,
    token_type: "Bearer",
    id_token: idToken(account, grant.clientId, state.now),
  });
}

function s256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

function newRefreshToken(): string {
  return `sim-refresh-${randomBytes(16).toString("hex")}`;
}

export function googleUserId(email: string): string {
  return BigInt(`0x${shortHash(email, 15)}`).toString().padStart(21, "1").slice(0, 21);
}

/** An unsigned JWT carrying the email: enough for clients that only decode it. */
function idToken(account: SimAccount, clientId: string, now: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const iat = Math.floor(now / 1000);
  const claims = {
    iss: "https://accounts.google.com",
    aud: clientId,
    sub: googleUserId(account.email),
    email: account.email,
    email_verified: true,
    iat,
    exp: iat + 3600,
  };
  return `${part({ alg: "none", typ: "JWT" })}.${part(claims)}.`;
}

/** Auto-approving consent screen: checks the request like Google would, then redirects with a code. */
export function handleAuthorize(ctx: SimContext): Response {
  const { state, url } = ctx;
  const q = url.searchParams;
  const clientId = q.get("client_id");
  if (!clientId || (state.config.clientId !== undefined && clientId !== state.config.clientId)) {
    return oauthError(401, "invalid_client", "The OAuth client was not found.");
  }
  const redirectUri = q.get("redirect_uri");
  if (!redirectUri || !isLoopbackRedirect(redirectUri)) {
    return oauthError(400, "redirect_uri_mismatch", "redirect_uri must be a loopback http URL for installed apps.");
  }
  if (q.get("response_type") !== "code") return oauthError(400, "unsupported_response_type", "response_type must be code.");
  const challenge = q.get("code_challenge");
  if (!challenge || !PKCE_VALUE.test(challenge)) return oauthError(400, "invalid_request", "Missing or malformed code_challenge.");
  if (q.get("code_challenge_method") !== "S256") return oauthError(400, "invalid_request", "code_challenge_method must be S256.");
  const stateParam = q.get("state");
  if (!stateParam) return oauthError(400, "invalid_request", "Missing required parameter: state");
  const scope = q.get("scope") ?? "";
  if (!scope.split(/\s+/).includes(REQUIRED_SCOPE)) {
    return oauthError(400, "invalid_scope", `Missing required scope ${REQUIRED_SCOPE}.`);
  }

  const email = q.get("login_hint") || state.nextGeneratedEmail();
  const code = `4/sim-${randomBytes(18).toString("base64url")}`;
  state.authCodes.set(code, { email, clientId, redirectUri, codeChallenge: challenge, scope, expiresAt: state.now + CODE_TTL_MS });
  const target = new URL(redirectUri);
  target.searchParams.set("state", stateParam);
  target.searchParams.set("code", code);
  target.searchParams.set("scope", scope);
  return new Response(null, { status: 302, headers: { location: target.toString() } });
}

function isLoopbackRedirect(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(u.hostname);
  } catch {
    return false;
  }
}

export function handleUserinfo(ctx: SimContext): Response {
  const auth = authenticate(ctx);
  if ("response" in auth) return auth.response;
  const { account } = auth;
  countRequest(account, "userinfo");
  const local = account.email.split("@")[0] ?? account.email;
  return Response.json({
    id: googleUserId(account.email),
    email: account.email,
    verified_email: true,
    name: local.charAt(0).toUpperCase() + local.slice(1),
    given_name: local,
    picture: `https://lh3.googleusercontent.com/a/sim-${shortHash(account.email)}`,
  });
}
