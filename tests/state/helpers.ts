import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_TUNING, type PoolTuning } from "../../src/pool/tuning.ts";
import type { ResolvedStorage } from "../../src/config/resolve.ts";
import type { StateLog } from "../../src/state/types.ts";
import { freePort, startRedisServer, type RedisServer } from "../support/loopback.ts";

export { freePort, type RedisServer };

export const tempDirs: string[] = [];

export function tempDir(prefix = "agcp-state-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function storage(over: Partial<ResolvedStorage> = {}): ResolvedStorage {
  return { driver: "memory", dir: "/nonexistent", prefix: "agcp", flushIntervalMs: 50, ...over };
}

export interface CapturedLog extends StateLog {
  lines: Array<{ level: "debug" | "info" | "warn" | "error"; message: string }>;
  warnings(): string[];
  text(): string;
}

export function captureLog(): CapturedLog {
  const lines: CapturedLog["lines"] = [];
  const at = (level: CapturedLog["lines"][number]["level"]) => (message: string) => void lines.push({ level, message });
  return {
    lines,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    warnings: () => lines.filter((l) => l.level === "warn").map((l) => l.message),
    text: () => lines.map((l) => `${l.level}: ${l.message}`).join("\n"),
  };
}

export function tuningWith(edit: (t: PoolTuning) => void): PoolTuning {
  const t = structuredClone(DEFAULT_TUNING);
  edit(t);
  return t;
}

/** Polls `check` until it returns a truthy value; returns it, or throws naming `what`. */
export async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 3_000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

// ---- a real redis-server per test file ---------------------------------------------------------

/**
 * Starts `redis-server` on a free loopback port, without persistence. Returns undefined only
 * when it is not installed and this is not CI (where it must be: .ci/run installs it).
 */
export async function startRedis(): Promise<RedisServer | undefined> {
  const bin = Bun.which("redis-server");
  if (!bin) {
    if (process.env.CI) {
      throw new Error(
        "redis-server is not installed, and the state tests need a real one. Install the Debian package (`apt-get install redis-server`; .ci/run does this).",
      );
    }
    console.warn("[tests/state] redis-server not found: skipping the Redis tests (they never skip in CI).");
    return undefined;
  }
  return startRedisServer();
}
