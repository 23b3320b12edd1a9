/**
 * Upstream's quota model, late 2026: each account has two pools ("Gemini Models"; "Claude and GPT
 * models"), each with a 5-hour and a weekly window (free tier: weekly only). Every generate drains
 * both windows of its model's pool; an empty window refuses every model of the pool until that
 * window resets. Per-model `quotaInfo` is the pool's 5-hour value, shared by all its models.
 *
 * Windows start full and start their clock at first use (a full window reports a reset one window
 * from now, as upstream does); each resets on its own clock.
 */
import {
  bucketById,
  bucketIdOf,
  poolOfModel,
  POOL_GROUPS,
  POOL_IDS,
  WINDOW_IDS,
  type PoolId,
  type WindowId,
} from "../google/quota-pools.ts";
import { accountBlocked, projectDenied } from "./access.ts";
import { authenticate, countRequest, invalidJson, readJson, type SimContext } from "./http.ts";
import { rpcError } from "./rpc-error.ts";
import type { SimAccount, SimState } from "./state.ts";
import type { SimBucketView } from "./types.ts";
import { isRecord } from "./wire.ts";

export interface BucketState {
  /** Requests left in the window. */
  units: number;
  /** When the window refills; null while it is full and unused. */
  resetAt: number | null;
}

const DISPLAY: Record<WindowId, string> = { "5h": "Five Hour Limit Remaining", weekly: "Weekly Limit Remaining" };

/** Free tier ("Starter quota") has no 5-hour window. */
export function windowsFor(account: SimAccount): readonly WindowId[] {
  return account.tier === "free" ? ["weekly"] : WINDOW_IDS;
}

function capacity(state: SimState, window: WindowId): number {
  return window === "5h" ? state.config.requestsPerQuota : state.config.requestsPerWeek;
}

function windowMs(state: SimState, window: WindowId): number {
  return window === "5h" ? state.config.quotaWindowMs : state.config.weeklyWindowMs;
}

/** The window's state with any due reset applied. */
export function bucket(state: SimState, account: SimAccount, pool: PoolId, window: WindowId): BucketState {
  const id = bucketIdOf(pool, window);
  let b = account.buckets.get(id);
  if (!b) {
    b = { units: capacity(state, window), resetAt: null };
    account.buckets.set(id, b);
  }
  if (b.resetAt !== null && state.now >= b.resetAt) {
    b.units = capacity(state, window);
    b.resetAt = null;
  }
  return b;
}

export function bucketFraction(state: SimState, account: SimAccount, pool: PoolId, window: WindowId): number {
  return bucket(state, account, pool, window).units / capacity(state, window);
}

export function bucketResetAt(state: SimState, account: SimAccount, pool: PoolId, window: WindowId): number {
  return bucket(state, account, pool, window).resetAt ?? state.now + windowMs(state, window);
}

/** One generate: both windows of the pool go down by one request. */
export function drainPool(state: SimState, account: SimAccount, pool: PoolId): void {
  for (const window of windowsFor(account)) {
    const b = bucket(state, account, pool, window);
    if (b.resetAt === null) b.resetAt = state.now + windowMs(state, window);
    b.units = Math.max(0, b.units - 1);
  }
}

/** The empty window that blocks the pool (the one that lifts last when both are empty), or null. */
export function blockingBucket(state: SimState, account: SimAccount, pool: PoolId): { bucketId: string; window: WindowId; resetAt: number } | null {
  let blocking: { bucketId: string; window: WindowId; resetAt: number } | null = null;
  for (const window of windowsFor(account)) {
    if (bucket(state, account, pool, window).units > 0) continue;
    const resetAt = bucketResetAt(state, account, pool, window);
    if (!blocking || resetAt > blocking.resetAt) blocking = { bucketId: bucketIdOf(pool, window), window, resetAt };
  }
  return blocking;
}

/** The window per-model `quotaInfo` reports: the 5-hour one, or weekly where there is no 5-hour window. */
export function quotaInfoWindow(account: SimAccount): WindowId {
  return account.tier === "free" ? "weekly" : "5h";
}

/**
 * `fetchAvailableModels` quotaInfo for a model: the pool's 5-hour value. A zero fraction is left
 * out (proto3 JSON omits defaults); on free tier third-party models carry no fraction at all.
 */
export function quotaInfoFor(state: SimState, account: SimAccount, modelId: string): Record<string, unknown> {
  const pool = poolOfModel(modelId) ?? "gemini";
  const window = quotaInfoWindow(account);
  const resetTime = new Date(bucketResetAt(state, account, pool, window)).toISOString();
  const fraction = bucketFraction(state, account, pool, window);
  if (fraction <= 0 || (account.tier === "free" && pool === "claude")) return { resetTime };
  return { remainingFraction: fraction, resetTime };
}

/** The `retrieveUserQuotaSummary` answer: both groups, weekly bucket first as upstream lists them. */
export function quotaSummary(state: SimState, account: SimAccount): Record<string, unknown> {
  const groups = POOL_IDS.map((pool) => {
    const buckets = [...windowsFor(account)].reverse().map((window) => {
      const fraction = bucketFraction(state, account, pool, window);
      const out: Record<string, unknown> = {
        bucketId: bucketIdOf(pool, window),
        displayName: DISPLAY[window],
        window,
      };
      // proto3 JSON: a zero fraction is simply absent.
      if (fraction > 0) out.remainingFraction = fraction;
      out.resetTime = new Date(bucketResetAt(state, account, pool, window)).toISOString();
      return out;
    });
    return { displayName: POOL_GROUPS[pool].displayName, description: POOL_GROUPS[pool].description, buckets };
  });
  return { groups };
}

/** Sets one window's remaining fraction; `resetInMs` pins when it refills. */
export function setBucket(state: SimState, account: SimAccount, pool: PoolId, window: WindowId, fraction: number, resetInMs?: number): void {
  const full = capacity(state, window);
  const units = Math.ceil(Math.min(1, Math.max(0, fraction)) * full - 1e-9);
  const b = bucket(state, account, pool, window);
  b.units = units;
  if (resetInMs !== undefined) b.resetAt = state.now + resetInMs;
  else if (units >= full) b.resetAt = null;
  else b.resetAt ??= state.now + windowMs(state, window);
}

export type BucketPatch = Record<string, { remainingFraction?: number; resetInMs?: number }>;

/** Checks a control-API `buckets` value; returns a problem sentence or the patch. */
export function readBucketPatch(value: unknown): BucketPatch | string {
  if (!isRecord(value)) return "buckets must be an object of bucketId → {remainingFraction, resetInMs}.";
  const out: BucketPatch = {};
  for (const [id, raw] of Object.entries(value)) {
    if (!bucketById(id)) return `Unknown bucket ${JSON.stringify(id)}; known: ${POOL_IDS.flatMap((p) => WINDOW_IDS.map((w) => bucketIdOf(p, w))).join(", ")}.`;
    const spec = typeof raw === "number" ? { remainingFraction: raw } : raw;
    if (!isRecord(spec)) return `buckets.${id} must be an object or a number.`;
    const { remainingFraction: f, resetInMs: r } = spec;
    if (f !== undefined && (typeof f !== "number" || !Number.isFinite(f) || f < 0 || f > 1)) return `buckets.${id}.remainingFraction must be a number from 0 to 1.`;
    if (r !== undefined && (typeof r !== "number" || !Number.isFinite(r) || r < 0)) return `buckets.${id}.resetInMs must be a non-negative number.`;
    out[id] = { ...(f !== undefined && { remainingFraction: f }), ...(r !== undefined && { resetInMs: r }) };
  }
  return out;
}

export function applyBucketPatch(state: SimState, account: SimAccount, patch: BucketPatch): void {
  for (const [id, spec] of Object.entries(patch)) {
    const where = bucketById(id);
    if (!where) continue;
    const fraction = spec.remainingFraction ?? bucketFraction(state, account, where.pool, where.window);
    setBucket(state, account, where.pool, where.window, fraction, spec.resetInMs);
  }
}

/**
 * The older per-model `quota` knob, mapped onto pools: a number sets every window of both pools;
 * `{model: F}` sets the window that model's `quotaInfo` reports (its pool's 5-hour window), which
 * every model of the pool shares.
 */
export function setLegacyQuota(state: SimState, account: SimAccount, quota: number | Record<string, number>, resetInMs?: number): void {
  if (typeof quota === "number") {
    for (const pool of POOL_IDS) for (const window of WINDOW_IDS) setBucket(state, account, pool, window, quota, resetInMs);
    return;
  }
  for (const [model, fraction] of Object.entries(quota)) {
    const pool = poolOfModel(model);
    if (pool) setBucket(state, account, pool, quotaInfoWindow(account), fraction, resetInMs);
  }
}

export function bucketsView(state: SimState, account: SimAccount): Record<string, SimBucketView> {
  const out: Record<string, SimBucketView> = {};
  for (const pool of POOL_IDS) {
    for (const window of windowsFor(account)) {
      const b = bucket(state, account, pool, window);
      out[bucketIdOf(pool, window)] = {
        pool,
        window,
        remainingFraction: b.units / capacity(state, window),
        resetTime: b.resetAt === null ? null : new Date(b.resetAt).toISOString(),
      };
    }
  }
  return out;
}

/** POST /v1internal:retrieveUserQuotaSummary — agy sends `{"project": …}`; `{}` answers too. */
export async function handleRetrieveUserQuotaSummary(ctx: SimContext): Promise<Response> {
  const auth = authenticate(ctx);
  if ("response" in auth) return auth.response;
  const { account } = auth;
  countRequest(account, "retrieveUserQuotaSummary");
  const parsed = await readJson(ctx.req);
  if (!parsed.ok) {
    account.counters.badRequests++;
    return invalidJson();
  }
  account.counters.lastRequestBody = parsed.value;
  if (!isRecord(parsed.value)) {
    account.counters.badRequests++;
    return rpcError("INVALID_ARGUMENT", "Invalid JSON payload received. Expected an object.");
  }
  const project = parsed.value.project;
  const denied = accountBlocked(ctx, account) ?? (project === undefined ? null : projectDenied(account, project));
  if (denied) return denied;
  return Response.json(quotaSummary(ctx.state, account));
}
