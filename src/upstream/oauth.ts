/**
 * The installed-app OAuth flow with PKCE (RFC 7636): agcp opens Google's consent page, receives
 * the code on a loopback callback and trades it (with the verifier) for a refresh token.
 */
import { createHash } from "node:crypto";
import type { UpstreamOAuthOptions } from "./options.ts";

export interface Pkce {
  verifier: string;
  /** base64url(SHA-256(verifier)), sent as code_challenge with method S256. */
  challenge: string;
}

export type RandomBytes = (length: number) => Uint8Array;

const cryptoRandom: RandomBytes = (length) => crypto.getRandomValues(new Uint8Array(length));

export function base64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

export function pkceChallenge(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** 32 random bytes give a 43-character verifier, the shortest RFC 7636 allows and plenty of entropy. */
export function createPkce(random: RandomBytes = cryptoRandom): Pkce {
  const verifier = base64Url(random(32));
  return { verifier, challenge: pkceChallenge(verifier) };
}

/** An unguessable `state` that ties the callback to the login we started. */
export function createOAuthState(random: RandomBytes = cryptoRandom): string {
  return base64Url(random(16));
}

export interface AuthorizeUrlInput {
  oauth: Pick<UpstreamOAuthOptions, "authorizeUrl" | "clientId" | "scopes">;
  redirectUri: string;
  state: string;
  challenge: string;
  loginHint?: string;
}

export function buildAuthorizeUrl(input: AuthorizeUrlInput): string {
  const url = new URL(input.oauth.authorizeUrl);
  const params: Record<string, string> = {
    client_id: input.oauth.clientId,
    redirect_uri: input.redirectUri,
    response_type: "code",
    scope: input.oauth.scopes.join(" "),
    // offline + consent: without both Google may withhold the refresh token on a repeat login.
    access_type: "offline",
    prompt: "consent",
    code_challenge: input.challenge,
    code_challenge_method: "S256",
    state: input.state,
  };
  if (input.loginHint) params.login_hint = input.loginHint;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}

export interface OAuthCallback {
  code?: string;
  state?: string;
  /** Google's error word when the user declined or something failed. */
  error?: string;
}

/** Reads the loopback callback's query string. */
export function readOAuthCallback(url: string | URL): OAuthCallback {
  const params = new URL(url).searchParams;
  const pick = (key: string) => params.get(key) ?? undefined;
  const out: OAuthCallback = {};
  const code = pick("code");
  const state = pick("state");
  const error = pick("error");
  if (code) out.code = code;
  if (state) out.state = state;
  if (error) out.error = error;
  return out;
}
