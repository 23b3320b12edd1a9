/**
 * autocannon as a library, with what its summary cannot give: latency at sub-millisecond
 * resolution (its histogram keeps whole milliseconds) and time to first body byte per request,
 * both taken from its per-request events so nothing extra runs on the measured path.
 */
import { createRequire } from "node:module";

interface AutocannonClient {
  on(event: "request" | "body", listener: () => void): void;
}

interface AutocannonOptions {
  url: string;
  method: "POST" | "GET";
  headers: Record<string, string>;
  body?: string;
  connections: number;
  duration: number;
  timeout: number;
  setupClient?: (client: AutocannonClient) => void;
}

interface AutocannonResult {
  requests: { total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
  statusCodeStats?: Record<string, { count: number }>;
}

interface AutocannonInstance extends PromiseLike<AutocannonResult> {
  on(event: "response", listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
}

type Autocannon = (opts: AutocannonOptions) => AutocannonInstance;

// autocannon ships no types; this is the slice of its API used here.
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSec: number;
}

export interface LoadResult {
  /** Completed 2xx responses per second. */
  rps: number;
  ok: number;
  failed: number;
  /** Full response time per 2xx request, ms. */
  latency: number[];
  /** Request written → first body byte, ms (2xx only). */
  ttfb: number[];
  statuses: Record<string, number>;
}

/** Closed-loop load: `connections` keep-alive sockets, each sending the next request as soon as the last answer ends. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const latency: number[] = [];
  const ttfb: number[] = [];
  // Time to first byte of the answer a client is waiting for; read when that answer completes.
  const firstByte = new Map<unknown, number>();
  const instance = autocannon({
    url: spec.url,
    method: "POST",
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    duration: spec.durationSec,
    timeout: 30,
    setupClient(client) {
      let sentAt = 0;
      client.on("request", () => {
        sentAt = performance.now();
        firstByte.delete(client);
      });
      client.on("body", () => {
        if (!firstByte.has(client)) firstByte.set(client, performance.now() - sentAt);
      });
    },
  });
  instance.on("response", (client, status, _bytes, ms) => {
    const t = firstByte.get(client);
    if (status < 200 || status >= 300) return;
    latency.push(ms);
    if (t !== undefined) ttfb.push(t);
  });
  const result = await instance;
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count;
  return {
    rps: latency.length / result.duration,
    ok: latency.length,
    failed: result.non2xx + result.errors + result.timeouts,
    latency,
    ttfb,
    statuses,
  };
}

export function merge(results: readonly LoadResult[]): LoadResult {
  const out: LoadResult = { rps: 0, ok: 0, failed: 0, latency: [], ttfb: [], statuses: {} };
  let seconds = 0;
  for (const r of results) {
    out.ok += r.ok;
    out.failed += r.failed;
    seconds += r.rps > 0 ? r.ok / r.rps : 0;
    for (const v of r.latency) out.latency.push(v);
    for (const v of r.ttfb) out.ttfb.push(v);
    for (const [k, v] of Object.entries(r.statuses)) out.statuses[k] = (out.statuses[k] ?? 0) + v;
  }
  out.rps = seconds > 0 ? out.ok / seconds : 0;
  return out;
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
