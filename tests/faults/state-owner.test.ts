// One agcp server per fs state folder: a second `agcp start` on a folder in use refuses, pointing to
// the Redis driver, and the first instance's cooldowns survive; a lock left by a crash is taken over.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { acquireFolderLock, FolderInUseError, LOCK_FILE, systemProbe } from "../../src/state/folder-lock.ts";
import { freePort, runCli } from "../cli/helpers.ts";
import { onlyCooldown, startAgcpOn, startSim, type Sim } from "../state/agcp-helpers.ts";

let sim: Sim;
const dirs: string[] = [];
const folder = () => {
  const dir = mkdtempSync(join(tmpdir(), "agcp-owner-"));
  dirs.push(dir);
  return dir;
};
beforeAll(async () => {
  sim = await startSim(2);
});
afterAll(async () => {
  await sim?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

/** A pid no process has now: one that just exited. */
async function deadPid(): Promise<number> {
  const p = Bun.spawn(["true"]);
  await p.exited;
  return p.pid;
}

describe("a second `agcp start` on a folder in use", () => {
  test("refuses with exit 1 and a message pointing to the Redis driver; the first instance's cooldowns survive", async () => {
    const dir = folder();
    const first = await startAgcpOn(sim, { driver: "fs", dir });
    const victim = sim.accounts[0]!.email;
    try {
      // Give the first instance a cooldown worth keeping: the account it picks first is out of quota.
      await sim.patch(victim, { quota: 0, resetInMs: 3_600_000 });
      for (let i = 0; i < 3 && !onlyCooldown(first, victim); i++) await first.ask();
      const cooldown = onlyCooldown(first, victim);
      expect(cooldown).toBeDefined();
      expect(existsSync(join(dir, LOCK_FILE))).toBe(true);

      const configFile = join(folder(), "agcp.config.json");
      writeFileSync(configFile, JSON.stringify({ port: await freePort(), accounts: [{ label: victim, refreshToken: "x" }], storage: { driver: "fs", dir } }));
      const second = await runCli(["start", "--config", configFile]);
      expect(second.code).toBe(1);
      const said = second.stdout + second.stderr;
      expect(said).toContain(`state folder ${dir} is in use`);
      expect(said).toContain(`pid ${process.pid}`);
      expect(said).toContain('driver: "redis"');

      // The first one goes on as before, with its cooldown; it is saved and survives a restart.
      expect(onlyCooldown(first, victim)).toEqual(cooldown);
      expect((await first.ask()).ok).toBe(true);
      await first.close();
      expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
      const again = await startAgcpOn(sim, { driver: "fs", dir });
      try {
        expect(onlyCooldown(again, victim)).toEqual(cooldown);
      } finally {
        await again.close();
      }
    } finally {
      await first.close();
      await sim.patch(victim, { quota: 1 });
    }
  }, 30_000);
});

describe("a lock left behind by a crash", () => {
  test("whose process is gone is taken over, with a warning", async () => {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: await deadPid(), host: hostname(), since: "2026-01-01T00:00:00.000Z" }));
    const agcp = await startAgcpOn(sim, { driver: "fs", dir });
    try {
      expect((await agcp.ask()).ok).toBe(true);
      expect(agcp.lines.some((l) => l.type === "warn" && l.text.includes("no longer running"))).toBe(true);
      expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid).toBe(process.pid);
    } finally {
      await agcp.close();
    }
  });

  test("whose pid now belongs to another process (another start time) is taken over; a live owner is not", async () => {
    const dir = folder();
    const ticks = systemProbe.startTicks(process.pid);
    if (ticks === undefined) return console.warn("no /proc here: pid reuse cannot be told apart");
    // Our own pid, but a start time that is not ours: the process that wrote it is gone.
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: process.pid, startTicks: ticks - 1, bootId: systemProbe.bootId(), host: hostname(), since: "x" }));
    const lock = await acquireFolderLock(dir);
    try {
      // Now a live owner (this process, its real start time): a second taker is refused.
      const refused = await acquireFolderLock(dir).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(FolderInUseError);
    } finally {
      await lock.release();
    }
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
  });

  test("a cut-off lock file (crash while writing it) does not block the folder", async () => {
    const dir = folder();
    writeFileSync(join(dir, LOCK_FILE), '{"pid": 12');
    const lock = await acquireFolderLock(dir);
    await lock.release();
  });
});
