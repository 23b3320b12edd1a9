/**
 * The claims of an OpenID id_token, read without verifying its signature: agcp only uses it to
 * name an account it is about to verify with a real token refresh anyway.
 */
export interface IdTokenClaims {
  email?: string;
  aud?: string;
}

export function readIdToken(token: unknown): IdTokenClaims {
  if (typeof token !== "string") return {};
  const payload = token.split(".")[1];
  if (!payload) return {};
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    if (!claims || typeof claims !== "object") return {};
    const { email, aud } = claims as Record<string, unknown>;
    return {
      ...(typeof email === "string" && email.includes("@") && { email }),
      ...(typeof aud === "string" && aud && { aud }),
    };
  } catch {
    return {};
  }
}
