import { randomBytes, createHash } from "node:crypto";
import { applyBucketPatch, blockingBucket, bucketFraction, bucketResetAt, bucketsView, drainPool, quotaInfoWindow, readBucketPatch, setLegacyQuota, type BucketState } from "./quota-pools.ts";
import { poolOfModel } from "../google/quota-pools.ts";
import type {
  SimAccountInit,
  SimAccountView,
  SimCatalogInfo,
  SimCounters,
  SimFault,
  SimModel,
  SimStats,
  SimTier,
  SimTotals,
  SimVersionGates,
} from "./types.ts";

export interface SimConfig {
  models: SimModel[];
  chunkDelayMs: number;
  requestsPerQuota: number;
  quotaWindowMs: number;
  requestsPerWeek: number;
  weeklyWindowMs: number;
  accessTokenTtlSec: number;
  clientId?: string;
  clientSecret?: string;
  /** null: every client version passes. Mutable through the control API. */
  gates: SimVersionGates | null;
  catalog: SimCatalogInfo;
  now: () => number;
}

export interface OnboardingOp {
  name: string;
  polls: number;
}

export interface AuthCode {
  email: string;
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string;
  expiresAt: number;
}

const RATE_WINDOW_MS = 60_000;
const SESSION_MEMORY = 1000;

const SUMMED = ["successfulGenerates", "unauthorized", "forbidden", "badRequests", "serverErrors", "inflight", "clientAborts"] as const satisfies readonly (keyof SimTotals)[];

export function emptyCounters(): SimCounters {
  return {
    requests: {},
    successfulGenerates: 0,
    rateLimited: {},
    unauthorized: 0,
    forbidden: 0,
    badRequests: 0,
    serverErrors: 0,
    inflight: 0,
    clientAborts: 0,
    sessionsSeen: 0,
    lastRequestBody: null,
    lastGenerateBody: null,
    lastRequestHeaders: null,
  };
}

export function shortHash(text: string, length = 8): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** A deterministic project id, so the same demo account always lands on the same project. */
export function projectIdFor(email: string): string {
  const local = email.split("@")[0]?.replace(/[^a-z0-9]/gi, "").toLowerCase() || "user";
  return `sim-${local.slice(0, 20)}-${shortHash(email, 6)}`;
}

export class SimAccount {
  email: string;
  refreshToken: string;
  projectId: string | null;
  tier: SimTier;
  rateLimitPerMinute: number | null;
  revoked: boolean;
  validationRequired: boolean;
  banned: boolean;
  /** Entitled model ids; null means every model of the lineup. */
  models: string[] | null;
  fault: SimFault | null = null;
  counters: SimCounters = emptyCounters();
  onboarding: OnboardingOp | null = null;
  /** Quota windows by bucketId (see quota-pools.ts). */
  readonly buckets = new Map<string, BucketState>();
  /** Start times of accepted generate requests inside the sliding rate window. */
  recentRequests: number[] = [];
  /** sessionId → prompt tokens of the last request in that session (for simulated prompt caching). */
  readonly sessions = new Map<string, number>();

  constructor(init: SimAccountInit) {
    this.email = init.email;
    this.refreshToken = init.refreshToken;
    this.projectId = init.projectId === undefined ? projectIdFor(init.email) : init.projectId;
    this.tier = init.tier ?? "pro";
    this.rateLimitPerMinute = init.rateLimitPerMinute ?? null;
    this.revoked = init.revoked ?? false;
    this.validationRequired = init.validationRequired ?? false;
    this.banned = init.banned ?? false;
    this.models = init.models ? [...init.models] : null;
  }

  rememberSession(sessionId: string, promptTokens: number): number | undefined {
    const previous = this.sessions.get(sessionId);
    if (previous === undefined) {
      this.counters.sessionsSeen++;
      if (this.sessions.size >= SESSION_MEMORY) {
        const oldest = this.sessions.keys().next().value;
        if (oldest !== undefined) this.sessions.delete(oldest);
      }
    } else {
      this.sessions.delete(sessionId);
    }
    this.sessions.set(sessionId, promptTokens);
    return previous;
  }
}

export class SimState {
  readonly config: SimConfig;
  readonly accounts = new Map<string, SimAccount>();
  readonly accessTokens = new Map<string, { email: string; expiresAt: number }>();
  readonly authCodes = new Map<string, AuthCode>();
  globalFault: SimFault | null = null;
  unattributed = 0;
  private generatedUsers = 0;

  constructor(config: SimConfig, accounts: SimAccountInit[]) {
    this.config = config;
    for (const init of accounts) this.addAccount(init);
  }

  get now(): number {
    return this.config.now();
  }

  model(id: string): SimModel | undefined {
    return this.config.models.find((m) => m.id === id);
  }

  /** The models in this account's catalog: its entitlements, in lineup order. */
  catalogOf(account: SimAccount): SimModel[] {
    const entitled = account.models;
    return entitled === null ? this.config.models : this.config.models.filter((m) => entitled.includes(m.id));
  }

  /** A model this account may call; undefined answers 404 "Requested entity was not found". */
  servedModel(account: SimAccount, id: string): SimModel | undefined {
    if (account.models !== null && !account.models.includes(id)) return undefined;
    return this.model(id);
  }

  addAccount(init: SimAccountInit): SimAccount {
    if (this.accounts.has(init.email)) throw new Error(`account ${init.email} already exists`);
    const account = new SimAccount(init);
    this.accounts.set(account.email, account);
    if (init.quota) this.setQuota(account, init.quota);
    if (init.buckets) {
      const patch = readBucketPatch(init.buckets);
      if (typeof patch === "string") throw new Error(patch);
      applyBucketPatch(this, account, patch);
    }
    return account;
  }

  removeAccount(email: string): boolean {
    for (const [token, entry] of this.accessTokens) if (entry.email === email) this.accessTokens.delete(token);
    return this.accounts.delete(email);
  }

  nextGeneratedEmail(): string {
    let email: string;
    do email = `user${++this.generatedUsers}@agcp.test`;
    while (this.accounts.has(email));
    return email;
  }

  findByRefreshToken(refreshToken: string): SimAccount | undefined {
    for (const account of this.accounts.values()) if (account.refreshToken === refreshToken) return account;
    return undefined;
  }

  issueAccessToken(account: SimAccount): { token: string; expiresIn: number } {
    const token = `ya29.sim-${randomBytes(24).toString("base64url")}`;
    const expiresIn = this.config.accessTokenTtlSec;
    this.accessTokens.set(token, { email: account.email, expiresAt: this.now + expiresIn * 1000 });
    return { token, expiresIn };
  }

  /** Makes every access token of the account unusable, as if they had expired. */
  expireAccessTokens(account: SimAccount): void {
    for (const [token, entry] of this.accessTokens) if (entry.email === account.email) this.accessTokens.delete(token);
  }

  resolveAccessToken(token: string): { account: SimAccount } | { problem: "unknown" | "expired" } {
    const entry = this.accessTokens.get(token);
    if (!entry) return { problem: "unknown" };
    const account = this.accounts.get(entry.email);
    if (!account || account.revoked) return { problem: "unknown" };
    if (this.now >= entry.expiresAt) return { problem: "expired" };
    return { account };
  }

  // ---- quota (per pool and window; see quota-pools.ts) --------------------

  /** What the model's `quotaInfo` says: its pool's 5-hour window (weekly on free tier). */
  remainingFraction(account: SimAccount, model: string): number {
    return bucketFraction(this, account, poolOfModel(model) ?? "gemini", quotaInfoWindow(account));
  }

  /** When the window behind the model's `quotaInfo` refills. */
  quotaResetAt(account: SimAccount, model: string): number {
    return bucketResetAt(this, account, poolOfModel(model) ?? "gemini", quotaInfoWindow(account));
  }

  /** The empty window that refuses this model, if any. */
  exhaustedBucket(account: SimAccount, model: string) {
    return blockingBucket(this, account, poolOfModel(model) ?? "gemini");
  }

  isExhausted(account: SimAccount, model: string): boolean {
    return this.exhaustedBucket(account, model) !== null;
  }

  consumeQuota(account: SimAccount, model: string): void {
    drainPool(this, account, poolOfModel(model) ?? "gemini");
  }

  /** The per-model knob, mapped onto pools (see setLegacyQuota). */
  setQuota(account: SimAccount, quota: number | Record<string, number>, resetInMs?: number): void {
    setLegacyQuota(this, account, quota, resetInMs);
  }

  // ---- rate limit ----------------------------------------------------------

  /** Ms until a slot frees up, or 0 when the request may go ahead (and is then counted). */
  takeRateSlot(account: SimAccount): number {
    const limit = account.rateLimitPerMinute;
    if (limit === null || limit <= 0) return 0;
    const now = this.now;
    account.recentRequests = account.recentRequests.filter((t) => now - t < RATE_WINDOW_MS);
    if (account.recentRequests.length >= limit) {
      const oldest = account.recentRequests[0] ?? now;
      return Math.max(1, oldest + RATE_WINDOW_MS - now);
    }
    account.recentRequests.push(now);
    return 0;
  }

  // ---- views ---------------------------------------------------------------

  view(account: SimAccount): SimAccountView {
    const quotas: SimAccountView["quotas"] = {};
    const windows = bucketsView(this, account);
    for (const model of this.config.models) {
      const pool = poolOfModel(model.id) ?? "gemini";
      const shown = Object.values(windows).find((b) => b.pool === pool && b.window === quotaInfoWindow(account));
      quotas[model.id] = { remainingFraction: shown?.remainingFraction ?? 1, resetTime: shown?.resetTime ?? null };
    }
    return {
      email: account.email,
      refreshToken: account.refreshToken,
      projectId: account.projectId,
      tier: account.tier,
      models: this.catalogOf(account).map((m) => m.id),
      quotas,
      buckets: bucketsView(this, account),
      rateLimitPerMinute: account.rateLimitPerMinute,
      revoked: account.revoked,
      validationRequired: account.validationRequired,
      banned: account.banned,
      fault: account.fault,
      counters: {
        ...account.counters,
        requests: { ...account.counters.requests },
        rateLimited: { ...account.counters.rateLimited },
        lastRequestHeaders: account.counters.lastRequestHeaders && { ...account.counters.lastRequestHeaders },
      },
    };
  }

  stats(): SimStats {
    const { sessionsSeen: _s, lastRequestBody: _r, lastGenerateBody: _g, lastRequestHeaders: _h, ...zero } = emptyCounters();
    const stats: SimStats = { accounts: this.accounts.size, ...zero, unattributed: this.unattributed };
    for (const { counters: c } of this.accounts.values()) {
      for (const [k, v] of Object.entries(c.requests)) stats.requests[k] = (stats.requests[k] ?? 0) + v;
      for (const [k, v] of Object.entries(c.rateLimited)) stats.rateLimited[k] = (stats.rateLimited[k] ?? 0) + v;
      for (const k of SUMMED) stats[k] += c[k];
    }
    return stats;
  }

  /** Zeroes counters; in-flight requests keep counting down correctly. */
  resetCounters(): void {
    for (const account of this.accounts.values()) {
      const inflight = account.counters.inflight;
      account.counters = emptyCounters();
      account.counters.inflight = inflight;
    }
    this.unattributed = 0;
  }
}
