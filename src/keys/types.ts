/**
 * Client API keys: who may send requests through the pool, and how much. A key's secret is shown
 * once when it is made; only its SHA-256 is stored. The public `id` is part of the secret, so a
 * presented key is found without comparing it against every stored hash.
 */

/** The two quota pools upstream meters separately (see src/google/quota-pools.ts). */
export type KeyPool = "gemini" | "claude";

/** A budget for all models together, or per pool (a pool left out is not limited). */
export type Budget = number | Partial<Record<KeyPool, number>>;

export interface KeyLimits {
  /** Globs (`*` = any run) matched against the model the client asked for and the upstream id. */
  models?: string[];
  /** Requests started in any sliding 60 s. */
  rpm?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Requests served per UTC day. */
  requestsPerDay?: Budget;
  /** Input + output tokens per UTC day. */
  tokensPerDay?: Budget;
  /** At most this fraction (0..1) of each quota window of a pool may be spent by this key. */
  poolShare?: number;
}

export interface ClientKey {
  /** Public, random; appears in the secret as `agcp-<id>-…`. */
  id: string;
  /** Unique, user-chosen; what logs, metrics and the console show. */
  name: string;
  /** SHA-256 (hex) of the whole secret. */
  hash: string;
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
  limits: KeyLimits;
}

/** Who sent a request, as the server's auth step decided. */
export type Caller =
  | { role: "admin" }
  /** No key configured at all: loopback-only behaviour, as before keys existed. */
  | { role: "open" }
  | { role: "client"; key: ClientKey };

/** A key as listed (never the hash). */
export interface KeyView {
  id: string;
  name: string;
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
  status: "active" | "expired" | "revoked";
  limits: KeyLimits;
}

export function keyStatus(key: ClientKey, now: number): KeyView["status"] {
  if (key.revokedAt !== undefined) return "revoked";
  if (key.expiresAt !== undefined && key.expiresAt <= now) return "expired";
  return "active";
}

export function viewOf(key: ClientKey, now: number): KeyView {
  const { hash: _hash, ...rest } = key;
  return { ...rest, status: keyStatus(key, now) };
}
