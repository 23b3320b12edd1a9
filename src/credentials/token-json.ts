/**
 * The JSON shapes Google sign-ins are saved in by the programs agcp imports from:
 * - agy and the desktop app ≥ 2.0 (go-keyring item, agy's token file):
 *   `{"token":{"access_token","token_type","refresh_token","expiry"},"auth_method":"consumer","id_token"?}`,
 *   in the macOS keychain prefixed `go-keyring-base64:` and base64-encoded;
 * - Gemini CLI's `~/.gemini/oauth_creds.json` (agy's fallback without a keyring):
 *   `{"access_token","refresh_token","token_type","expiry_date","id_token"}`;
 * - agcp's own `accounts export` document.
 */
import { readIdToken } from "./id-token.ts";
import { CredentialError, type FoundCredential } from "./types.ts";
import { EXPORT_FORMAT, readExportDocument } from "./export.ts";

const KEYRING_BASE64 = "go-keyring-base64:";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === "string" && v.trim() ? v.trim() : undefined;
}

/** Undoes the go-keyring base64 wrapping when present. */
export function unwrapKeyringValue(text: string): string {
  const trimmed = text.trim();
  if (!trimmed.startsWith(KEYRING_BASE64)) return trimmed;
  return Buffer.from(trimmed.slice(KEYRING_BASE64.length), "base64").toString("utf8");
}

/** One sign-in from a token object (either layout); throws CredentialError when it has no refresh token. */
function fromTokenObject(doc: Record<string, unknown>, origin: string): FoundCredential {
  const inner = isRecord(doc.token) ? doc.token : doc;
  const refreshToken = str(inner.refresh_token) ?? str(inner.refreshToken);
  if (!refreshToken) {
    throw new CredentialError(
      `${origin} holds no refresh token (only a short-lived access token); sign in with \`agcp accounts add\` instead.`,
    );
  }
  const claims = readIdToken(doc.id_token ?? inner.id_token);
  return {
    refreshToken,
    origin,
    ...(claims.email && { email: claims.email }),
    ...(claims.aud && { clientId: claims.aud }),
  };
}

/** Every sign-in in a saved JSON text; throws CredentialError with a reason when there is none. */
export function readTokenJson(text: string, origin: string): FoundCredential[] {
  let doc: unknown;
  try {
    doc = JSON.parse(unwrapKeyringValue(text));
  } catch {
    throw new CredentialError(`${origin} is not JSON (nor go-keyring-base64 JSON).`);
  }
  if (!isRecord(doc)) throw new CredentialError(`${origin} is not a JSON object.`);
  if (doc.format === EXPORT_FORMAT) return readExportDocument(doc, origin);
  return [fromTokenObject(doc, origin)];
}
