import type { ConsolaInstance } from "consola";
import type { Pool } from "../pool/pool.ts";
import type { PoolTuning } from "../pool/tuning.ts";
import { parseCatalog } from "../google/catalog.ts";
import type { UpstreamAccount, UpstreamClient } from "../upstream/client.ts";
import { UpstreamError } from "../upstream/errors.ts";
import { readAccountQuota } from "../upstream/quota-read.ts";
import type { ModelCatalog } from "./catalog.ts";

/**
 * How long a request right after start may wait for the first quota read (see `whenReady`):
 * long enough for one round of upstream calls, short enough that a dead upstream cannot stall it.
 */
export const FIRST_READ_WAIT_MS = 2_000;

export interface QuotaRefresherOptions {
  pool: Pool;
  upstream: UpstreamClient;
  credentials: Map<string, UpstreamAccount>;
  catalog: ModelCatalog;
  tuning: PoolTuning;
  log: ConsolaInstance;
  random?: () => number;
}

/**
 * Keeps quota data fresh without anyone asking: every account is re-read on a jittered interval
 * (so N accounts do not all call at once), at most `concurrency` at a time; long cooldowns are
 * confirmed early with the same cheap call, so an account whose quota came back returns to
 * rotation without waiting out a pessimistic backoff.
 */
export function startQuotaRefresher(opts: QuotaRefresherOptions) {
  const { pool, upstream, credentials, catalog, tuning, log } = opts;
  const random = opts.random ?? Math.random;
  const nextAt = new Map<string, number>();
  const inFlight = new Map<string, Promise<boolean>>();
  let stopped = false;

  function schedule(id: string, from: number) {
    const { intervalMs, jitter } = tuning.quotaRefresh;
    nextAt.set(id, from + intervalMs * (1 - jitter + 2 * jitter * random()));
  }

  /** Reads one account's quota and tier; true when it worked. Concurrent calls share one fetch. */
  function refresh(id: string): Promise<boolean> {
    const running = inFlight.get(id);
    if (running) return running;
    const task = (async () => {
      const account = credentials.get(id);
      if (!account) return false;
      try {
        const info = await upstream.discover(account);
        pool.setTier(id, info.tier);
        // One read gives the account's catalog (what it may call), its per-model quota and its windows.
        const quota = await readAccountQuota(upstream, account);
        if (quota.summaryProblem) log.debug(`[quota] ${id}: no quota summary (${quota.summaryProblem})`);
        if (quota.catalogAnswer !== undefined) catalog.learnAccount(id, parseCatalog(quota.catalogAnswer));
        else catalog.learn(quota.models);
        pool.setQuota(id, quota.models, quota.windows);
        return true;
      } catch (err) {
        if (err instanceof UpstreamError) {
          // Credentials problems found here are as real as in a request: take the account out.
          if (err.kind === "auth_revoked" || err.kind === "verification_required" || err.kind === "banned") {
            pool.reportFailure(id, "", err);
          }
          log.debug(`[quota] ${id}: ${err.kind}: ${err.message}`);
        } else {
          log.debug(`[quota] ${id}: ${(err as Error).message}`);
        }
        pool.noteProbeFailed(id);
        return false;
      } finally {
        schedule(id, Date.now());
        inFlight.delete(id);
      }
    })();
    inFlight.set(id, task);
    return task;
  }

  async function tick() {
    const now = Date.now();
    const due = new Set<string>(pool.dueProbes(now).map((p) => p.accountId));
    for (const view of pool.accounts()) {
      if (!view.enabled || view.invalid) continue;
      const at = nextAt.get(view.id);
      if (at === undefined || at <= now) due.add(view.id);
    }
    const queue = [...due].filter((id) => !inFlight.has(id));
    const workers = Array.from({ length: Math.min(tuning.quotaRefresh.concurrency, queue.length) }, async () => {
      for (let id = queue.shift(); id && !stopped; id = queue.shift()) await refresh(id);
    });
    await Promise.all(workers);
  }

  // First read right away so tiers and quota show up without waiting a tick; the interval does not
  // start a second pass while it runs.
  let running = true;
  let ready = false;
  const firstPass = Promise.resolve()
    .then(tick)
    .catch(() => {})
    .finally(() => {
      running = false;
      ready = true;
    });
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = true;
    tick().finally(() => (running = false));
  }, 1000);

  return {
    refresh,
    /**
     * Resolves once every account was read once (or failed to be), or after `maxMs`, whichever is
     * first. Until then routing runs blind: a burst spreads over exhausted accounts and ignores floors.
     */
    whenReady(maxMs: number = FIRST_READ_WAIT_MS): Promise<void> {
      if (ready || stopped) return Promise.resolve();
      let timeout: ReturnType<typeof setTimeout> | undefined;
      const waited = new Promise<void>((r) => (timeout = setTimeout(r, maxMs)));
      return Promise.race([firstPass, waited]).finally(() => clearTimeout(timeout));
    },
    async refreshAll(): Promise<void> {
      await Promise.all([...credentials.keys()].map((id) => refresh(id)));
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

export type QuotaRefresher = ReturnType<typeof startQuotaRefresher>;
