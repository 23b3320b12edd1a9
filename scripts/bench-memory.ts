/**
 * agcp's resident memory, each figure next to a bare Bun.serve process measured the same way
 * (Bun's runtime alone is a large part of any Bun server's RSS).
 */
import { benchRequest } from "./bench-overhead.ts";
import { runLoad } from "./bench-load.ts";
import { spawnServer } from "./bench-procs.ts";

export interface MemoryResult {
  /** Bare Bun.serve, idle, after a full GC (bytes). */
  trivialRss: number;
  /** agcp with `smallAccounts` accounts, idle, after a full GC. */
  idleRss: number;
  smallAccounts: number;
  /** agcp with `largeAccounts` accounts, idle, after a full GC. */
  largeIdleRss: number;
  /** Highest RSS sampled while the large pool served load. */
  largePeakRss: number;
  /** After that load ended and a full GC. */
  largeAfterRss: number;
  largeHeapAfter: number;
  largeAccounts: number;
  /** Requests the large pool answered during the load (all must be 2xx). */
  largeRequests: number;
  largeFailed: number;
}

export interface MemoryOptions {
  smallAccounts: number;
  largeAccounts: number;
  loadSec: number;
  connections: number;
  /** Time for start-up work (first quota reads) to settle before the idle reading. */
  settleMs: number;
  onProgress?: (text: string) => void;
}

export async function benchMemory(opts: MemoryOptions): Promise<MemoryResult> {
  opts.onProgress?.("memory: bare Bun.serve");
  const trivial = await spawnServer("trivial");
  await Bun.sleep(opts.settleMs);
  const trivialRss = (await trivial.memAfterGc()).rss;
  await trivial.close();

  opts.onProgress?.(`memory: agcp idle with ${opts.smallAccounts} accounts`);
  const small = await withPair(opts.smallAccounts, async (agcp) => {
    await Bun.sleep(opts.settleMs);
    return (await agcp.memAfterGc()).rss;
  });

  opts.onProgress?.(`memory: agcp with ${opts.largeAccounts.toLocaleString("en")} accounts under load`);
  const large = await withPair(opts.largeAccounts, async (agcp) => {
    await Bun.sleep(opts.settleMs);
    const idle = (await agcp.memAfterGc()).rss;
    let peak = agcp.rss();
    const sampler = setInterval(() => {
      peak = Math.max(peak, agcp.rss());
    }, 50);
    // Half the connections stream, half do not: both paths hold memory while in flight.
    const [a, b] = await Promise.all(
      [true, false].map((stream) =>
        runLoad({
          url: `${agcp.url}/v1/messages`,
          headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "bench" },
          body: JSON.stringify(benchRequest(stream)),
          connections: Math.max(1, Math.floor(opts.connections / 2)),
          durationSec: opts.loadSec,
        }),
      ),
    );
    clearInterval(sampler);
    peak = Math.max(peak, agcp.rss());
    const after = await agcp.memAfterGc();
    return { idle, peak, after, requests: a!.ok + b!.ok, failed: a!.failed + b!.failed };
  });

  return {
    trivialRss,
    idleRss: small,
    smallAccounts: opts.smallAccounts,
    largeIdleRss: large.idle,
    largePeakRss: large.peak,
    largeAfterRss: large.after.rss,
    largeHeapAfter: large.after.heapUsed,
    largeAccounts: opts.largeAccounts,
    largeRequests: large.requests,
    largeFailed: large.failed,
  };
}

/** A fresh simulator and agcp with `accounts` accounts, for one measurement. */
async function withPair<T>(accounts: number, body: (agcp: Awaited<ReturnType<typeof spawnServer>>) => Promise<T>): Promise<T> {
  const sim = await spawnServer("sim", ["--accounts", String(accounts)]);
  try {
    const agcp = await spawnServer("agcp", ["--accounts", String(accounts), "--sim", sim.url]);
    try {
      return await body(agcp);
    } finally {
      await agcp.close();
    }
  } finally {
    await sim.close();
  }
}
