/**
 * One server per process for the benchmarks, so the load generator never shares an event loop
 * with what it measures. Prints one JSON line `{"url": ..., "pid": ...}` on stdout once listening,
 * then answers line commands on stdin:
 *   mem   → {"rss", "heapUsed"} after a full GC (bytes)
 *   exit  → stops
 *
 *   bun scripts/bench-server.ts sim     --accounts 8
 *   bun scripts/bench-server.ts agcp    --accounts 8 --sim http://127.0.0.1:1234
 *   bun scripts/bench-server.ts forward --upstream http://127.0.0.1:1234
 *                                                       (the least a proxy can do: pass bytes on)
 *   bun scripts/bench-server.ts trivial                (a bare Bun.serve: the memory baseline)
 */
import { createConsola, LogLevels } from "consola";
import { withDemoUpstream } from "../src/cli/demo.ts";
import { resolveConfig, type ResolvedConfig } from "../src/config/resolve.ts";
import type { AgcpConfig } from "../src/config/types.ts";
import { startAgcp } from "../src/server/index.ts";
import { createSimulator } from "../src/sim/index.ts";
import type { SimAccountInit } from "../src/sim/types.ts";

/** Full-quota accounts with no rate limit: the bench measures the proxy, not the pool's throttles. */
export function benchAccounts(n: number): SimAccountInit[] {
  return Array.from({ length: n }, (_, i) => ({
    email: `bench${i + 1}@agcp.test`,
    refreshToken: `sim-refresh-bench-${i + 1}`,
    tier: "pro" as const,
  }));
}

/**
 * The pool's client-side token buckets (50 per account, 6/min) exist to pace real accounts; under
 * thousands of requests per second they would turn every request into a 250 ms "emergency" wait
 * and the bench would measure the throttle instead of the proxy. Everything else is the default.
 */
export const BENCH_CONFIG: AgcpConfig = {
  pool: { bucket: { max: 1e9, initial: 1e9, refillPerMinute: 1e9 } },
};

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function serve(mode: string): Promise<{ url: string; close(): Promise<void> }> {
  const accounts = benchAccounts(Number(arg("accounts") ?? 8));
  if (mode === "sim") {
    // Quota large enough that no bench run can exhaust it.
    const sim = createSimulator({ accounts, requestsPerQuota: 1e9 });
    const { url } = await sim.listen({ port: 0 });
    return { url, close: () => sim.close() };
  }
  if (mode === "agcp") {
    const simUrl = arg("sim");
    if (!simUrl) throw new Error("agcp mode needs --sim <url>");
    const resolved = resolveConfig({ file: BENCH_CONFIG, baseDir: process.cwd(), env: {}, homeDir: "/nonexistent" });
    const config: ResolvedConfig = { ...withDemoUpstream({ ...resolved, port: 0 }, simUrl, accounts), logLevel: "info" };
    // The default level a user runs with; warnings (none expected) go to stderr.
    const log = createConsola({ level: LogLevels.info, stdout: process.stderr, stderr: process.stderr }).withTag("agcp");
    const agcp = await startAgcp(config, { log });
    return { url: agcp.url, close: () => agcp.close() };
  }
  if (mode === "forward") {
    const upstream = arg("upstream");
    if (!upstream) throw new Error("forward mode needs --upstream <url>");
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", idleTimeout: 255, fetch: (req) => forward(upstream, req) });
    return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) };
  }
  if (mode === "trivial") {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
    return { url: `http://127.0.0.1:${server.port}`, close: () => server.stop(true) };
  }
  throw new Error(`unknown mode ${mode}; expected sim, agcp or trivial`);
}

const FORWARDED = ["authorization", "content-type", "accept"];

/** A pass-through proxy with no parsing at all: request bytes on, response bytes (streamed) back. */
async function forward(upstream: string, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const headers: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = req.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  const res = await fetch(`${upstream}${url.pathname}${url.search}`, { method: req.method, headers, body: await req.arrayBuffer(), signal: req.signal });
  return new Response(res.body, { status: res.status, headers: { "content-type": res.headers.get("content-type") ?? "application/octet-stream" } });
}

if (import.meta.main) {
  const server = await serve(process.argv[2] ?? "");
  console.log(JSON.stringify({ url: server.url, pid: process.pid }));
  for await (const line of console) {
    const command = line.trim();
    if (command === "mem") {
      Bun.gc(true);
      const m = process.memoryUsage();
      console.log(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed }));
    } else if (command === "exit") {
      break;
    }
  }
  await server.close();
  process.exit(0);
}
