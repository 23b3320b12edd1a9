/**
 * Request-path overhead of the state layer. One "request" is the pool calls the relay makes:
 * select(), consumeToken() on the winner, reportSuccess(). It is timed with no state layer (the
 * baseline), then with the pool attached to a memory, fs and redis store, in the same run, and
 * reported as a ratio to the baseline. Background work (coalesced flushes, Redis answers) runs
 * between requests, as it would between real ones, so its cost on the event loop is counted.
 * "redis + check" also awaits the shared bucket's answer per request (RuntimeState.tokenGranted,
 * the relay hook that makes N instances share one bucket exactly): one Redis round trip.
 *
 * Run: bun scripts/bench-state.ts
 * Redis rows need redis-server on PATH (started on a free loopback port) or AGCP_BENCH_REDIS_URL.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { startRedisServer } from "../tests/support/loopback.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResolvedStorage } from "../src/config/resolve.ts";
import { createPool, type Pool } from "../src/pool/pool.ts";
import { DEFAULT_TUNING, type PoolTuning } from "../src/pool/tuning.ts";
import { openStateStore, type StateStore } from "../src/state/store.ts";

export type StateBenchVariant = "none" | "memory" | "fs" | "redis" | "redis + check";

export interface StateBenchRow {
  variant: StateBenchVariant;
  accounts: number;
  /** Median over rounds of mean microseconds per request-path step (wall time, background work included). */
  usPerRequest: number;
  /** usPerRequest / the no-state baseline's. */
  ratio: number;
}

export interface StateBenchOptions {
  accounts?: number;
  /** Requests per timed round. */
  requests?: number;
  rounds?: number;
  /** Use this Redis instead of starting redis-server. */
  redisUrl?: string;
  /** Redis rows are left out when no server can be had; this says why. */
  onSkip?: (why: string) => void;
}

const MODEL = "claude-sonnet-4-5";
/** Requests between yields to the event loop (where flushes and Redis answers run). */
const BATCH = 50;

const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Buckets that never run dry, so every request stays on the normal selection level. */
const TUNING: PoolTuning = {
  ...DEFAULT_TUNING,
  bucket: { ...DEFAULT_TUNING.bucket, max: 1e9, initial: 1e9 },
};

function basePool(accounts: number): Pool {
  return createPool({
    accounts: Array.from({ length: accounts }, (_, i) => ({ id: `acct-${i + 1}` })),
    tuning: TUNING,
    strategy: "hybrid",
  });
}

const tick = () => new Promise<void>((r) => setImmediate(r));

async function timeRequests(pool: Pool, requests: number, store?: StateStore, check = false): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < requests; ) {
    for (let k = 0; k < BATCH && i < requests; k++, i++) {
      const sel = pool.select(MODEL, { sessionId: `s${i % 16}` });
      if (!sel.ok) throw new Error(`bench pool ran dry: ${sel.message}`);
      pool.consumeToken(sel.accountId);
      if (check && store && !(await store.tokenGranted(sel.accountId, sel.level))) throw new Error("shared bucket refused a token");
      pool.reportSuccess(sel.accountId, MODEL);
    }
    await tick();
  }
  return ((performance.now() - start) * 1000) / requests;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

export async function benchStateOverhead(options: StateBenchOptions = {}): Promise<StateBenchRow[]> {
  const accounts = options.accounts ?? 100;
  const requests = options.requests ?? 20_000;
  const rounds = options.rounds ?? 5;
  const dir = mkdtempSync(join(tmpdir(), "agcp-bench-state-"));
  let redis: { url: string; stop(): Promise<void> } | undefined;
  let redisUrl = options.redisUrl ?? process.env.AGCP_BENCH_REDIS_URL;
  if (!redisUrl) {
    redis = await startRedisServer();
    redisUrl = redis?.url;
    if (!redisUrl) options.onSkip?.("redis rows skipped: redis-server not on PATH (or did not start) and no AGCP_BENCH_REDIS_URL");
  }

  const storageFor = (driver: ResolvedStorage["driver"], round: number): ResolvedStorage => ({
    driver,
    dir: join(dir, `r${round}`),
    ...(redisUrl && { url: redisUrl }),
    prefix: `bench${round}-${process.pid}`,
    flushIntervalMs: 1_000,
  });

  const variants: StateBenchVariant[] = ["none", "memory", "fs", ...(redisUrl ? (["redis", "redis + check"] as const) : [])];
  const samples = new Map<StateBenchVariant, number[]>(variants.map((v) => [v, []]));
  try {
    // Warm-up so the JIT has compiled the request path before anything is timed.
    await timeRequests(basePool(accounts), requests);
    for (let round = 0; round < rounds; round++) {
      // A different order each round, so no variant always pays for the previous one's garbage.
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const variant of order) {
        if (variant === "none") {
          Bun.gc(true);
          samples.get(variant)!.push(await timeRequests(basePool(accounts), requests));
          continue;
        }
        const driver = variant.startsWith("redis") ? "redis" : (variant as "memory" | "fs");
        const store = await openStateStore({ storage: storageFor(driver, round), log: silent });
        Bun.gc(true);
        const pool = store.attach(basePool(accounts));
        samples.get(variant)!.push(await timeRequests(pool, requests, store, variant === "redis + check"));
        await store.close();
      }
    }
  } finally {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const base = median(samples.get("none")!);
  return variants.map((variant) => {
    const us = median(samples.get(variant)!);
    return { variant, accounts, usPerRequest: us, ratio: base > 0 ? us / base : 0 };
  });
}

export function stateTable(rows: readonly StateBenchRow[]): string {
  const lines = ["| state driver | accounts | µs / request (pool calls) | × no state |", "|---|---:|---:|---:|"];
  for (const r of rows) {
    lines.push(`| ${r.variant} | ${r.accounts.toLocaleString("en")} | ${r.usPerRequest.toFixed(2)} | ${r.ratio.toFixed(2)} |`);
  }
  return lines.join("\n");
}

if (import.meta.main) {
  console.log(stateTable(await benchStateOverhead({ onSkip: (why) => console.error(why) })));
}
