/**
 * One agcp server per fs state folder. Two servers on one folder each keep the pool in memory and
 * write it back in turn, so each overwrites the other's cooldowns (last writer wins) and both hammer
 * accounts the other knows to be exhausted. Sharing state between instances is what the Redis driver
 * is for; the fs driver gets an owner.
 *
 * The lock is a file `agcp.lock` in the folder, created exclusively, holding the owner's pid, its
 * start time (from /proc, where there is one) and the boot it belongs to. A lock whose owner is
 * gone — no such process, or a process with that pid that started at another time (the pid was
 * reused after a crash or a reboot) — is stale and taken over. `agcp accounts …` commands do not
 * take it: they read and write single documents next to a running server, as designed.
 */
import { readFileSync } from "node:fs";
import { mkdir, open, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { DIR_MODE, FILE_MODE } from "./fs-driver.ts";

export const LOCK_FILE = "agcp.lock";

export interface LockOwner {
  pid: number;
  /** Process start time in clock ticks since boot (/proc/<pid>/stat field 22); absent off Linux. */
  startTicks?: number;
  bootId?: string;
  host: string;
  /** Wall-clock time the lock was taken (ISO), for humans. */
  since: string;
}

export class FolderInUseError extends Error {
  override readonly name = "FolderInUseError";
  constructor(
    readonly dir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `The state folder ${dir} is in use by another agcp (pid ${owner.pid} on ${owner.host}, since ${owner.since}). ` +
        `Two servers on one fs folder overwrite each other's cooldowns. To run several instances, share their state ` +
        `through Redis (storage: { driver: "redis", url: "redis://…" }, see "Scaling out" in the README); ` +
        `otherwise give this one its own storage.dir, or stop the other one first. If no agcp uses the folder ` +
        `any more, delete ${join(dir, LOCK_FILE)}.`,
    );
  }
}

export interface FolderLock {
  readonly path: string;
  /** Removes the lock if it is still ours. */
  release(): Promise<void>;
}

export interface LockProbe {
  /** Whether a process with this pid exists. */
  alive(pid: number): boolean;
  /** Its start time in clock ticks since boot, when the platform tells. */
  startTicks(pid: number): number | undefined;
  bootId(): string | undefined;
}

export const systemProbe: LockProbe = {
  alive(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      // EPERM: it exists but belongs to someone else.
      return (err as NodeJS.ErrnoException).code === "EPERM";
    }
  },
  startTicks(pid) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ticks = Number(fields[19]);
      return Number.isFinite(ticks) ? ticks : undefined;
    } catch {
      return undefined;
    }
  },
  bootId() {
    try {
      return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      return undefined;
    }
  },
};

/** Whether the recorded owner still runs: same boot, pid alive, and (where known) the same start time. */
export function ownerAlive(owner: LockOwner, probe: LockProbe, host = hostname()): boolean {
  // A folder shared with another machine: its processes cannot be looked at from here.
  if (owner.host !== host) return true;
  const boot = probe.bootId();
  if (owner.bootId && boot && owner.bootId !== boot) return false;
  if (!probe.alive(owner.pid)) return false;
  if (owner.startTicks === undefined) return true;
  const ticks = probe.startTicks(owner.pid);
  return ticks === undefined || ticks === owner.startTicks;
}

export interface AcquireOptions {
  probe?: LockProbe;
  /** Told when a stale lock is taken over. */
  onStale?(owner: LockOwner | undefined): void;
  now?: () => number;
}

export async function acquireFolderLock(dir: string, options: AcquireOptions = {}): Promise<FolderLock> {
  const probe = options.probe ?? systemProbe;
  const now = options.now ?? Date.now;
  await mkdir(dir, { recursive: true, mode: DIR_MODE });
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = {
    pid: process.pid,
    ...optional("startTicks", probe.startTicks(process.pid)),
    ...optional("bootId", probe.bootId()),
    host: hostname(),
    since: new Date(now()).toISOString(),
  };
  const text = `${JSON.stringify(me)}\n`;

  for (let tries = 0; tries < 3; tries++) {
    try {
      const handle = await open(path, "wx", FILE_MODE);
      try {
        await handle.writeFile(text);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return lockAt(path, me);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const owner = await readOwner(path);
    // A cut-off lock file (crash while writing it) has no owner worth waiting for.
    if (owner && ownerAlive(owner, probe)) throw new FolderInUseError(dir, owner);
    options.onStale?.(owner);
    // Replace it in one step, so two starters racing over a stale lock cannot both win: each writes
    // its own file and renames it over; then whoever's content is there owns the folder.
    const mine = `${path}.${process.pid}.tmp`;
    await writeFile(mine, text, { mode: FILE_MODE });
    await rename(mine, path);
    const after = await readOwner(path);
    if (after && after.pid === me.pid && after.since === me.since) return lockAt(path, me);
  }
  const owner = await readOwner(path);
  throw new FolderInUseError(dir, owner ?? { pid: 0, host: "unknown", since: "unknown" });
}

function lockAt(path: string, me: LockOwner): FolderLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      const owner = await readOwner(path);
      if (owner && owner.pid === me.pid && owner.since === me.since) await unlink(path).catch(() => {});
    },
  };
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    const value = JSON.parse(await readFile(path, "utf8")) as Partial<LockOwner>;
    if (typeof value.pid !== "number" || !Number.isInteger(value.pid) || value.pid <= 0) return undefined;
    return {
      pid: value.pid,
      ...optional("startTicks", typeof value.startTicks === "number" ? value.startTicks : undefined),
      ...optional("bootId", typeof value.bootId === "string" ? value.bootId : undefined),
      host: typeof value.host === "string" ? value.host : "unknown",
      since: typeof value.since === "string" ? value.since : "unknown",
    };
  } catch {
    return undefined;
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
