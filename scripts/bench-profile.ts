/**
 * CPU profile of agcp under the bench load, to find what to make cheaper.
 *
 *   bun scripts/bench-profile.ts [stream] [--connections 64] [--seconds 8] [--out /tmp/agcp-prof]
 *
 * Writes Bun's .cpuprofile and a markdown summary (--cpu-prof-md) of the agcp process to --out.
 */
import { mkdirSync } from "node:fs";
import { benchRequest } from "./bench-overhead.ts";
import { percentile, runLoad } from "./bench-load.ts";
import { spawnServer } from "./bench-procs.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const streaming = process.argv.includes("stream");
const out = arg("out", "/tmp/agcp-prof");
mkdirSync(out, { recursive: true });

const sim = await spawnServer("sim", ["--accounts", "8"]);
const agcp = await spawnServer("agcp", ["--accounts", "8", "--sim", sim.url], ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${out}`]);
try {
  const result = await runLoad({
    url: `${agcp.url}/v1/messages`,
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "bench" },
    body: JSON.stringify(benchRequest(streaming)),
    connections: Number(arg("connections", "64")),
    durationSec: Number(arg("seconds", "8")),
  });
  console.log(`${result.rps.toFixed(0)} req/s, p50 ${percentile(result.latency, 50).toFixed(2)} ms, failed ${result.failed}`);
} finally {
  await agcp.close();
  await sim.close();
}
console.log(`profile in ${out}`);
