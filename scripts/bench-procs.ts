/** Child processes for the benchmarks: one server each, driven over stdin/stdout line by line. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
export { freePort } from "../tests/support/loopback.ts";

export const REPO = join(import.meta.dir, "..");
const SERVER_SCRIPT = join(import.meta.dir, "bench-server.ts");

export interface ServerProcess {
  url: string;
  pid: number;
  /** Resident set size now, from /proc (bytes); no GC first. */
  rss(): number;
  /** Peak resident set size since start, from /proc (bytes). */
  peakRss(): number;
  /** CPU time (user + system) the process has used so far, ms. */
  cpuMs(): number;
  /** RSS and heap after a full GC inside the child (bytes). */
  memAfterGc(): Promise<{ rss: number; heapUsed: number }>;
  close(): Promise<void>;
}

/** Reads a byte stream as lines, one awaited line at a time. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return async function next(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const nl = buffered.indexOf("\n");
      if (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        return line;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("child process did not answer in time");
      const chunk = await Promise.race([
        reader.read(),
        new Promise<"timeout">((r) => setTimeout(() => r("timeout"), left)),
      ]);
      if (chunk === "timeout") continue;
      if (chunk.done) throw new Error("child process closed its output");
      buffered += decoder.decode(chunk.value, { stream: true });
    }
  };
}

/** `bun scripts/bench-server.ts <mode> ...args`; `bunFlags` e.g. ["--cpu-prof"] for profiling. */
export async function spawnServer(mode: "sim" | "agcp" | "forward" | "trivial", args: string[] = [], bunFlags: string[] = []): Promise<ServerProcess> {
  const proc = Bun.spawn([process.execPath, ...bunFlags, SERVER_SCRIPT, mode, ...args], {
    cwd: REPO,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const next = lineReader(proc.stdout);
  const ready = JSON.parse(await next(30_000)) as { url: string; pid: number };
  const command = async (text: string) => {
    proc.stdin.write(`${text}\n`);
    await proc.stdin.flush();
  };
  return {
    url: ready.url,
    pid: proc.pid,
    rss: () => procStatus(proc.pid, "VmRSS"),
    peakRss: () => procStatus(proc.pid, "VmHWM"),
    cpuMs: () => cpuMs(proc.pid),
    async memAfterGc() {
      await command("mem");
      return JSON.parse(await next(30_000)) as { rss: number; heapUsed: number };
    },
    async close() {
      await command("exit").catch(() => {});
      const exited = await Promise.race([proc.exited, Bun.sleep(5_000).then(() => "timeout" as const)]);
      if (exited === "timeout") proc.kill("SIGKILL");
    },
  };
}

/** A field of /proc/<pid>/status in bytes (Linux). */
export function procStatus(pid: number, field: "VmRSS" | "VmHWM"): number {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

let clockTicks: number | undefined;

/** utime + stime of a process from /proc/<pid>/stat (Linux), in ms. */
export function cpuMs(pid: number): number {
  clockTicks ??= Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

