/**
 * Start-up: launch of the compiled binary until its first `/health` 200, next to a trivial
 * `bun -e` server launched and polled the same way (what Bun itself costs to start and listen).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchAccounts } from "./bench-server.ts";
import { freePort, REPO } from "./bench-procs.ts";

export const BINARY = join(REPO, "dist/agcp");

export interface StartupResult {
  /** Milliseconds from spawn to the first 200, one per launch. */
  agcpMs: number[];
  baselineMs: number[];
  /** True when this run had to (re)build dist/agcp. */
  built: boolean;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/agcp like `npm run build` when it is missing or older than the sources. */
export async function ensureBinary(): Promise<boolean> {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= newestMtime(join(REPO, "src"))) return false;
  const build = Bun.spawn(
    [process.execPath, "build", "--compile", "--minify", "--sourcemap", "src/cli/main.ts", "--outfile", "dist/agcp"],
    { cwd: REPO, stdout: "ignore", stderr: "pipe" },
  );
  const [code, err] = await Promise.all([build.exited, new Response(build.stderr).text()]);
  if (code !== 0) throw new Error(`bun build --compile failed (${code}):\n${err}`);
  return true;
}

/** A config file pointing the binary at the bench simulator (no request is made before /health answers). */
function writeConfig(dir: string, simUrl: string, accounts: number): string {
  const file = join(dir, "agcp.config.ts");
  const config = {
    host: "127.0.0.1",
    logLevel: "warn",
    accounts: benchAccounts(accounts).map((a) => ({ label: a.email, refreshToken: a.refreshToken })),
    upstream: {
      hosts: [simUrl],
      oauth: { tokenUrl: `${simUrl}/token`, userinfoUrl: `${simUrl}/oauth2/v1/userinfo`, clientId: "agcp-bench", clientSecret: "agcp-bench" },
    },
    storage: { driver: "fs", dir: join(dir, "state") },
  };
  writeFileSync(file, `export default ${JSON.stringify(config, null, 2)};\n`);
  return file;
}

async function timeToHealthy(argv: (port: number) => string[], cwd: string, path: string): Promise<number> {
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("AGCP_")) env[k] = v;
  const started = performance.now();
  const proc = Bun.spawn(argv(port), { cwd, env: { ...env, NO_COLOR: "1" }, stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  try {
    const deadline = started + 15_000;
    while (performance.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}${path}`);
        await res.arrayBuffer();
        if (res.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (proc.exitCode !== null) throw new Error(`process exited ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
      await Bun.sleep(1);
    }
    throw new Error(`no 200 from ${path} within 15 s`);
  } finally {
    proc.kill("SIGTERM");
    const exited = await Promise.race([proc.exited, Bun.sleep(5_000).then(() => "timeout" as const)]);
    if (exited === "timeout") proc.kill("SIGKILL");
  }
}

export async function benchStartup(opts: { simUrl: string; accounts: number; launches: number; onProgress?: (text: string) => void }): Promise<StartupResult> {
  opts.onProgress?.("start-up: building dist/agcp if needed");
  const built = await ensureBinary();
  const dir = mkdtempSync(join(tmpdir(), "agcp-bench-start-"));
  try {
    const config = writeConfig(dir, opts.simUrl, opts.accounts);
    const trivial = (port: number) => [
      process.execPath,
      "-e",
      `Bun.serve({ hostname: "127.0.0.1", port: ${port}, fetch: () => new Response("ok") })`,
    ];
    const agcp = (port: number) => [BINARY, "start", "--config", config, "--port", String(port)];
    const agcpMs: number[] = [];
    const baselineMs: number[] = [];
    opts.onProgress?.(`start-up: ${opts.launches} launches each`);
    // One untimed launch each warms the page cache, then they alternate.
    await timeToHealthy(trivial, dir, "/");
    await timeToHealthy(agcp, dir, "/health");
    for (let i = 0; i < opts.launches; i++) {
      baselineMs.push(await timeToHealthy(trivial, dir, "/"));
      agcpMs.push(await timeToHealthy(agcp, dir, "/health"));
    }
    return { agcpMs, baselineMs, built };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
