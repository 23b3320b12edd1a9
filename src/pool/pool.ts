/**
 * The account pool: owns every account's routing state and answers "which account next?".
 * A thin stateful shell over the pure pieces (select, cooldown, quota, health, bucket): it holds
 * the clock, keeps the selection columns in step with each change, and tells listeners which
 * account changed so the state layer can persist it.
 *
 * Request path: select → consumeToken → reportSuccess, or refundToken + reportFailure.
 */
import type { QuotaWindow } from "../google/quota-pools.ts";
import type { UpstreamError } from "../upstream/errors.ts";
import { consume, initialBucket, refund } from "./bucket.ts";
import {
  applyFailure,
  applyQuotaSnapshot,
  applySuccess,
  activeCooldown,
  isNonQuotaCooldown,
  noteProbed,
  probeDueAt,
  type FailureOutcome,
  type QuotaSnapshot,
} from "./cooldown.ts";
import { initialHealth } from "./health.ts";
import type { FloorSettings } from "./quota.ts";
import { selectAccount } from "./select.ts";
import { PoolSnapshot } from "./snapshot.ts";
import { newAccountState, restoreState } from "./state.ts";
import { getStrategy } from "./strategies/index.ts";
import { DEFAULT_TUNING, type PoolTuning, type StrategyName } from "./tuning.ts";
import type { AccountConfigLike, AccountFloors, AccountState, AccountView, PoolCounts, Selection, WindowView } from "./types.ts";
import { countStatuses, viewAccount, windowsOf } from "./views.ts";

export interface PoolOptions extends FloorSettings {
  accounts: readonly AccountConfigLike[];
  tuning?: PoolTuning;
  strategy?: StrategyName;
  now?: () => number;
  random?: () => number;
}

export interface SelectOptions {
  sessionId?: string;
  explain?: boolean;
  /** Overrides tuning.maxWaitMs for reporting `waitMs` when everything is cooled. */
  maxWaitMs?: number;
  /** Accounts that cannot serve this request at all (not in their catalog); never picked. */
  exclude?: ReadonlySet<string>;
}

export interface ProbeDue {
  accountId: string;
  /** Models (or `pool:<id>` for a whole quota pool) whose cooldown wants confirming. */
  models: string[];
  dueAt: number;
}

export type ReportOutcome = FailureOutcome | { action: "ignored"; why: "unknown account" };

export interface Pool {
  readonly strategy: StrategyName;
  readonly tuning: PoolTuning;
  /** Number of accounts (cheap; counts() walks every account). */
  readonly size: number;
  select(model: string, options?: SelectOptions): Selection;
  /** Spend one token and mark the account used; call right before sending. False for unknown ids. */
  consumeToken(id: string): boolean;
  /** Give the token back after a failed attempt. */
  refundToken(id: string): boolean;
  /** A request to this account went out / came back: strategies that spread by load see it. */
  started(id: string): void;
  finished(id: string): void;
  inFlight(id: string): number;
  /** Called once when an account at its in-flight cap finishes a request. Returns an unsubscribe function. */
  onSlotFree(listener: () => void): () => void;
  reportSuccess(id: string, model: string): void;
  reportFailure(id: string, model: string, err: UpstreamError): ReportOutcome;
  /**
   * What the quota endpoints say for this account: all models `fetchAvailableModels` listed, and
   * the pools' windows from `retrieveUserQuotaSummary` (omit when it was not read: the last ones stay).
   */
  setQuota(id: string, snapshot: QuotaSnapshot, windows?: readonly QuotaWindow[]): void;
  /** A probe that failed to read quota: not due again for probeAfterMs. */
  noteProbeFailed(id: string): void;
  setTier(id: string, tier: string | undefined): void;
  setEnabled(id: string, enabled: boolean): void;
  /** Clears cooldowns, the invalid flag, failure streak, quota data; health and bucket back to initial. */
  resetAccount(id: string): boolean;
  setStrategy(name: StrategyName): void;
  setFloors(floors: FloorSettings): void;
  /** One account's own floors (undefined: it follows the global ones); routing uses them at once. */
  setAccountFloors(id: string, floors: AccountFloors | undefined): boolean;
  accounts(): AccountView[];
  account(id: string): AccountView | undefined;
  /** Just the account's quota windows (cheap: no full view), e.g. for the run-out forecast on every change. */
  windows(id: string): WindowView[] | undefined;
  counts(): PoolCounts;
  /** Accounts whose long cooldown should be confirmed with a cheap quota call now. */
  dueProbes(now?: number): ProbeDue[];
  /** Called with the id of every account whose state changed. Returns an unsubscribe function. */
  onChange(listener: (id: string) => void): () => void;
  /**
   * Called with the id of an account whose quota picture may have changed (a quota read, a quota
   * 429, a reset, a restored or remote state, an account added or removed): the run-out forecast
   * listens here rather than to every change, which fires several times per request.
   */
  onQuotaChange(listener: (id: string) => void): () => void;
  /** Restores persisted states for accounts that are configured; returns how many were applied. */
  load(states: readonly unknown[]): number;
  /** Deep copy of every account's state, for persistence. */
  snapshot(): AccountState[];
  /** Deep copy of one account's state (the state layer saves changed accounts one at a time). */
  stateOf(id: string): AccountState | undefined;
  /**
   * Takes in an account's state as another agcp instance sees it: shape-checked like `load`, but
   * `enabled` comes from it too (a re-enable must spread). Listeners are told. False if unknown.
   */
  applyRemote(state: unknown): boolean;
  /** Where round-robin starts next; instances sharing a pool share one counter. */
  setCursor(position: number): void;
  addAccount(cfg: AccountConfigLike): void;
  removeAccount(id: string): boolean;
  /** Makes the pool match a new account list (config reload): adds, removes, updates labels and floors. */
  syncAccounts(configs: readonly AccountConfigLike[]): void;
}

export function createPool(options: PoolOptions): Pool {
  const tuning = options.tuning ?? DEFAULT_TUNING;
  const clock = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  // Hybrid, the seed's formula, is the baseline for callers that name none (tools, tests); agcp
  // itself always passes the configured strategy, whose default is reset-aware (src/config/resolve.ts).
  let strategy = getStrategy(options.strategy ?? "hybrid").name;
  let floors: FloorSettings = { globalFloor: options.globalFloor, modelFloors: options.modelFloors, windowFloors: options.windowFloors };
  const start = clock();
  const snap = new PoolSnapshot(
    options.accounts.map((cfg) => newAccountState(cfg, start, tuning)),
    { tuning, ...floors },
  );
  const listeners = new Set<(id: string) => void>();
  const quotaListeners = new Set<(id: string) => void>();
  const quotaChanged = (id: string) => {
    for (const l of quotaListeners) l(id);
  };
  const inFlight = new Map<string, number>();
  const inFlightOf = (id: string) => inFlight.get(id) ?? 0;
  /** Accounts at tuning.maxInFlightPerAccount: left out of selection until one of their requests ends. */
  const saturated = new Set<string>();
  const slotListeners = new Set<() => void>();
  const cap = tuning.maxInFlightPerAccount;

  const changed = (id: string) => {
    snap.touch(id);
    for (const l of listeners) l(id);
  };

  /** Runs `fn` on the account's state if it exists, then propagates the change. */
  const mutate = (id: string, fn: (s: AccountState, now: number) => void): boolean => {
    const s = snap.get(id);
    if (!s) return false;
    fn(s, clock());
    changed(id);
    return true;
  };

  const failureContext = (id: string, model: string, now: number) => {
    let poolSize = 0;
    let nonQuotaCooled = 0;
    for (const s of snap.states) {
      if (!s.enabled || s.invalid) continue;
      poolSize++;
      if (s.id === id) continue;
      const c = activeCooldown(s, model, now);
      if (c && isNonQuotaCooldown(c)) nonQuotaCooled++;
    }
    return { poolSize, nonQuotaCooled };
  };

  return {
    get strategy() {
      return strategy;
    },
    get tuning() {
      return tuning;
    },
    get size() {
      return snap.size;
    },

    select(model, opts = {}) {
      const req = { model, sessionId: opts.sessionId, explain: opts.explain };
      const ctx = { strategy, now: clock(), random, tuning, maxWaitMs: opts.maxWaitMs, inFlight: inFlightOf, ...floors };
      if (saturated.size === 0) return selectAccount(snap, { ...req, ...(opts.exclude && { exclude: opts.exclude }) }, ctx);
      const sel = selectAccount(snap, { ...req, exclude: new Set([...(opts.exclude ?? []), ...saturated]) }, ctx);
      if (sel.ok) return sel;
      // Nothing without the busy accounts: if one of them could serve, the request waits for a slot.
      const uncapped = selectAccount(snap, { model, ...(opts.exclude && { exclude: opts.exclude }), dryRun: true }, ctx);
      if (!uncapped.ok) return sel;
      return { ok: false, reason: "busy", message: `Every account that can serve ${model} has ${cap} requests in flight (pool.maxInFlightPerAccount).`, skipped: sel.skipped };
    },

    consumeToken: (id) =>
      mutate(id, (s, now) => {
        consume(s.bucket, now, tuning.bucket);
        s.lastUsedAt = now;
      }),
    refundToken: (id) => mutate(id, (s, now) => refund(s.bucket, now, tuning.bucket)),
    started(id) {
      const n = inFlightOf(id) + 1;
      inFlight.set(id, n);
      if (cap > 0 && n >= cap) saturated.add(id);
    },
    finished(id) {
      const n = inFlightOf(id) - 1;
      if (n > 0) inFlight.set(id, n);
      else inFlight.delete(id);
      if (saturated.delete(id) && slotListeners.size > 0) {
        const waiting = [...slotListeners];
        slotListeners.clear();
        for (const l of waiting) l();
      }
    },
    inFlight: inFlightOf,
    onSlotFree(listener) {
      slotListeners.add(listener);
      return () => slotListeners.delete(listener);
    },

    reportSuccess(id, model) {
      mutate(id, (s, now) => applySuccess(s, model, now, tuning));
    },

    reportFailure(id, model, err) {
      const s = snap.get(id);
      if (!s) return { action: "ignored", why: "unknown account" };
      const now = clock();
      const outcome = applyFailure(s, model, err, now, random, tuning, failureContext(id, model, now));
      if (outcome.action !== "ignored") {
        changed(id);
        quotaChanged(id);
      }
      return outcome;
    },

    setQuota(id, quota, windows) {
      if (mutate(id, (s, now) => applyQuotaSnapshot(s, quota, now, tuning, windows))) quotaChanged(id);
    },
    noteProbeFailed(id) {
      mutate(id, (s, now) => noteProbed(s, now));
    },
    setTier(id, tier) {
      mutate(id, (s) => {
        if (tier === undefined) delete s.tier;
        else s.tier = tier;
      });
    },
    setEnabled(id, enabled) {
      mutate(id, (s) => {
        s.enabled = enabled;
      });
    },
    resetAccount(id) {
      const done = mutate(id, (s, now) => {
        s.cooldowns = {};
        delete s.invalid;
        s.consecutiveFailures = 0;
        s.health = initialHealth(now, tuning.health);
        s.bucket = initialBucket(now, tuning.bucket);
        // Quota data at the floor would keep the account out after a reset; the next refresh re-reads it.
        s.quota = {};
      });
      if (done) quotaChanged(id);
      return done;
    },

    setStrategy(name) {
      strategy = getStrategy(name).name;
    },
    setAccountFloors: (id, own) =>
      mutate(id, (s) => {
        if (own === undefined) delete s.floors;
        else s.floors = structuredClone(own);
      }),
    setFloors(next) {
      floors = { globalFloor: next.globalFloor, modelFloors: next.modelFloors, windowFloors: next.windowFloors };
      snap.configure({ tuning, ...floors });
    },

    accounts() {
      const now = clock();
      return snap.states.map((s) => viewAccount(snap, s, now, inFlightOf(s.id)));
    },
    account(id) {
      const s = snap.get(id);
      return s ? viewAccount(snap, s, clock(), inFlightOf(id)) : undefined;
    },
    windows(id) {
      const s = snap.get(id);
      return s ? windowsOf(snap, s, clock()) : undefined;
    },
    counts() {
      return countStatuses(snap, clock());
    },

    dueProbes(now = clock()) {
      const due: ProbeDue[] = [];
      for (const s of snap.states) {
        if (!s.enabled || s.invalid) continue;
        let dueAt = Number.POSITIVE_INFINITY;
        const models: string[] = [];
        for (const [model, c] of Object.entries(s.cooldowns)) {
          const at = probeDueAt(c, now, tuning.probeAfterMs);
          if (at === undefined || at > now) continue;
          models.push(model);
          dueAt = Math.min(dueAt, at);
        }
        if (models.length > 0) due.push({ accountId: s.id, models, dueAt });
      }
      return due;
    },

    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onQuotaChange(listener) {
      quotaListeners.add(listener);
      return () => quotaListeners.delete(listener);
    },

    load(states) {
      let applied = 0;
      for (const persisted of states) {
        const id = typeof persisted === "object" && persisted !== null ? (persisted as { id?: unknown }).id : undefined;
        const current = typeof id === "string" ? snap.get(id) : undefined;
        if (!current) continue;
        snap.replace(restoreState(current, persisted, tuning));
        quotaChanged(current.id);
        applied++;
      }
      return applied;
    },

    snapshot: () => structuredClone(snap.states),
    stateOf(id) {
      const s = snap.get(id);
      return s ? structuredClone(s) : undefined;
    },
    applyRemote(remote) {
      const id = typeof remote === "object" && remote !== null ? (remote as { id?: unknown }).id : undefined;
      const current = typeof id === "string" ? snap.get(id) : undefined;
      if (!current) return false;
      const next = restoreState(current, remote, tuning);
      next.enabled = (remote as { enabled?: unknown }).enabled !== false;
      snap.replace(next);
      for (const l of listeners) l(next.id);
      quotaChanged(next.id);
      return true;
    },
    setCursor(position) {
      if (Number.isFinite(position) && position >= 0) snap.routing.cursor = Math.floor(position);
    },

    addAccount(cfg) {
      snap.add(newAccountState(cfg, clock(), tuning));
      for (const l of listeners) l(cfg.id);
      quotaChanged(cfg.id);
    },
    removeAccount(id) {
      const removed = snap.remove(id);
      if (removed) {
        for (const l of listeners) l(id);
        quotaChanged(id);
      }
      return removed;
    },

    syncAccounts(configs) {
      const wanted = new Set(configs.map((c) => c.id));
      for (const s of [...snap.states]) if (!wanted.has(s.id)) this.removeAccount(s.id);
      for (const cfg of configs) {
        const s = snap.get(cfg.id);
        if (!s) {
          this.addAccount(cfg);
          continue;
        }
        mutate(cfg.id, (st) => {
          st.label = cfg.label ?? cfg.id;
          if (cfg.floors !== undefined) st.floors = cfg.floors;
          else delete st.floors;
          if (cfg.enabled === false) st.enabled = false;
        });
      }
    },
  };
}
