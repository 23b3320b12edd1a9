/**
 * A/B of agcp's CPU per request: the working tree against a git ref, both proxies in front of one
 * simulator, in interleaved rounds of the same autocannon load. On a shared 2-core machine a change
 * of a few percent drowns in the full bench's run-to-run noise; side by side it does not.
 *
 *   bun scripts/bench-ab.ts [ref=HEAD] [stream]      ROUNDS=4 SECS=4 CONNS=64
 *
 * The ref is checked out into a temporary git worktree sharing this checkout's node_modules.
 */
import { existsSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchRequest } from "./bench-overhead.ts";
import { percentile, runLoad } from "./bench-load.ts";
import { cpuMs, REPO, spawnServer } from "./bench-procs.ts";

const args = process.argv.slice(2);
const streaming = args.includes("stream");
const ref = args.find((a) => a !== "stream") ?? "HEAD";
const rounds = Number(process.env.ROUNDS ?? 4);
const seconds = Number(process.env.SECS ?? 4);
const connections = Number(process.env.CONNS ?? 64);

const worktree = join(tmpdir(), `agcp-ab-${process.pid}`);
const git = (...cmd: string[]) => Bun.spawnSync(["git", ...cmd], { cwd: REPO, stderr: "pipe" });
const added = git("worktree", "add", "--detach", worktree, ref);
if (added.exitCode !== 0) throw new Error(`git worktree add ${ref}: ${added.stderr.toString()}`);
symlinkSync(join(REPO, "node_modules"), join(worktree, "node_modules"));

const sim = await spawnServer("sim", ["--accounts", "8"]);
const sides = {
  [ref]: await spawnAgcpFrom(worktree),
  "working tree": await spawnAgcpFrom(REPO),
};
try {
  const body = JSON.stringify(benchRequest(streaming));
  const headers = { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": "bench" };
  const totals = Object.fromEntries(Object.keys(sides).map((k) => [k, { requests: 0, cpu: 0, rps: [] as number[], p50: [] as number[] }]));
  for (const side of Object.values(sides)) await runLoad({ url: `${side.url}/v1/messages`, headers, body, connections, durationSec: 1 });
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? Object.keys(sides).reverse() : Object.keys(sides);
    for (const name of order) {
      const side = sides[name]!;
      const before = cpuMs(side.pid);
      const res = await runLoad({ url: `${side.url}/v1/messages`, headers, body, connections, durationSec: seconds });
      const t = totals[name]!;
      t.cpu += cpuMs(side.pid) - before;
      t.requests += res.latency.length;
      t.rps.push(res.rps);
      t.p50.push(percentile(res.latency, 50));
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const rows = Object.entries(totals).map(([name, t]) => ({ name, cpuUs: (1000 * t.cpu) / t.requests, rps: median(t.rps), p50: median(t.p50) }));
  console.log(`| side | µs CPU / request | req/s | p50 ms |\n|---|---:|---:|---:|`);
  for (const row of rows) console.log(`| ${row.name} | ${row.cpuUs.toFixed(0)} | ${row.rps.toFixed(0)} | ${row.p50.toFixed(2)} |`);
  const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];
  console.log(`\nworking tree / ${ref}: CPU per request ×${(b.cpuUs / a.cpuUs).toFixed(3)}, throughput ×${(b.rps / a.rps).toFixed(3)}`);
} finally {
  for (const side of Object.values(sides)) side.close();
  await sim.close();
  git("worktree", "remove", "--force", worktree);
  if (existsSync(worktree)) rmSync(worktree, { recursive: true, force: true });
}

/** agcp from a given checkout, in its own process, against the shared simulator. */
async function spawnAgcpFrom(dir: string) {
  const proc = Bun.spawn([process.execPath, join(dir, "scripts/bench-server.ts"), "agcp", "--accounts", "8", "--sim", sim.url], {
    cwd: dir,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const reader = proc.stdout.getReader();
  let line = "";
  while (!line.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`agcp from ${dir} exited before listening`);
    line += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const { url, pid } = JSON.parse(line.split("\n")[0]!) as { url: string; pid: number };
  return { url, pid, close: () => proc.kill() };
}
