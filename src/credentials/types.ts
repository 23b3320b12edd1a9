/**
 * A Google sign-in found somewhere another program (or an earlier agcp) left it. Only the refresh
 * token matters for agcp; the rest helps name the account without an extra upstream call.
 */
export interface FoundCredential {
  refreshToken: string;
  /** Where it came from, for messages (a path or "Secret Service"), never the token. */
  origin: string;
  email?: string;
  /** The OAuth client the token was issued to (an id_token's `aud`), when known. */
  clientId?: string;
  label?: string;
  projectId?: string;
  enabled?: boolean;
}

/** Something was there but cannot be imported; the message says why and what to do. */
export class CredentialError extends Error {
  override readonly name = "CredentialError";
}
