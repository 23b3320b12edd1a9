/**
 * Can agcp keep its state where the config says? For "fs" the answer has to come from the
 * folder's ownership and mode bits as well as from trying: root can write anywhere the mode bits
 * forbid, so a probe alone would call a 0555 folder fine when run as root, and the service user
 * (not root) would then fail. For "redis" it is a PING.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ResolvedStorage } from "../config/resolve.ts";
import { redactUrl } from "../state/backend.ts";
import type { Finding } from "./types.ts";

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

export interface FsProbe {
  uid: number;
}

/** The nearest existing folder at or above `dir` (where a missing state folder would be created). */
function existingAncestor(dir: string): string {
  let current = dir;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}

export function checkFsState(dir: string, probe: FsProbe = { uid: process.getuid?.() ?? 0 }): Finding[] {
  const check = "state";
  const subject = dir;
  const findings: Finding[] = [];
  const target = existsSync(dir) ? dir : existingAncestor(dir);
  let st;
  try {
    st = statSync(target);
  } catch (error) {
    return [{ check, subject, status: "fail", message: `Cannot inspect ${target}: ${(error as Error).message}`, fix: `Create it: mkdir -p -m 700 ${dir}` }];
  }
  if (!st.isDirectory()) {
    return [{ check, subject, status: "fail", message: `${target} is not a folder.`, fix: `Point storage.dir at a folder, or move ${target} away.` }];
  }
  const mode = st.mode & 0o777;
  const creating = target !== dir;
  const what = creating ? `${target} (where ${dir} would be created)` : `State folder ${dir}`;
  // Mode bits first: they are what a non-root service user meets, whoever runs doctor.
  if ((mode & 0o300) !== 0o300) {
    findings.push({
      check,
      subject,
      status: "fail",
      message: `${what} is not writable by its owner (mode ${octal(mode)})${probe.uid === 0 ? "; root gets past that, a service user would not" : ""}.`,
      fix: `chmod 700 ${target}`,
    });
  }
  if (st.uid !== probe.uid && probe.uid !== 0) {
    findings.push({
      check,
      subject,
      status: "fail",
      message: `${what} belongs to another user (uid ${st.uid}); agcp runs as uid ${probe.uid}.`,
      fix: `sudo chown -R $(id -u):$(id -g) ${target}, or set storage.dir to a folder of your own`,
    });
  }
  if (!creating && mode & 0o002) {
    findings.push({
      check,
      subject,
      status: "fail",
      message: `State folder ${dir} is writable by every user (mode ${octal(mode)}): anyone could replace the stored accounts.`,
      fix: `chmod 700 ${dir}`,
    });
  } else if (!creating && mode & 0o055 && readableTokenFiles(dir).length > 0) {
    findings.push({
      check,
      subject,
      status: "warn",
      message: `State folder ${dir} (mode ${octal(mode)}) lets other users read files holding refresh tokens: ${readableTokenFiles(dir).join(", ")}.`,
      fix: `chmod -R go-rwx ${dir}`,
    });
  }
  // Then the real thing: can this process create a file there (read-only mounts, full disks, ACLs)?
  if (findings.every((f) => f.status !== "fail")) {
    const file = join(target, `.agcp-doctor-${randomBytes(4).toString("hex")}`);
    try {
      writeFileSync(file, "probe", { mode: 0o600 });
      rmSync(file);
    } catch (error) {
      findings.push({
        check,
        subject,
        status: "fail",
        message: `Cannot write in ${target}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
        fix: (error as NodeJS.ErrnoException).code === "EROFS" ? "It is on a read-only file system: set storage.dir to a writable folder." : `chmod 700 ${target} (and check its owner)`,
      });
    }
  }
  if (findings.length === 0) {
    findings.push({ check, subject, status: "ok", message: `${creating ? `${dir} will be created in ${target}` : `State folder ${dir}`} is writable and private (mode ${octal(mode)}).` });
  }
  return findings;
}

/** Stored-account and state files other users can read. */
function readableTokenFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 3) return;
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name.endsWith(".json")) {
        try {
          if (statSync(p).mode & 0o044) out.push(p);
        } catch {}
      }
    }
  };
  walk(dir, 0);
  return out;
}

export async function checkRedisState(url: string, timeoutMs = 3_000): Promise<Finding[]> {
  const { default: Redis } = await import("ioredis");
  const shown = redactUrl(url);
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on("error", () => {});
  try {
    await client.connect();
    const pong = await client.ping();
    return [{ check: "state", subject: shown, status: "ok", message: `Redis at ${shown} answers PING (${pong}).` }];
  } catch (error) {
    return [{
      check: "state",
      subject: shown,
      status: "fail",
      message: `Redis at ${shown} does not answer: ${(error as Error).message}.`,
      fix: "Start Redis there (redis-server), or correct storage.url (password, host, port, database).",
    }];
  } finally {
    client.disconnect();
  }
}

export async function checkStateStore(storage: ResolvedStorage): Promise<Finding[]> {
  if (storage.driver === "memory") {
    return [{ check: "state", status: "ok", message: 'storage.driver is "memory": nothing to check, and nothing survives a restart (accounts add/import need "fs" or "redis").' }];
  }
  if (storage.driver === "redis") return checkRedisState(storage.url ?? "");
  return checkFsState(storage.dir);
}
