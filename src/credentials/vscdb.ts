/**
 * Antigravity desktop builds before 2.0 (the VS Code fork) kept the sign-in in SQLite,
 * `User/globalStorage/state.vscdb`, table `ItemTable(key, value)`. Three layouts over time:
 * - ≥ 1.16.5: `antigravityUnifiedStateSync.oauthToken`, base64 protobuf: a topic whose entry
 *   (field 1) pairs the key `oauthTokenInfoSentinelKey` (1) with a row (2) whose field 1 is the
 *   base64 OAuthInfo message (field 3 = refresh token). `…userStatus` has the e-mail the same way.
 * - < 1.16.5: `jetskiStateSync.agentManagerInitState`, base64 protobuf, field 6 = OAuth info,
 *   whose field 3 is the refresh token.
 * - oldest: `antigravityAuthStatus`, JSON with only an access token (`apiKey`): not importable.
 */
import { Database } from "bun:sqlite";
import { bytesField, stringField, tryDecodeProto, type ProtoFields } from "./protobuf.ts";
import { CredentialError, type FoundCredential } from "./types.ts";

export const UNIFIED_OAUTH_KEY = "antigravityUnifiedStateSync.oauthToken";
export const UNIFIED_USER_STATUS_KEY = "antigravityUnifiedStateSync.userStatus";
export const JETSKI_INIT_KEY = "jetskiStateSync.agentManagerInitState";
export const AUTH_STATUS_KEY = "antigravityAuthStatus";
const OAUTH_SENTINEL = "oauthTokenInfoSentinelKey";
const USER_STATUS_SENTINEL = "userStatusSentinelKey";

function base64Bytes(text: string | undefined): Uint8Array | undefined {
  if (!text || !/^[A-Za-z0-9+/=_-]+$/.test(text.trim())) return undefined;
  return Buffer.from(text.trim(), "base64");
}

/** The payload message stored under `sentinel` in a unified-state topic value. */
function topicPayload(value: string | undefined, sentinel: string): ProtoFields | undefined {
  const topic = tryDecodeProto(base64Bytes(value));
  for (const entry of topic?.get(1) ?? []) {
    if (entry.wire !== 2) continue;
    const fields = tryDecodeProto(entry.bytes);
    if (!fields || stringField(fields, 1) !== sentinel) continue;
    const row = tryDecodeProto(bytesField(fields, 2));
    const payload = row && tryDecodeProto(base64Bytes(stringField(row, 1)));
    if (payload) return payload;
  }
  return undefined;
}

function emailIn(fields: ProtoFields | undefined): string | undefined {
  for (const n of [3, 7]) {
    const s = fields && stringField(fields, n);
    if (s?.includes("@")) return s;
  }
  return undefined;
}

/** The refresh token in an ItemTable snapshot (key → value), with the e-mail when it is there. */
export function readVscdbItems(items: ReadonlyMap<string, string>, origin: string): FoundCredential {
  const email = emailIn(topicPayload(items.get(UNIFIED_USER_STATUS_KEY), USER_STATUS_SENTINEL));
  const withEmail = (refreshToken: string): FoundCredential => ({ refreshToken, origin, ...(email && { email }) });

  const unified = topicPayload(items.get(UNIFIED_OAUTH_KEY), OAUTH_SENTINEL);
  const unifiedToken = unified && stringField(unified, 3);
  if (unifiedToken) return withEmail(unifiedToken);

  const jetski = tryDecodeProto(base64Bytes(items.get(JETSKI_INIT_KEY)));
  const oauthInfo = jetski && tryDecodeProto(bytesField(jetski, 6));
  const jetskiToken = oauthInfo && stringField(oauthInfo, 3);
  if (jetskiToken) return withEmail(jetskiToken);

  if (items.has(AUTH_STATUS_KEY)) {
    throw new CredentialError(
      `${origin} is from an Antigravity build that kept only a short-lived access token; sign in with \`agcp accounts add\` instead.`,
    );
  }
  throw new CredentialError(`${origin} holds no Antigravity sign-in (signed out, or a desktop app ≥ 2.0 that keeps it in the OS keyring: try \`agcp accounts import keyring\`).`);
}

export function readVscdb(path: string): FoundCredential {
  let db: Database;
  try {
    db = new Database(path, { readonly: true });
  } catch (error) {
    throw new CredentialError(`Cannot open ${path} as SQLite: ${(error as Error).message}`);
  }
  try {
    const keys = [UNIFIED_OAUTH_KEY, UNIFIED_USER_STATUS_KEY, JETSKI_INIT_KEY, AUTH_STATUS_KEY];
    const rows = db
      .query(`SELECT key, value FROM ItemTable WHERE key IN (${keys.map(() => "?").join(",")})`)
      .all(...keys) as Array<{ key: string; value: unknown }>;
    const items = new Map<string, string>();
    for (const row of rows) {
      const value = typeof row.value === "string" ? row.value : row.value instanceof Uint8Array ? new TextDecoder().decode(row.value) : undefined;
      if (value !== undefined) items.set(row.key, value);
    }
    return readVscdbItems(items, path);
  } catch (error) {
    if (error instanceof CredentialError) throw error;
    throw new CredentialError(`${path} is not an Antigravity state database: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}
