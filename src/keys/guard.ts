/**
 * Client keys on the request path: who is calling (admin, a client key, or nobody when no key is
 * configured), whether a client key may start this request now, and what it used. Keys are
 * cached in memory and read again when any instance (or the CLI) changes them.
 */
import { randomUUID } from "node:crypto";
import { ApiError } from "../anthropic/errors.ts";
import type { AgcpMetrics } from "../metrics/agcp-metrics.ts";
import type { StateLog } from "../state/types.ts";
import type { KeyStore } from "../state/client-keys.ts";
import type { UsageRecorder } from "../server/usage-history.ts";
import { checkPoolShare, modelAllowed, type Refusal } from "./limits.ts";
import type { KeyLimiter, Lease } from "./local-limiter.ts";
import { hashSecret, idOfSecret, secretMatches } from "./secret.ts";
import { keyStatus, type Caller, type ClientKey, type KeyPool } from "./types.ts";

export interface KeyGuardOptions {
  keys: KeyStore;
  limiter: KeyLimiter;
  /** Where usage per key per hour goes (series `key:<id>`). */
  usage: UsageRecorder;
  /** True when limits hold across instances right now (Redis connected). */
  shared: () => boolean;
  /** The admin key (config `apiKey`); undefined when none is set. */
  adminKey: string | undefined;
  metrics: AgcpMetrics;
  log: StateLog;
  now?: () => number;
  /** The pool a model id is metered in. */
  poolOf: (modelId: string) => KeyPool;
  /** For pool shares: per window, how much of the pool is used and how many requests it served. */
  poolWindows?: (pool: KeyPool) => Array<{ window: string; usedFraction: number; resetAt?: number; since: number }>;
}

/** One admitted request of a client key; hand it back through `settle`. */
export interface Ticket {
  key: ClientKey;
  lease: Lease;
}

export interface KeyGuard {
  /**
   * Who is calling, for a route of this scope ("proxy": the API doors; "admin": console data,
   * /api, /metrics). Throws a 401 ApiError for a missing, wrong, revoked or expired key where a
   * key is needed, and a 403 for a client key on an admin route.
   */
  identify(presented: string | undefined, scope: "proxy" | "admin"): Caller;
  /** True when a key is configured at all (admin or client): anonymous calls are then refused. */
  required(): boolean;
  /** Checks the key's model list and limits and takes one request; throws a 403/429 ApiError in the client's terms. */
  admit(caller: Caller | undefined, model: { requested: string; upstream: string }): Promise<Ticket | undefined>;
  /** Gives the request back: `served` false refunds it from the daily budget. */
  settle(ticket: Ticket | undefined, served: boolean): void;
  /** Counts a finished request (any outcome) and its tokens against the key. */
  record(caller: Caller | undefined, r: { ok: boolean; inputTokens?: number; outputTokens?: number; upstreamModel?: string }): void;
  /** Re-reads the keys (after a change elsewhere). */
  reload(): Promise<void>;
  list(): ClientKey[];
}

export async function createKeyGuard(opts: KeyGuardOptions): Promise<KeyGuard> {
  const now = opts.now ?? Date.now;
  const adminHash = opts.adminKey ? hashSecret(opts.adminKey) : undefined;
  let byId = new Map<string, ClientKey>();
  /** Requests this process served per key and pool since the window started (pool shares). */
  const shareCounts = new Map<string, { since: number; n: number }>();
  /**
   * The pool's windows as counting sees them, re-read at most once a second: counting runs on
   * every request and reading them walks every account, while a window starts anew only at a
   * reset. Admission (a key with a pool share) always reads them fresh.
   */
  const countingWindows = new Map<KeyPool, { at: number; windows: Array<{ window: string; since: number }> }>();
  const windowsToCount = (pool: KeyPool) => {
    const t = now();
    const cached = countingWindows.get(pool);
    if (cached && t >= cached.at && t - cached.at < 1_000) return cached.windows;
    const windows = opts.poolWindows?.(pool) ?? [];
    countingWindows.set(pool, { at: t, windows });
    return windows;
  };

  const load = async () => {
    const keys = await opts.keys.list();
    byId = new Map(keys.map((k) => [k.id, k]));
  };
  await load().catch((err: Error) => opts.log.warn(`Could not read client keys: ${err.message}; only the admin key works until they can be read.`));

  const refuse = (key: ClientKey, r: Refusal): never => {
    opts.metrics.keyRefusals.inc({ key: key.name, limit: r.limit });
    const local = opts.shared() ? "" : " (enforced by this instance alone while the shared store is away)";
    const headers = { "retry-after": String(Math.max(1, Math.ceil(r.retryAfterMs / 1000))), "x-agcp-key-limit": r.limit };
    throw new ApiError("rate_limit_error", `${r.message}${local}`, { headers });
  };

  return {
    identify(presented, scope) {
      if (presented !== undefined && adminHash !== undefined && secretMatches(presented, adminHash)) return { role: "admin" };
      const id = presented === undefined ? undefined : idOfSecret(presented);
      const key = id === undefined ? undefined : byId.get(id);
      if (key && presented !== undefined && secretMatches(presented, key.hash)) {
        if (scope === "admin") {
          throw new ApiError("permission_error", `Key "${key.name}" is a client key; the console, /api and /metrics take the admin key (apiKey).`);
        }
        const status = keyStatus(key, now());
        if (status === "revoked") throw new ApiError("authentication_error", `Key "${key.name}" was revoked.`);
        if (status === "expired") throw new ApiError("authentication_error", `Key "${key.name}" expired at ${new Date(key.expiresAt as number).toISOString()}.`);
        return { role: "client", key };
      }
      // No admin key: management stays as before keys existed (open, and agcp then binds loopback only).
      // No key at all: the doors are open too.
      if (adminHash === undefined && (scope === "admin" || byId.size === 0)) return { role: "open" };
      if (presented === undefined) throw new ApiError("authentication_error", "Missing API key: send it in x-api-key or Authorization: Bearer.");
      throw new ApiError("authentication_error", "Invalid API key.");
    },

    required: () => adminHash !== undefined || byId.size > 0,

    async admit(caller, model) {
      if (caller?.role !== "client") return undefined;
      // The cached copy may be older than a revoke that just happened elsewhere: use the latest.
      const key = byId.get(caller.key.id) ?? caller.key;
      if (keyStatus(key, now()) !== "active") throw new ApiError("authentication_error", `Key "${key.name}" is ${keyStatus(key, now())}.`);
      if (!modelAllowed(key.limits, [model.requested, model.upstream])) {
        opts.metrics.keyRefusals.inc({ key: key.name, limit: "models" });
        throw new ApiError("permission_error", `Key "${key.name}" may not use ${model.requested}; it may use: ${(key.limits.models ?? []).join(", ")}.`);
      }
      const pool = opts.poolOf(model.upstream);
      if (key.limits.poolShare !== undefined && opts.poolWindows) {
        const t = now();
        const windows = opts.poolWindows(pool).map((w) => {
          const all = shareCounts.get(`*:${pool}:${w.window}`);
          const mine = shareCounts.get(`${key.id}:${pool}:${w.window}`);
          return { ...w, keyRequests: mine?.since === w.since ? mine.n : 0, allRequests: all?.since === w.since ? all.n : 0 };
        });
        const r = checkPoolShare(key.name, key.limits.poolShare, pool, windows, t);
        if (r) refuse(key, r);
      }
      const admission = await opts.limiter.admit({ keyId: key.id, name: key.name, limits: key.limits, pool, leaseId: randomUUID(), now: now() });
      if (!admission.ok) return refuse(key, admission);
      return { key, lease: admission.lease };
    },

    settle(ticket, served) {
      if (!ticket) return;
      opts.limiter.settle(ticket.lease, { served, tokens: 0 }, now()).catch((err: Error) => opts.log.debug(`[keys] settle: ${err.message}`));
    },

    record(caller, r) {
      const pool = r.ok && r.upstreamModel ? opts.poolOf(r.upstreamModel) : undefined;
      if (pool && opts.poolWindows) countShare(shareCounts, caller?.role === "client" ? caller.key.id : undefined, pool, windowsToCount(pool));
      if (caller?.role !== "client") return;
      const key = caller.key;
      const tokens = (r.inputTokens ?? 0) + (r.outputTokens ?? 0);
      opts.metrics.keyRequests.inc({ key: key.name, outcome: r.ok ? "ok" : "error" });
      if (r.inputTokens) opts.metrics.keyTokens.inc({ key: key.name, direction: "input" }, r.inputTokens);
      if (r.outputTokens) opts.metrics.keyTokens.inc({ key: key.name, direction: "output" }, r.outputTokens);
      opts.usage.note(`key:${key.id}`, { requests: 1, inputTokens: r.inputTokens ?? 0, outputTokens: r.outputTokens ?? 0, errors: r.ok ? 0 : 1 });
      if (pool && tokens > 0) opts.limiter.charge(key.id, pool, tokens, now()).catch((err: Error) => opts.log.debug(`[keys] charge: ${err.message}`));
    },

    reload: load,
    list: () => [...byId.values()],
  };
}

/**
 * Requests served from each pool window since it started: all callers under "*", and each client
 * key under its id. Counted in this process; with several instances each sees its own share of
 * the traffic, which is the same ratio on average.
 */
function countShare(counts: Map<string, { since: number; n: number }>, keyId: string | undefined, pool: KeyPool, windows: Array<{ window: string; since: number }>): void {
  for (const w of windows) {
    for (const who of keyId ? ["*", keyId] : ["*"]) {
      const id = `${who}:${pool}:${w.window}`;
      let c = counts.get(id);
      if (!c || c.since !== w.since) counts.set(id, (c = { since: w.since, n: 0 }));
      c.n++;
    }
  }
}
