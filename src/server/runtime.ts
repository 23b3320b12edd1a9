import type { ConsolaInstance } from "consola";
import { poolFloorsOf } from "../config/account-floors.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import { createSignatureCache, type SignatureCache } from "../google/signatures.ts";
import { createAgcpMetrics, type AgcpMetrics } from "../metrics/agcp-metrics.ts";
import { POOL_IDS } from "../google/quota-pools.ts";
import { createPool, type Pool } from "../pool/pool.ts";
import type { AccountView } from "../pool/types.ts";
import { connectRuntimeState, credentialsOf, openStateStore, poolConfigOf, storedAccountsFor, type RuntimeState } from "../state/index.ts";
import { createUpstreamClient, type UpstreamAccount, type UpstreamClient } from "../upstream/client.ts";
import { describeIdentity } from "../upstream/identity.ts";
import { createKeyGuard, type KeyGuard } from "../keys/guard.ts";
import { acquireFolderLock } from "../state/folder-lock.ts";
import { createForecaster, type Forecaster } from "../console/forecast.ts";
import { thisMachine, type Machine } from "../credentials/local-sign-ins.ts";
import { observeWindows } from "./routes/account-limits.ts";
import { createRequestLog, type RequestLog } from "./request-log.ts";
import { createUsageRecorder, type UsageRecorder } from "./usage-history.ts";
import { createModelCatalog, type ModelCatalog } from "./catalog.ts";
import { createUpstreamGate, gateSize, type UpstreamGate } from "./upstream-gate.ts";
import { keyPoolOf, poolWindowsFor } from "./key-pools.ts";
import { startQuotaRefresher, type QuotaRefresher } from "./quota-refresher.ts";

/** Per pool: how many usable accounts can serve it (of which low) and how many are out. */
function poolAccountSamples(views: readonly AccountView[]): Array<[Record<string, string>, number]> {
  const out: Array<[Record<string, string>, number]> = [];
  for (const pool of POOL_IDS) {
    const n = { available: 0, low: 0, out: 0 };
    for (const v of views) {
      if (!v.enabled || v.invalid) continue;
      const status = v.pools[pool]?.status ?? "available";
      n[status]++;
    }
    for (const [state, value] of Object.entries(n)) out.push([{ pool, state }, value]);
  }
  return out;
}

/** Everything a route needs, built once per server from the resolved config. */
export interface Runtime {
  config: ResolvedConfig;
  version: string;
  /** When this server started (epoch ms). */
  startedAt: number;
  log: ConsolaInstance;
  pool: Pool;
  upstream: UpstreamClient;
  /** Account id → what upstream calls need. Tokens live only here and in the token cache. */
  credentials: Map<string, UpstreamAccount>;
  signatures: SignatureCache;
  catalog: ModelCatalog;
  metrics: AgcpMetrics;
  quota: QuotaRefresher;
  /** Saved and shared pool state; strategy and account changes made at run time (console). */
  state: RuntimeState;
  /** Upstream requests in flight at once (agcp's own queue, never an account's fault). */
  upstreamGate: UpstreamGate;
  /** Client keys: who is calling, and their limits (src/keys). */
  keys: KeyGuard;
  /** The last requests with their routing trace (console, /api/requests, --access-log). */
  requests: RequestLog;
  /** Requests, tokens and errors per hour per account × model and per key (30 days). */
  usage: UsageRecorder;
  /** Recent pace of every quota window, and when it runs out at that pace. */
  forecast: Forecaster;
  /** The machine agcp runs on, whose sign-ins (agy, the desktop app, Gemini CLI) the console can import. */
  machine: Machine;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  version: string;
  log: ConsolaInstance;
  fetch?: typeof fetch;
  /** Default: this process's home, platform and environment (tests give a temp home). */
  machine?: Machine;
}

export async function createRuntime(config: ResolvedConfig, opts: RuntimeOptions): Promise<Runtime> {
  // One server per fs folder (folder-lock.ts): taken before anything is read, released last.
  const lock =
    config.storage.driver === "fs"
      ? await acquireFolderLock(config.storage.dir, {
          onStale: (owner) =>
            opts.log.warn(`Took over the state folder ${config.storage.dir} from an agcp that is no longer running${owner ? ` (pid ${owner.pid}, since ${owner.since})` : ""}.`),
        })
      : undefined;
  let rt: Runtime;
  try {
    rt = await buildRuntime(config, opts);
  } catch (err) {
    await lock?.release();
    throw err;
  }
  if (!lock) return rt;
  const close = rt.close;
  rt.close = async () => {
    try {
      await close();
    } finally {
      await lock.release();
    }
  };
  return rt;
}

async function buildRuntime(config: ResolvedConfig, opts: RuntimeOptions): Promise<Runtime> {
  const accounts = config.accounts;
  const store = await openStateStore({ storage: config.storage, log: opts.log });
  // Accounts added with `agcp accounts add` join the configured ones; config wins on a label clash.
  const stored = await storedAccountsFor(store, accounts.map((a) => a.label), opts.log);
  const basePool = createPool({
    accounts: [
      ...accounts.map((a) => ({
        id: a.label,
        label: a.label,
        enabled: a.enabled,
        floors: poolFloorsOf(a.quota),
      })),
      ...stored.map(poolConfigOf),
    ],
    tuning: config.pool,
    strategy: config.strategy,
    globalFloor: config.quota.floor,
    modelFloors: config.quota.models,
    windowFloors: config.quota.pools,
  });
  const credentials = new Map<string, UpstreamAccount>(
    accounts.map((a) => [
      a.label,
      { id: a.label, refreshToken: a.refreshToken, ...(a.projectId && { projectId: a.projectId }), ...(a.proxy && { proxy: a.proxy }) },
    ]),
  );
  for (const a of stored) credentials.set(a.label, credentialsOf(a));
  // Restores saved state and the run-time strategy, then saves changes in the background.
  const state = await connectRuntimeState({
    store,
    pool: basePool,
    credentials,
    configAccounts: accounts,
    configuredStrategy: config.strategy,
    log: opts.log,
  });
  const pool = state.pool;
  const upstream = createUpstreamClient({ ...config.upstream, ...(opts.fetch && { fetch: opts.fetch }) });
  opts.log.debug(`[upstream] client identity: ${describeIdentity(config.upstream.identity, config.identitySource)}`);
  const catalog = createModelCatalog(config.models.mapping, {
    alternatives: config.models.alternatives,
    onMigrate: (from, to) => opts.log.info(`[models] ${from} was retired upstream; requests for it go to its successor ${to}`),
  });
  const metrics = createAgcpMetrics();
  metrics.accounts.collect(() => {
    const c = pool.counts();
    return (["available", "cooling", "invalid", "disabled"] as const).map((status) => [{ status }, c[status]]);
  });
  const usage = createUsageRecorder({ store: state.store.usage, log: opts.log });
  // Quota reads land in the pool; every change feeds the run-out forecast.
  const forecast = createForecaster();
  const stopForecast = pool.onQuotaChange((id) => {
    const windows = pool.windows(id);
    if (windows) observeWindows(forecast, id, windows);
    else forecast.forget(id);
  });
  metrics.quotaRunout.collect(() => {
    const now = Date.now();
    const out: Array<[Record<string, string>, number]> = [];
    for (const v of pool.accounts()) {
      for (const w of v.windows) {
        const f = forecast.forecast(v.id, w.pool, w.window, now);
        if (f?.runOutAt) out.push([{ account: v.label, pool: w.pool, window: w.window }, Math.max(0, (Date.parse(f.runOutAt) - now) / 1000)]);
      }
    }
    return out;
  });
  const requests = createRequestLog({
    size: config.requestLog.size,
    ...(config.requestLog.accessLog && { accessLog: (line: string) => process.stdout.write(`${line}\n`) }),
  });
  metrics.poolAccounts.collect(() => poolAccountSamples(pool.accounts()));
  metrics.inFlight.collect(() => pool.accounts().map((a): [Record<string, string>, number] => [{ account: a.label }, a.inFlight]));
  metrics.quotaWindows.collect(() =>
    pool.accounts().flatMap((a) => a.windows.map((w): [Record<string, string>, number] => [{ account: a.label, pool: w.pool, window: w.window }, w.remaining])),
  );
  const keys = await createKeyGuard({
    keys: state.store.keys,
    usage,
    limiter: state.store.keyLimiter,
    shared: () => state.store.keyLimitsShared(),
    adminKey: config.apiKey,
    metrics,
    log: opts.log,
    poolOf: keyPoolOf,
    poolWindows: (p) => poolWindowsFor(pool, p),
  });
  // A key revoked or added on another instance, or with the CLI, applies here at once.
  const stopKeyWatch = state.store.onRemote((event) => {
    if (event === "keys" || event === "resync") keys.reload().catch((err: Error) => opts.log.warn(`Could not re-read client keys: ${err.message}`));
  });
  const quota = startQuotaRefresher({ pool, upstream, credentials, catalog, tuning: config.pool, log: opts.log });

  const { size: gate, bunLimit } = gateSize(config.limits.upstreamConcurrency, process.env);
  if (gate < config.limits.upstreamConcurrency) {
    opts.log.info(`Upstream concurrency ${gate} (limits.upstreamConcurrency ${config.limits.upstreamConcurrency}, held below Bun's fetch limit ${bunLimit}; \`agcp start\` raises that, or set BUN_CONFIG_MAX_HTTP_REQUESTS).`);
  }
  let saturationLogged = false;
  const upstreamGate = createUpstreamGate(gate, config.limits.upstreamQueueMs, () => {
    if (saturationLogged) return;
    saturationLogged = true;
    opts.log.warn(`All ${gate} upstream slots are busy; requests now wait up to ${config.limits.upstreamQueueMs} ms for one (agcp's own queue, not counted against any account).`);
  });

  return {
    config,
    version: opts.version,
    startedAt: Date.now(),
    log: opts.log,
    pool,
    upstream,
    credentials,
    signatures: createSignatureCache(),
    catalog,
    metrics,
    quota,
    state,
    upstreamGate,
    keys,
    requests,
    usage,
    forecast,
    machine: opts.machine ?? thisMachine(),
    async close() {
      quota.stop();
      stopForecast();
      stopKeyWatch();
      await usage.close();
      await state.close();
    },
  };
}
