import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const REPO = resolve(import.meta.dir, "../..");
export const MAIN = join(REPO, "src/cli/main.ts");

export function tempDir(prefix = "agcp-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Environment for child processes: no AGCP_* leaking in from the developer's shell, no colors. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("AGCP_")) env[k] = v;
  return { ...env, NO_COLOR: "1", XDG_STATE_HOME: join(tmpdir(), "agcp-cli-state"), ...extra };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `bun src/cli/main.ts ...args` (or a compiled binary) to completion. */
export async function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string>; bin?: string[] } = {}): Promise<CliResult> {
  const proc = Bun.spawn([...(opts.bin ?? [process.execPath, MAIN]), ...args], {
    cwd: opts.cwd ?? tempDir(),
    env: cleanEnv(opts.env),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** A port that was free a moment ago (the OS picks it). */
export { freePort } from "../support/loopback.ts";

/** Poll `url` until it answers 200 or `timeoutMs` passes. */
export async function waitForOk(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return res;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error;
    }
    await Bun.sleep(50);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${String(last)})`);
}

export interface RunningCli {
  proc: Bun.Subprocess<"ignore" | "pipe", "pipe", "pipe">;
  /** Everything printed so far (stdout + stderr). */
  output(): string;
  /** Waits for the exit and for the last output. */
  finish(): Promise<{ code: number; text: string }>;
  /** Resolves with the first match of `re` in the output, or rejects after `timeoutMs`. */
  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

/** Start a long-running CLI command and collect its output as it comes. */
export function spawnCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; bin?: string[]; stdin?: "ignore" | "pipe" } = {},
): RunningCli {
  const proc = Bun.spawn([...(opts.bin ?? [process.execPath, MAIN]), ...args], {
    cwd: opts.cwd ?? tempDir(),
    env: cleanEnv(opts.env),
    stdin: opts.stdin ?? "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const drained = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  return {
    proc,
    output: () => text,
    async finish() {
      const code = await proc.exited;
      await drained;
      return { code, text };
    },
    async waitFor(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const m = text.match(re);
        if (m) return m;
        if (proc.exitCode !== null) break;
        await Bun.sleep(20);
      }
      // After exit, the output may still be in the pipes.
      if (proc.exitCode !== null) await drained;
      const m = text.match(re);
      if (m) return m;
      throw new Error(`no ${re} in output (exit ${proc.exitCode}):\n${text}`);
    },
  };
}
