/**
 * The strategy simulator: agcp's real pool (strategies, trackers, floors, cooldowns) and the
 * relay's failover rules, against the simulator's own quota model (two pools × 5-hour and weekly
 * windows per account), on a virtual clock — days in seconds, the same numbers for the same seed.
 */
import { POOL_IDS, poolOfModel, type PoolId, type QuotaWindow } from "../google/quota-pools.ts";
import { createPool } from "../pool/pool.ts";
import { DEFAULT_TUNING, type PoolTuning, type StrategyName } from "../pool/tuning.ts";
import { blockingBucket, bucketFraction, drainPool, quotaInfoWindow, windowsFor } from "../sim/quota-pools.ts";
import { LATE_2026_CATALOG } from "../sim/lineup.ts";
import { SimState } from "../sim/state.ts";
import type { SimTier } from "../sim/types.ts";
import { UpstreamError } from "../upstream/errors.ts";
import { seeded } from "./random.ts";
import { EPOCH, MODELS, type SimRequest } from "./workloads.ts";

export interface SimAccountSpec {
  tier: SimTier;
  /** Starting fraction of every window (1 = full). */
  start?: number;
  /** A weekly window already running: what is left of it and when it resets (both pools). */
  weekly?: { remaining: number; resetInHours: number };
}

/**
 * Accounts as a pool usually looks on any given day: each weekly window started on a different
 * day, so each resets at its own time, and the longer one has run the less is left of it.
 */
export function staggeredAccounts(n: number, tier: SimTier = "pro"): SimAccountSpec[] {
  return Array.from({ length: n }, (_, i) => {
    const resetInHours = (168 * (i + 1)) / (n + 1);
    return { tier, weekly: { remaining: Math.round((1 - 0.8 * (1 - resetInHours / 168)) * 100) / 100, resetInHours } };
  });
}

export interface SimulationOptions {
  strategy: StrategyName;
  accounts: readonly SimAccountSpec[];
  requests: readonly SimRequest[];
  days: number;
  seed: number;
  /** Requests a full 5-hour window allows, per pool and account. */
  per5h: number;
  /** Requests a full weekly window allows. */
  perWeek: number;
  tuning?: PoolTuning;
}

export interface StrategyResult {
  name: StrategyName;
  requests: number;
  served: number;
  /** Served before the first request a client saw refused. */
  servedBeforeFirstRefusal: number;
  /** Requests the client saw refused (429 after failover and waiting). */
  refused: number;
  /** Requests that waited for a reset or a throttle, and for how long in all (seconds). */
  waited: number;
  waitSeconds: number;
  /** Quota left unused when windows reset, in full windows' worth (e.g. 1.5 = one and a half windows). */
  expired: number;
  /** Of the main conversations' follow-up turns, how many stayed on the previous turn's account. */
  affinityRate: number;
  /** The most requests one account took in one minute. */
  peakPerAccountPerMinute: number;
  /** Hours from the start to the first refusal; null when none. */
  hoursToFirstRefusal: number | null;
  /** 429s upstream answered (each costs an account a failover). */
  upstream429: number;
  /** Distinct accounts a burst of parallel subagents landed on, on average. */
  burstSpread: number;
}

const MINUTE = 60_000;

export function simulate(opts: SimulationOptions): StrategyResult {
  const tuning = opts.tuning ?? DEFAULT_TUNING;
  let now = EPOCH;
  const clock = () => now;
  const emails = opts.accounts.map((_, i) => `acct${i + 1}@sim`);
  const sim = new SimState(
    {
      models: [],
      chunkDelayMs: 0,
      requestsPerQuota: opts.per5h,
      quotaWindowMs: 5 * 60 * MINUTE,
      requestsPerWeek: opts.perWeek,
      weeklyWindowMs: 7 * 24 * 60 * MINUTE,
      accessTokenTtlSec: 3600,
      // The quota model is all the simulator is used for here: no version gates, the default catalog.
      gates: null,
      catalog: LATE_2026_CATALOG,
      now: clock,
    },
    opts.accounts.map((a, i) => ({ email: emails[i] as string, refreshToken: `r${i}`, tier: a.tier })),
  );
  // Weekly windows already running (staggered accounts).
  opts.accounts.forEach((a, i) => {
    if (!a.weekly) return;
    const account = sim.accounts.get(emails[i] as string)!;
    for (const id of ["gemini-weekly", "3p-weekly"]) {
      account.buckets.set(id, { units: Math.round(a.weekly.remaining * opts.perWeek), resetAt: EPOCH + Math.round(a.weekly.resetInHours * 60 * MINUTE) });
    }
  });
  // A partly used account: its windows are already running, part spent.
  opts.accounts.forEach((a, i) => {
    if (a.start === undefined || a.start >= 1) return;
    const account = sim.accounts.get(emails[i] as string)!;
    for (const pool of POOL_IDS) {
      const spend = Math.round((1 - a.start) * opts.per5h);
      for (let k = 0; k < spend; k++) drainPool(sim, account, pool);
    }
  });
  const pool = createPool({
    accounts: emails.map((id) => ({ id, label: id })),
    tuning,
    strategy: opts.strategy,
    now: clock,
    random: seeded(opts.seed ^ 0x5eed),
  });

  const result: StrategyResult = {
    name: opts.strategy,
    requests: opts.requests.length,
    served: 0,
    servedBeforeFirstRefusal: 0,
    refused: 0,
    waited: 0,
    waitSeconds: 0,
    expired: 0,
    affinityRate: 0,
    peakPerAccountPerMinute: 0,
    hoursToFirstRefusal: null,
    upstream429: 0,
    burstSpread: 0,
  };
  let affinityHits = 0;
  let affinityTotal = 0;
  const lastAccount = new Map<string, string>();
  const perMinute = new Map<string, number>();
  const bursts = new Map<string, Set<string>>();

  /** What agcp's quota refresher would read now: quotaInfo per model, and the summary's windows. */
  const refresh = () => {
    for (const email of emails) {
      const account = sim.accounts.get(email)!;
      const models: Record<string, { fraction: number; resetAt?: number }> = {};
      const windows: QuotaWindow[] = [];
      for (const p of POOL_IDS) {
        for (const w of windowsFor(account)) {
          const b = account.buckets.get(`${p === "claude" ? "3p" : "gemini"}-${w}`);
          windows.push({ pool: p, window: w, remaining: bucketFraction(sim, account, p, w), ...(b?.resetAt != null && { resetAt: b.resetAt }) });
        }
        const info = windows.find((x) => x.pool === p && x.window === quotaInfoWindow(account))!;
        models[MODELS[p]] = { fraction: info.remaining, ...(info.resetAt !== undefined && { resetAt: info.resetAt }) };
      }
      pool.setQuota(email, models, windows);
    }
  };

  /** Quota left in a window that is about to reset is lost: count it before the reset applies. */
  const expire = () => {
    for (const account of sim.accounts.values()) {
      for (const [id, b] of account.buckets) {
        if (b.resetAt === null || now < b.resetAt) continue;
        const capacity = id.endsWith("weekly") ? opts.perWeek : opts.per5h;
        result.expired += b.units / capacity;
        b.units = capacity;
        b.resetAt = null;
      }
    }
  };

  // Requests, in time order, plus retries of requests that wait for a reset.
  interface Pending {
    req: SimRequest;
    at: number;
    waitedMs: number;
  }
  const retries: Pending[] = [];
  const finishes: Array<{ at: number; id: string }> = [];
  const durations = seeded(opts.seed ^ 0xd0);
  const queue = opts.requests.map((req) => ({ req, at: req.at, waitedMs: 0 }));
  let qi = 0;
  let nextRefresh = EPOCH;
  const end = EPOCH + opts.days * 24 * 60 * MINUTE;
  let refusedYet = false;

  const serve = (p: Pending) => {
    const { req } = p;
    const poolId = poolOfModel(req.model) as PoolId;
    const maxAttempts = Math.max(tuning.minAttempts, pool.size + 1);
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const sel = pool.select(req.model, { sessionId: req.sessionId, maxWaitMs: Math.max(0, tuning.maxWaitMs - p.waitedMs) });
      if (!sel.ok) {
        // Every account at its in-flight cap: the request waits for the first answer to finish.
        const freeAt = finishes[0]?.at;
        if (sel.reason === "busy" && freeAt !== undefined && p.waitedMs + (freeAt - now) <= tuning.maxWaitMs) {
          insertRetry({ req, at: Math.max(now + 1, freeAt), waitedMs: p.waitedMs + Math.max(1, freeAt - now) });
          return;
        }
        if (sel.waitMs !== undefined && p.waitedMs + sel.waitMs <= tuning.maxWaitMs) {
          insertRetry({ req, at: now + Math.max(1, sel.waitMs), waitedMs: p.waitedMs + Math.max(1, sel.waitMs) });
          return;
        }
        break;
      }
      if (sel.delayMs > 0) {
        if (p.waitedMs + sel.delayMs > tuning.maxWaitMs) break;
        insertRetry({ req, at: now + sel.delayMs, waitedMs: p.waitedMs + sel.delayMs });
        return;
      }
      const id = sel.accountId;
      const account = sim.accounts.get(id)!;
      pool.consumeToken(id);
      const block = blockingBucket(sim, account, poolId);
      if (block) {
        pool.refundToken(id);
        result.upstream429++;
        pool.reportFailure(id, req.model, new UpstreamError({ kind: "quota_exhausted", status: 429, reason: "QUOTA_EXHAUSTED", message: `${block.bucketId} empty`, resetAt: block.resetAt }));
        continue;
      }
      drainPool(sim, account, poolId);
      pool.reportSuccess(id, req.model);
      // The answer takes a while: meanwhile the account counts as busy (in-flight aware routing).
      pool.started(id);
      insertSorted(finishes, { at: now + 5_000 + Math.round(durations() * 35_000), id });
      result.served++;
      if (!refusedYet) result.servedBeforeFirstRefusal++;
      if (p.waitedMs > 0) {
        result.waited++;
        result.waitSeconds += p.waitedMs / 1000;
      }
      const minuteKey = `${id}:${Math.floor(now / MINUTE)}`;
      const n = (perMinute.get(minuteKey) ?? 0) + 1;
      perMinute.set(minuteKey, n);
      if (n > result.peakPerAccountPerMinute) result.peakPerAccountPerMinute = n;
      if (req.subagent) {
        const key = `${req.mainSession}@${req.at - (req.at % 1000)}`;
        let set = bursts.get(key);
        if (!set) bursts.set(key, (set = new Set()));
        set.add(id);
      } else {
        const prev = lastAccount.get(req.mainSession);
        if (prev !== undefined) {
          affinityTotal++;
          if (prev === id) affinityHits++;
        }
        lastAccount.set(req.mainSession, id);
      }
      return;
    }
    result.refused++;
    if (!refusedYet) {
      refusedYet = true;
      result.hoursToFirstRefusal = (now - EPOCH) / (60 * MINUTE);
    }
  };

  function insertRetry(p: Pending) {
    insertSorted(retries, p);
  }

  for (;;) {
    const next = qi < queue.length ? (queue[qi] as Pending) : undefined;
    const retry = retries[0];
    const take = !next ? retry : !retry ? next : retry.at <= next.at ? retry : next;
    if (!take || take.at >= end) break;
    // The quota refresher runs on its own schedule in between.
    while (nextRefresh <= take.at) {
      now = nextRefresh;
      expire();
      refresh();
      nextRefresh += tuning.quotaRefresh.intervalMs;
    }
    while (finishes.length > 0 && (finishes[0] as { at: number }).at <= take.at) pool.finished((finishes.shift() as { id: string }).id);
    now = take.at;
    if (take === retry) retries.shift();
    else qi++;
    expire();
    serve(take);
  }
  now = end;
  expire();
  result.affinityRate = affinityTotal > 0 ? affinityHits / affinityTotal : 1;
  const spreads = [...bursts.values()].map((s) => s.size);
  result.burstSpread = spreads.length > 0 ? spreads.reduce((a, b) => a + b, 0) / spreads.length : 0;
  return result;
}

function insertSorted<T extends { at: number }>(list: T[], item: T): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as T).at <= item.at) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, item);
}
