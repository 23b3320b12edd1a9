// Builders for the files and keyring values other programs leave behind, in their documented shapes.
import { Database } from "bun:sqlite";
import { encodeProto } from "../../src/credentials/protobuf.ts";

/** An unsigned JWT like the ones agy stores next to its tokens (agcp only reads the payload). */
export function idToken(claims: Record<string, unknown>): string {
  const part = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${part({ alg: "RS256", kid: "x" })}.${part(claims)}.c2ln`;
}

/** agy's token file / the go-keyring item: `{"token":{…},"auth_method":"consumer"}`. */
export function agyTokenJson(refreshToken: string, email?: string, aud?: string): string {
  return JSON.stringify({
    token: { access_token: "ya29.stale", token_type: "Bearer", refresh_token: refreshToken, expiry: "2026-10-03T21:16:36.740624162-04:00" },
    auth_method: "consumer",
    ...(email && { id_token: idToken({ email, ...(aud && { aud }) }) }),
  });
}

export function keyringBase64(json: string): string {
  return `go-keyring-base64:${Buffer.from(json).toString("base64")}`;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** A unified-state topic value as the desktop app ≥ 1.16.5 writes it. */
function topic(sentinel: string, payload: Uint8Array): string {
  const row = encodeProto([[1, b64(payload)]]);
  const entry = encodeProto([[1, sentinel], [2, row]]);
  return b64(encodeProto([[1, entry]]));
}

export function writeVscdb(path: string, items: Record<string, string>): void {
  const db = new Database(path, { create: true });
  db.run("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)");
  for (const [k, v] of Object.entries(items)) db.run("INSERT INTO ItemTable (key, value) VALUES (?, ?)", [k, v]);
  db.close();
}

export function unifiedItems(refreshToken: string, email?: string): Record<string, string> {
  const oauthInfo = encodeProto([[1, "ya29.stale"], [2, "Bearer"], [3, refreshToken], [4, encodeProto([[1, 1783058966]])], [6, 0]]);
  return {
    "antigravityUnifiedStateSync.oauthToken": topic("oauthTokenInfoSentinelKey", oauthInfo),
    ...(email && { "antigravityUnifiedStateSync.userStatus": topic("userStatusSentinelKey", encodeProto([[3, email], [7, email]])) }),
    "storage.serviceMachineId": "0b5e6c1f-machine",
  };
}

export function jetskiItems(refreshToken: string): Record<string, string> {
  const oauth = encodeProto([[1, "ya29.stale"], [2, "Bearer"], [3, refreshToken]]);
  return { "jetskiStateSync.agentManagerInitState": b64(encodeProto([[1, "x"], [6, oauth]])) };
}
