/**
 * Where each fact lives. Keys use unstorage's ":" separator; the fs driver turns them into
 * folders, Redis keeps them under the configured prefix. Account ids are user-chosen labels
 * (often e-mails), so they are escaped to characters that are safe in file names and keys.
 */

export const SETTINGS_KEY = "settings";
export const ACCOUNTS_KEY = "accounts";
export const CLIENT_KEYS_KEY = "client-keys";
export const USAGE_KEY = "usage";
export const POOL_BASE = "pool";

/** Marker put into the name of an entry moved out of the way because it could not be read. */
export const CORRUPT_MARK = ".corrupt-";

const SAFE = /^[A-Za-z0-9@._+-]$/;

/** Escapes everything outside a small safe set as %XX (UTF-8), and a leading dot too. */
export function encodeId(id: string): string {
  let out = "";
  for (const ch of id) {
    if (SAFE.test(ch)) out += ch;
    else for (const byte of new TextEncoder().encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out.startsWith(".") ? `%2E${out.slice(1)}` : out;
}

export function decodeId(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

export function poolKey(id: string): string {
  return `${POOL_BASE}:${encodeId(id)}`;
}

/** The account id a pool key stands for, or undefined for keys that are not account states. */
export function idFromPoolKey(key: string): string | undefined {
  const prefix = `${POOL_BASE}:`;
  if (!key.startsWith(prefix) || key.includes(CORRUPT_MARK)) return undefined;
  const rest = key.slice(prefix.length);
  if (rest.length === 0 || rest.includes(":")) return undefined;
  return decodeId(rest);
}

/** A file- and key-safe timestamp for names of moved-aside entries: 2026-01-02T03-04-05-678Z. */
export function stamp(now: number): string {
  return new Date(now).toISOString().replace(/[:.]/g, "-");
}
