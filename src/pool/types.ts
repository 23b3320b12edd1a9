/**
 * The pool's persisted facts about each account. Plain JSON on purpose: the state layer writes it
 * as is. Every time-bound fact carries an absolute epoch-ms timestamp and is judged against `now`
 * when read, so a state loaded after a restart is neither forgotten nor stuck.
 */
import type { PoolId, WindowId } from "../google/quota-pools.ts";
import type { UpstreamErrorKind } from "../upstream/errors.ts";

export type InvalidKind = "auth_revoked" | "verification_required" | "banned";

export interface InvalidFlag {
  kind: InvalidKind;
  reason: string;
  /** Where a human can fix it (verification page), when upstream said. */
  url?: string;
  at: number;
}

/** Score as of `updatedAt`; recovery since then is applied when read. */
export interface HealthState {
  score: number;
  updatedAt: number;
}

/** Tokens as of `updatedAt`; refill since then is applied when read. */
export interface BucketState {
  tokens: number;
  updatedAt: number;
}

export interface Cooldown {
  /** Not routable for this model before this instant. Kept after it passes, for escalation. */
  until: number;
  reason: UpstreamErrorKind;
  /** Quota exhaustions in a row; picks the next backoff step. */
  hits: number;
  /** When this run of limits began. */
  since: number;
  /** Last 429 counted, for the dedupe window. */
  last429At: number;
  /** Last time a quota probe looked at this account while the cooldown existed. */
  checkedAt?: number;
  /** Pool cooldowns: the quota window that is empty, when known. */
  window?: WindowId;
}

export interface QuotaEntry {
  /** Remaining fraction 0..1 for the model. */
  fraction: number;
  /** When upstream said the quota refills; after it the entry is treated as unknown. */
  resetAt?: number;
  fetchedAt: number;
}

/** Floors per pool and window, e.g. `{ claude: { weekly: 0.1 } }`. */
export type WindowFloors = Partial<Record<PoolId, Partial<Record<WindowId, number>>>>;

export interface AccountFloors {
  default?: number;
  perModel?: Record<string, number>;
  pools?: WindowFloors;
}

export interface AccountState {
  /** Stable label used in headers and logs (never an e-mail unless the user chose it). */
  id: string;
  label: string;
  enabled: boolean;
  invalid?: InvalidFlag;
  health: HealthState;
  bucket: BucketState;
  /** 0 when never used. */
  lastUsedAt: number;
  /** Server/network/empty failures since the last success. */
  consecutiveFailures: number;
  /** Per model, plus pool-wide ones under `pool:<id>` (see windows.ts). */
  cooldowns: Record<string, Cooldown>;
  /** Per model (quotaInfo), plus quota windows under `pool:<id>:<window>` (see windows.ts). */
  quota: Record<string, QuotaEntry>;
  tier?: string;
  floors?: AccountFloors;
}

/** What the pool needs from an account's configuration. */
export interface AccountConfigLike {
  id: string;
  label?: string;
  enabled?: boolean;
  tier?: string;
  floors?: AccountFloors;
}

/** Fallback ladder, in the order it is tried. "sticky-wait" is the sticky strategy choosing to wait. */
export type SelectionLevel = "normal" | "ignore-floor" | "emergency" | "last-resort" | "sticky-wait";

export interface Skip {
  accountId: string;
  why: string;
}

export interface SelectionOk {
  ok: true;
  accountId: string;
  level: SelectionLevel;
  /** Wait this long before sending (throttle on fallback levels, or the sticky wait). */
  delayMs: number;
  /** Filled only with `explain`. */
  skipped: Skip[];
  /** Why this account won; only with `explain`. */
  why?: string;
}

export type SelectionFailure = "empty" | "unavailable" | "cooling" | "busy";

export interface SelectionNone {
  ok: false;
  /**
   * empty: no accounts; unavailable: all disabled or invalid; cooling: all cooled for the model;
   * busy: every account that could serve is at its in-flight cap (wait for one to finish).
   */
  reason: SelectionFailure;
  message: string;
  earliestResetAt?: number;
  /** Set when the earliest reset is within the allowed wait: wait this long, then select again. */
  waitMs?: number;
  /** How many accounts the model's quota pool keeps out (and how many of them until the weekly reset). */
  poolOut?: { pool: PoolId; accounts: number; weekly: number };
  skipped: Skip[];
}

export type Selection = SelectionOk | SelectionNone;

export type AccountStatus = "available" | "cooling" | "invalid" | "disabled" | "low-quota";

/** Read-only picture of one account at a given instant, for the API, console and CLI. */
export interface AccountView {
  id: string;
  label: string;
  enabled: boolean;
  status: AccountStatus;
  tier?: string;
  invalid?: InvalidFlag;
  health: number;
  tokens: number;
  lastUsedAt: number;
  /** Requests this instance has in flight on the account right now. */
  inFlight: number;
  consecutiveFailures: number;
  /** Only per-model cooldowns still in force. */
  cooldowns: Record<string, { until: number; reason: UpstreamErrorKind; hits: number; since: number }>;
  /** Only per-model entries not yet past their reset. */
  quota: Record<string, { fraction: number; resetAt?: number; fetchedAt: number; stale: boolean; floor: number }>;
  /** Quota windows per pool, from the quota summary (only those not yet past their reset). */
  windows: WindowView[];
  /** Per pool: whether the account can serve it, and until when it cannot. */
  pools: Partial<Record<PoolId, PoolView>>;
  /** Earliest instant something limiting this account lifts (cooldown end or quota reset). */
  nextResetAt?: number;
}

export interface WindowView {
  pool: PoolId;
  window: WindowId;
  /** Remaining fraction 0..1. */
  remaining: number;
  resetAt?: number;
  fetchedAt: number;
  stale: boolean;
  /** At or below this the account is kept out of the pool at the normal level. */
  floor: number;
}

export interface PoolView {
  /** out: cooled for the whole pool (a quota 429 or an empty window); low: a window at its floor. */
  status: "available" | "low" | "out";
  /** When an "out" pool comes back. */
  until?: number;
  /** The empty window, when known. */
  window?: WindowId;
  reason?: UpstreamErrorKind;
}

export interface PoolCounts {
  total: number;
  available: number;
  cooling: number;
  invalid: number;
  disabled: number;
}
