/**
 * unstorage driver for the "fs" storage. unstorage's own fs drivers write in place with the
 * default mode: a crash mid-write leaves half a file, and other users may read it. These files
 * hold refresh tokens, so every write goes to a private temp file (0600), is synced, then renamed
 * over the target (atomic on POSIX), in folders created 0700.
 *
 * Key "pool:alice" is the file <base>/pool/alice.json. Only *.json files are entries: temp files
 * and moved-aside files are never mistaken for state.
 */
import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { defineDriver } from "unstorage";

export const FS_DRIVER_NAME = "agcp-fs";
const EXT = ".json";
const TMP_MARK = ".tmp-";
export const DIR_MODE = 0o700;
export const FILE_MODE = 0o600;

export interface AtomicFsOptions {
  /** Absolute directory. */
  base: string;
}

export function fileForKey(base: string, key: string): string {
  return join(base, ...key.split(":")) + EXT;
}

const isMissing = (err: unknown) => (err as { code?: string }).code === "ENOENT";

let tmpCounter = 0;

/** Writes `data` to `path` so that readers only ever see the old or the new content, never a mix. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
  const tmp = `${path}${TMP_MARK}${process.pid}-${++tmpCounter}`;
  const handle = await open(tmp, "wx", FILE_MODE);
  try {
    await handle.writeFile(data, "utf8");
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}

async function walk(dir: string, visit: (file: string, name: string) => void | Promise<void>): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, visit);
    else if (e.isFile()) await visit(path, e.name);
  }
}

/**
 * Removes temp files a killed process left behind. Only old ones: a second process (the
 * `agcp accounts` CLI next to a running server) may be writing right now.
 */
export async function sweepTempFiles(base: string, olderThanMs: number, now: number): Promise<number> {
  let removed = 0;
  await walk(base, async (file, name) => {
    if (!name.includes(`${EXT}${TMP_MARK}`)) return;
    const info = await stat(file).catch(() => undefined);
    if (info && now - info.mtimeMs >= olderThanMs) {
      await unlink(file).catch(() => {});
      removed++;
    }
  });
  return removed;
}

/** Renames a bad entry's file to `<name>.corrupt-<stamp>`; returns the new path. */
export async function moveFileAside(base: string, key: string, suffix: string): Promise<string | undefined> {
  const from = fileForKey(base, key);
  const to = `${from}${suffix}`;
  try {
    await rename(from, to);
    return to;
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

export default defineDriver((opts: AtomicFsOptions) => {
  if (!opts?.base) throw new Error(`[${FS_DRIVER_NAME}] "base" is required`);
  const base = opts.base;
  const file = (key: string) => fileForKey(base, key);
  const read = async (key: string) => {
    try {
      return await readFile(file(key), "utf8");
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  };
  return {
    name: FS_DRIVER_NAME,
    options: opts,
    async hasItem(key: string) {
      return (await read(key)) !== null;
    },
    getItem: read,
    getItemRaw: read,
    setItem: (key: string, value: string) => writeFileAtomic(file(key), value),
    async removeItem(key: string) {
      await unlink(file(key)).catch((err) => {
        if (!isMissing(err)) throw err;
      });
    },
    async getKeys(prefix: string) {
      const keys: string[] = [];
      const root = prefix ? join(base, ...prefix.split(":").filter(Boolean)) : base;
      await walk(root, (path, name) => {
        if (!name.endsWith(EXT)) return;
        keys.push(relative(base, path).slice(0, -EXT.length).split(sep).join(":"));
      });
      return keys;
    },
  };
});
