/**
 * Opens the unstorage storage for the configured driver, plus the two things unstorage has no
 * word for: moving a bad entry aside, and (Redis) the driver's client for pub/sub and scripts.
 */
import type Redis from "ioredis";
import { stat } from "node:fs/promises";
import { createStorage, type Driver, type Storage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import type { ResolvedStorage } from "../config/resolve.ts";
import atomicFsDriver, { fileForKey, moveFileAside, sweepTempFiles } from "./fs-driver.ts";
import { CORRUPT_MARK } from "./keys.ts";
import type { StateLog } from "./types.ts";

export type DriverName = ResolvedStorage["driver"];

export interface Backend {
  driver: DriverName;
  storage: Storage;
  /** Directory or Redis URL with the password hidden. */
  location: string;
  /** How to name an entry in messages: a file path or a Redis key. */
  describe(key: string): string;
  /** Moves a bad entry out of the way under `<name>.corrupt-<stamp>`; where it went, if it still existed. */
  moveAside(key: string, stamp: string): Promise<string | undefined>;
  /** The driver's ioredis client (redis only). */
  redis?: Redis;
  dispose(): Promise<void>;
}

export interface BackendOptions {
  storage: ResolvedStorage;
  log: StateLog;
  now: () => number;
  /** Replaces the configured driver (tests, benchmarks). */
  driver?: Driver;
}

/** Temp files younger than this may belong to a process writing right now. */
const STALE_TEMP_MS = 60_000;

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable redis url)";
  }
}

async function warnIfShared(dir: string, log: StateLog): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info && (info.mode & 0o077) !== 0) {
    log.warn(
      `State directory ${dir} is readable by other users (mode ${(info.mode & 0o777).toString(8)}); agcp's files in it are 0600, but consider \`chmod 700 ${dir}\`.`,
    );
  }
}

export async function openBackend(opts: BackendOptions): Promise<Backend> {
  const cfg = opts.storage;
  if (opts.driver) {
    const storage = createStorage({ driver: opts.driver });
    return {
      driver: cfg.driver,
      storage,
      location: `custom ${opts.driver.name ?? "driver"}`,
      describe: (key) => `key ${key}`,
      async moveAside(key, stamp) {
        const raw = await storage.getItemRaw(key);
        if (raw === null) return undefined;
        await storage.setItemRaw(`${key}${CORRUPT_MARK}${stamp}`, raw);
        await storage.removeItem(key);
        return `key ${key}${CORRUPT_MARK}${stamp}`;
      },
      dispose: () => storage.dispose(),
    };
  }

  if (cfg.driver === "memory") {
    const storage = createStorage({ driver: memoryDriver() });
    return {
      driver: "memory",
      storage,
      location: "process memory, forgotten on exit",
      describe: (key) => `memory key ${key}`,
      async moveAside(key) {
        // Nothing to keep for later inspection: the process holds the only copy.
        await storage.removeItem(key);
        return undefined;
      },
      dispose: () => storage.dispose(),
    };
  }

  if (cfg.driver === "fs") {
    const base = cfg.dir;
    await warnIfShared(base, opts.log);
    const swept = await sweepTempFiles(base, STALE_TEMP_MS, opts.now()).catch(() => 0);
    if (swept > 0) opts.log.debug(`[state] removed ${swept} temp file(s) left by an interrupted write in ${base}`);
    const storage = createStorage({ driver: atomicFsDriver({ base }) });
    return {
      driver: "fs",
      storage,
      location: base,
      describe: (key) => fileForKey(base, key),
      moveAside: (key, stamp) => moveFileAside(base, key, `${CORRUPT_MARK}${stamp}`),
      dispose: () => storage.dispose(),
    };
  }

  if (!cfg.url) throw new Error('storage.url is required for the "redis" driver');
  // Loaded only for the redis driver: ioredis is a large module every fs or memory start would pay for.
  const { default: redisDriver } = await import("unstorage/drivers/redis");
  const driver = redisDriver({
    url: cfg.url,
    base: cfg.prefix,
    // Fail fast while disconnected: the state layer keeps serving from memory and retries itself.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: (times: number) => Math.min(100 * times, 1_000),
    // No auto-pipelining: it defers sends to setImmediate, which under load held shared-bucket
    // answers back for several requests and let instances overspend.
    enableAutoPipelining: false,
  });
  const client = driver.getInstance?.() as Redis;
  const storage = createStorage({ driver });
  const prefixed = (key: string) => `${cfg.prefix}:${key}`;
  return {
    driver: "redis",
    storage,
    location: redactUrl(cfg.url),
    describe: (key) => `redis key ${prefixed(key)}`,
    async moveAside(key, stamp) {
      const to = `${prefixed(key)}${CORRUPT_MARK}${stamp}`;
      const moved = await client.renamenx(prefixed(key), to).catch((err: Error) => {
        if (/no such key/i.test(err.message)) return 0;
        throw err;
      });
      return moved ? `redis key ${to}` : undefined;
    },
    redis: client,
    dispose: () => storage.dispose(),
  };
}
