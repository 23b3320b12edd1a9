/** Creating account states, and reading persisted ones back without trusting their shape. */
import { initialBucket } from "./bucket.ts";
import { initialHealth } from "./health.ts";
import type { PoolTuning } from "./tuning.ts";
import type { AccountConfigLike, AccountState, Cooldown, InvalidFlag, QuotaEntry } from "./types.ts";
import type { UpstreamErrorKind } from "../upstream/errors.ts";

export function newAccountState(cfg: AccountConfigLike, now: number, tuning: PoolTuning): AccountState {
  const s: AccountState = {
    id: cfg.id,
    label: cfg.label ?? cfg.id,
    enabled: cfg.enabled ?? true,
    health: initialHealth(now, tuning.health),
    bucket: initialBucket(now, tuning.bucket),
    lastUsedAt: 0,
    consecutiveFailures: 0,
    cooldowns: {},
    quota: {},
  };
  if (cfg.tier !== undefined) s.tier = cfg.tier;
  if (cfg.floors !== undefined) s.floors = cfg.floors;
  return s;
}

type Loose = Record<string, unknown>;
const isObj = (v: unknown): v is Loose => typeof v === "object" && v !== null && !Array.isArray(v);
const num = (v: unknown, fallback: number): number => (typeof v === "number" && Number.isFinite(v) ? v : fallback);
const INVALID_KINDS = new Set(["auth_revoked", "verification_required", "banned"]);

function readCooldown(v: unknown): Cooldown | undefined {
  if (!isObj(v) || typeof v.until !== "number" || !Number.isFinite(v.until) || typeof v.reason !== "string") return undefined;
  const c: Cooldown = {
    until: v.until,
    reason: v.reason as UpstreamErrorKind,
    hits: num(v.hits, 0),
    since: num(v.since, v.until),
    last429At: num(v.last429At, 0),
  };
  if (typeof v.checkedAt === "number" && Number.isFinite(v.checkedAt)) c.checkedAt = v.checkedAt;
  if (v.window === "5h" || v.window === "weekly") c.window = v.window;
  return c;
}

function readQuota(v: unknown): QuotaEntry | undefined {
  if (!isObj(v) || typeof v.fraction !== "number" || !Number.isFinite(v.fraction)) return undefined;
  const q: QuotaEntry = { fraction: Math.min(1, Math.max(0, v.fraction)), fetchedAt: num(v.fetchedAt, 0) };
  if (typeof v.resetAt === "number" && Number.isFinite(v.resetAt)) q.resetAt = v.resetAt;
  return q;
}

function readInvalid(v: unknown): InvalidFlag | undefined {
  if (!isObj(v) || typeof v.kind !== "string" || !INVALID_KINDS.has(v.kind)) return undefined;
  const flag: InvalidFlag = {
    kind: v.kind as InvalidFlag["kind"],
    reason: typeof v.reason === "string" ? v.reason : "",
    at: num(v.at, 0),
  };
  if (typeof v.url === "string") flag.url = v.url;
  return flag;
}

function readRecord<T>(v: unknown, read: (x: unknown) => T | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  if (!isObj(v)) return out;
  for (const [k, x] of Object.entries(v)) {
    const r = read(x);
    if (r !== undefined) out[k] = r;
  }
  return out;
}

/**
 * Merges a persisted state into the configured account. Configuration owns label and floors;
 * a runtime "disabled" survives, and so does a disabled flag from configuration. Malformed
 * fields fall back to the configured state's values instead of poisoning selection.
 */
export function restoreState(current: AccountState, persisted: unknown, tuning: PoolTuning): AccountState {
  if (!isObj(persisted)) return current;
  const health = isObj(persisted.health) ? persisted.health : {};
  const bucket = isObj(persisted.bucket) ? persisted.bucket : {};
  const s: AccountState = {
    id: current.id,
    label: current.label,
    enabled: current.enabled && persisted.enabled !== false,
    health: {
      score: Math.min(tuning.health.max, Math.max(tuning.health.min, num(health.score, current.health.score))),
      updatedAt: num(health.updatedAt, current.health.updatedAt),
    },
    bucket: {
      tokens: Math.min(tuning.bucket.max, num(bucket.tokens, current.bucket.tokens)),
      updatedAt: num(bucket.updatedAt, current.bucket.updatedAt),
    },
    lastUsedAt: num(persisted.lastUsedAt, current.lastUsedAt),
    consecutiveFailures: num(persisted.consecutiveFailures, 0),
    cooldowns: readRecord(persisted.cooldowns, readCooldown),
    quota: readRecord(persisted.quota, readQuota),
  };
  const invalid = readInvalid(persisted.invalid);
  if (invalid) s.invalid = invalid;
  const tier = typeof persisted.tier === "string" ? persisted.tier : current.tier;
  if (tier !== undefined) s.tier = tier;
  if (current.floors !== undefined) s.floors = current.floors;
  return s;
}
