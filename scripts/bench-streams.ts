/**
 * Concurrent streams held through `agcp start`, with 0 errors: the figure behind "past 256
 * concurrent upstream requests agcp no longer blames its accounts for its own queue".
 *
 * The simulator (own process) holds every answer for --hold-ms before its first byte; agcp is
 * started the way a user starts it (`agcp start`, which raises Bun's fetch limit for its server
 * process); N streaming requests go out at once from node:http with unlimited sockets (this
 * process's fetch would queue past 256 itself). Per level: streams that completed, errors, the
 * most upstream requests the simulator saw in flight at once, and account health before/after.
 *
 *   bun scripts/bench-streams.ts [--levels 300,1000,2000] [--hold-ms 5000] [--accounts 8]
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchAccounts } from "./bench-server.ts";
import { freePort, REPO, spawnServer } from "./bench-procs.ts";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const LEVELS = arg("levels", "300,1000,2000").split(",").map(Number);
const HOLD_MS = Number(arg("hold-ms", "5000"));
const ACCOUNTS = Number(arg("accounts", "8"));
const BODY = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 32, stream: true, messages: [{ role: "user", content: "hold on" }] });

function stream(url: string, agent: http.Agent): Promise<"ok" | string> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: "POST", agent, headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve(res.statusCode === 200 && text.includes("event: message_stop") ? "ok" : `${res.statusCode} ${text.slice(-200)}`));
      res.on("error", (e) => resolve(`read: ${e.message}`));
    });
    req.on("error", (e) => resolve(`connect: ${e.message}`));
    req.end(BODY);
  });
}

async function health(base: string): Promise<number[]> {
  const report = (await (await fetch(`${base}/account-limits`)).json()) as { accounts: Array<{ health: number }> };
  return report.accounts.map((a) => a.health);
}

const sim = await spawnServer("sim", ["--accounts", String(ACCOUNTS)]);
const dir = mkdtempSync(join(tmpdir(), "agcp-bench-streams-"));
const port = await freePort();
writeFileSync(
  join(dir, "agcp.config.json"),
  JSON.stringify({
    port,
    logLevel: "warn",
    accounts: benchAccounts(ACCOUNTS).map((a) => ({ label: a.email, refreshToken: a.refreshToken })),
    storage: { driver: "memory" },
    upstream: {
      hosts: [sim.url],
      oauth: { tokenUrl: `${sim.url}/token`, userinfoUrl: `${sim.url}/oauth2/v1/userinfo`, authorizeUrl: `${sim.url}/o/oauth2/v2/auth` },
      requestTimeoutMs: HOLD_MS * 3,
    },
    pool: { bucket: { max: 1e9, initial: 1e9, refillPerMinute: 1e9 } },
  }),
);
const env: Record<string, string> = {};
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== "BUN_CONFIG_MAX_HTTP_REQUESTS") env[k] = v;
const agcp = Bun.spawn([process.execPath, join(REPO, "src/cli/main.ts"), "start", "--config", join(dir, "agcp.config.json")], { cwd: dir, env, stdout: "inherit", stderr: "inherit" });
const base = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  try {
    if ((await fetch(`${base}/health`)).ok) break;
  } catch {}
  if (i > 300) throw new Error("agcp did not start");
  await Bun.sleep(50);
}

const rows: string[] = [];
try {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  await stream(`${base}/v1/messages`, agent); // warm up: tokens, projects, quota
  await fetch(`${sim.url}/__sim/faults`, { method: "PATCH", body: JSON.stringify({ latencyMs: HOLD_MS }) });
  for (const n of LEVELS) {
    const before = await health(base);
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, ((await (await fetch(`${sim.url}/__sim/stats`)).json()) as { inflight: number }).inflight);
        await Bun.sleep(100);
      }
    })();
    const started = performance.now();
    const outcomes = await Promise.all(Array.from({ length: n }, () => stream(`${base}/v1/messages`, agent)));
    const seconds = (performance.now() - started) / 1000;
    sampling = false;
    await sampler;
    const errors = outcomes.filter((o) => o !== "ok");
    const after = await health(base);
    const dropped = after.filter((h, i) => h < before[i]!).length;
    rows.push(`| ${n} | ${n - errors.length} | ${errors.length} | ${peak} | ${Math.min(...before)}–${Math.max(...before)} → ${Math.min(...after)}–${Math.max(...after)} (${dropped} dropped) | ${seconds.toFixed(1)} s |`);
    if (errors.length > 0) console.error(`level ${n}: first errors:`, errors.slice(0, 3));
  }
  agent.destroy();
} finally {
  agcp.kill("SIGTERM");
  await agcp.exited;
  await sim.close();
}

console.log(`Concurrent streams through \`agcp start\`, each held ${HOLD_MS} ms by the simulator before it answers (${ACCOUNTS} accounts):\n`);
console.log("| streams at once | completed | errors | upstream in flight (peak) | account health | wall time |");
console.log("|---:|---:|---:|---:|---|---:|");
for (const r of rows) console.log(r);
