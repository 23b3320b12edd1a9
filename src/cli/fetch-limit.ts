/**
 * Bun's fetch keeps at most 256 requests in flight per process unless BUN_CONFIG_MAX_HTTP_REQUESTS
 * says otherwise, and it reads that variable only when the process starts. Past 256 concurrent
 * streams the rest queued inside Bun, their upstream deadlines ran out while they waited, and the
 * accounts were blamed for agcp's own queue. So `agcp start` runs the server in a child process
 * started with the limit raised to Bun's maximum; agcp's own upstream gate (limits.upstreamConcurrency)
 * then decides how many are in flight, and waiting for it never counts against an account.
 *
 * The parent only relays: signals go to the child (which runs in its own process group, so a
 * terminal's Ctrl-C reaches it once, through the parent), and its exit code becomes the parent's.
 * The child watches its parent and shuts down if the parent disappears (SIGKILL).
 */
export const FETCH_LIMIT_ENV = "BUN_CONFIG_MAX_HTTP_REQUESTS";
/** Bun's own maximum. agcp's gate (config) is what actually bounds upstream requests. */
export const RAISED_FETCH_LIMIT = 65_535;
/** Set in the child: the parent's pid, which it watches. */
const PARENT_ENV = "AGCP_SUPERVISOR_PID";
/** Bun's default when the variable is absent. */
export const BUN_DEFAULT_FETCH_LIMIT = 256;

/** The fetch limit this process started with. */
export function fetchLimit(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env[FETCH_LIMIT_ENV]);
  return Number.isInteger(n) && n >= 1 && n <= 65_535 ? n : BUN_DEFAULT_FETCH_LIMIT;
}

/** Whether `args` run the server and this process cannot yet hold enough upstream requests. */
export function needsRelaunch(args: readonly string[], env: Record<string, string | undefined> = process.env): boolean {
  if (typeof Bun === "undefined" || env[FETCH_LIMIT_ENV] !== undefined || env[PARENT_ENV] !== undefined) return false;
  if (!args.includes("start") || args.includes("--help") || args.includes("-h")) return false;
  return true;
}

/**
 * Runs this same command in a child with the raised limit; resolves with the child's exit code, or
 * undefined when the child cannot be started (e.g. a foreign-architecture binary run through
 * `qemu-aarch64 agcp`, which cannot exec itself: spawn throws, or the child exits 127 at once):
 * then the caller serves in this process, where the upstream gate stays below Bun's default limit.
 */
export async function relaunchWithRaisedFetchLimit(): Promise<number | undefined> {
  // A compiled binary reports its embedded entry as argv[1]; the executable itself takes the args.
  const entry = process.argv[1] ?? "";
  const compiled = entry.startsWith("/$bunfs/") || entry.startsWith("B:/~BUN/") || entry.startsWith("B:\\~BUN\\");
  const cmd = [process.execPath, ...(compiled ? [] : [entry]), ...process.argv.slice(2)];
  let child: Bun.Subprocess;
  try {
    child = Bun.spawn({
      cmd,
      env: { ...process.env, [FETCH_LIMIT_ENV]: String(RAISED_FETCH_LIMIT), [PARENT_ENV]: String(process.pid) },
      stdio: ["inherit", "inherit", "inherit"],
      detached: true,
    });
  } catch {
    return undefined;
  }
  const forward = (signal: NodeJS.Signals) => () => {
    try {
      child.kill(signal);
    } catch {}
  };
  for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, forward(s));
  const code = await child.exited;
  // 127: the child could not run this executable at all (the exec failed after the fork, as under
  // qemu-user). agcp itself never exits with 127, so nothing has been served yet: serve here.
  if (code === 127 && !child.signalCode) {
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.removeAllListeners(s);
    return undefined;
  }
  if (child.signalCode) {
    const numbers: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
    return 128 + (numbers[child.signalCode] ?? 1);
  }
  return code;
}

/** In the child: shut down (as on SIGTERM) when the parent that relays for it is gone. */
export function watchSupervisor(env: Record<string, string | undefined> = process.env): void {
  const parent = Number(env[PARENT_ENV]);
  if (!Number.isInteger(parent) || parent <= 0) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    process.kill(process.pid, "SIGTERM");
  }, 500);
  timer.unref?.();
}
