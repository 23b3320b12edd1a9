/**
 * Cost of one account selection per strategy at 10, 1,000 and 10,000 accounts, against a realistic
 * mixed pool (some cooled, some under their quota floor, some unhealthy or throttled, varied use).
 * Each timed step is what the request path does per attempt: select(), then consumeToken() on the
 * winner, with the clock 10 ms later each time (100 requests/s). The baseline column is one trivial
 * pass over the same accounts array, to show what "linear" would cost on this machine.
 * Run: bun scripts/bench-select.ts
 */
import { createPool, type Pool } from "../src/pool/pool.ts";
import { STRATEGIES, DEFAULT_TUNING, type StrategyName } from "../src/pool/tuning.ts";
import { UpstreamError } from "../src/upstream/errors.ts";
import { mulberry32 } from "../tests/support/loopback.ts";

export interface SelectionBenchRow {
  strategy: StrategyName;
  accounts: number;
  /** Mean microseconds per select() + consumeToken(). */
  usPerSelect: number;
  /** Mean microseconds for one trivial pass over the same accounts array. */
  baselineUs: number;
  /** usPerSelect / baselineUs. */
  ratio: number;
}

const MODELS = ["claude-sonnet-4-5", "claude-opus-4-5-thinking", "gemini-3-pro-high"];
const SIZES = [10, 1_000, 10_000];
/** Simulated time between selections: 100 requests per second, each taking a token. */
const STEP_MS = 10;


function mixedPool(n: number, strategy: StrategyName, clock: { now: number }): Pool {
  const rnd = mulberry32(n);
  const pool = createPool({
    accounts: Array.from({ length: n }, (_, i) => ({ id: `acct-${i + 1}` })),
    strategy,
    tuning: DEFAULT_TUNING,
    now: () => clock.now,
    random: rnd,
  });
  for (let i = 0; i < n; i++) {
    const id = `acct-${i + 1}`;
    const quota: Record<string, { fraction: number; resetAt?: number }> = {};
    for (const m of MODELS) quota[m] = { fraction: rnd() < 0.1 ? 0.03 : 0.1 + rnd() * 0.9, resetAt: clock.now + 5 * 3600_000 };
    pool.setQuota(id, quota);
    if (rnd() < 0.1) {
      const model = MODELS[Math.floor(rnd() * MODELS.length)] ?? MODELS[0]!;
      pool.reportFailure(id, model, new UpstreamError({ kind: "quota_exhausted", status: 429, message: "bench", resetAt: clock.now + 3600_000 }));
    }
    if (rnd() < 0.05) for (let k = 0; k < 3; k++) pool.reportFailure(id, "other", new UpstreamError({ kind: "network", message: "bench" }));
    const uses = Math.floor(rnd() * 30);
    for (let k = 0; k < uses; k++) pool.consumeToken(id);
    clock.now += 1;
  }
  return pool;
}

function timeLoop(iterations: number, body: (i: number) => void): number {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) body(i);
  return ((performance.now() - start) * 1000) / iterations;
}

export async function benchSelection(options: { sizes?: number[]; minMs?: number } = {}): Promise<SelectionBenchRow[]> {
  const rows: SelectionBenchRow[] = [];
  const minMs = options.minMs ?? 300;
  for (const size of options.sizes ?? SIZES) {
    for (const strategy of STRATEGIES) {
      const clock = { now: Date.UTC(2026, 10, 26, 12) };
      const pool = mixedPool(size, strategy, clock);
      const states = pool.snapshot();
      let sink = 0;
      const select = (i: number) => {
        clock.now += STEP_MS;
        const sel = pool.select(MODELS[i % MODELS.length]!, { sessionId: `s${i % 16}` });
        if (sel.ok) {
          pool.consumeToken(sel.accountId);
          sink++;
        }
      };
      const pass = () => {
        for (let k = 0; k < states.length; k++) sink += states[k]!.lastUsedAt;
      };
      // Warm up so the JIT has compiled both loops before timing.
      const warm = Math.max(200, Math.ceil(200_000 / size));
      timeLoop(warm, select);
      timeLoop(warm, pass);
      let iterations = warm;
      let us = 0;
      let base = 0;
      for (;;) {
        const t0 = performance.now();
        us = timeLoop(iterations, select);
        base = timeLoop(iterations, pass);
        if (performance.now() - t0 >= minMs) break;
        iterations *= 2;
      }
      if (sink === -1) console.log(sink); // keep the work observable
      rows.push({ strategy, accounts: size, usPerSelect: us, baselineUs: base, ratio: base > 0 ? us / base : 0 });
      await Promise.resolve();
    }
  }
  return rows;
}

export function selectionTable(rows: readonly SelectionBenchRow[]): string {
  const lines = [
    "| strategy | accounts | µs / select+consume | µs / trivial pass | ratio |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(`| ${r.strategy} | ${r.accounts.toLocaleString("en")} | ${r.usPerSelect.toFixed(2)} | ${r.baselineUs.toFixed(2)} | ${r.ratio.toFixed(1)} |`);
  }
  return lines.join("\n");
}

if (import.meta.main) {
  console.log(selectionTable(await benchSelection()));
}
