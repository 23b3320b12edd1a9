/** agcp end to end with the fs driver: restarts, and bad files on disk. */
import { afterAll, describe, expect, test } from "bun:test";
import { readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { onlyCooldown, startAgcpOn, startSim, type Agcp } from "./agcp-helpers.ts";
import { captureLog, removeTempDirs, storage, tempDir, until } from "./helpers.ts";
import { openStateStore } from "../../src/state/store.ts";

afterAll(removeTempDirs);

describe("agcp with the fs driver", () => {
  test("after a restart the cooldown is still there; the account is skipped until its reset and no longer", async () => {
    const sim = await startSim(2);
    const [one, two] = sim.accounts.map((a) => a.email) as [string, string];
    const dir = tempDir();
    try {
      await sim.patch(one, { quota: 0, resetInMs: 1_500 });
      const first = await startAgcpOn(sim, { driver: "fs", dir });
      const answer = await first.ask();
      expect(answer).toEqual({ ok: true, account: two, attempts: 2 }); // round-robin tried `one` first: 429
      const cooled = onlyCooldown(first, one)!;
      expect(cooled.until - Date.now()).toBeGreaterThan(800);
      await first.close();

      // Upstream would take `one` again now: only the saved cooldown can keep it out.
      await sim.patch(one, { quota: 1 });
      const second = await startAgcpOn(sim, { driver: "fs", dir });
      expect(onlyCooldown(second, one)).toEqual(cooled);
      expect(second.agcp.runtime.pool.account(one)!.status).toBe("cooling");
      for (let i = 0; i < 3; i++) expect(await second.ask()).toMatchObject({ ok: true, account: two, attempts: 1 });

      await Bun.sleep(Math.max(0, cooled.until - Date.now()) + 20);
      const after = [await second.ask(), await second.ask()];
      expect(after.some((r) => r.ok && r.account === one)).toBe(true);
      expect(second.agcp.runtime.pool.account(one)!.status).toBe("available");
      await second.close();
    } finally {
      await sim.close();
    }
  });

  test("/account-limits after a restart shows the same cooldowns, health and quota; expired cooldowns are gone", async () => {
    const sim = await startSim(2);
    const [one, two] = sim.accounts.map((a) => a.email) as [string, string];
    const dir = tempDir();
    const limits = async (a: Agcp) => (await fetch(`${a.agcp.url}/account-limits`)).json();
    // What must survive: per account, health, cooldowns and remaining quota (tokens refill with time, so not those).
    const essence = (report: any) =>
      Object.fromEntries(
        report.accounts.map((x: any) => [
          x.id,
          {
            health: x.health,
            cooldowns: x.cooldowns,
            pools: x.pools,
            quota: Object.fromEntries(Object.entries(x.quota).map(([m, q]: [string, any]) => [m, q.remaining])),
            windows: x.windows.map((w: any) => [w.pool, w.window, w.remaining, w.resetAt]),
          },
        ]),
      );
    try {
      await sim.patch(one, { quota: 0, resetInMs: 60_000 });
      await sim.patch(two, { quota: 0, resetInMs: 300 });
      const first = await startAgcpOn(sim, { driver: "fs", dir });
      // Exhausted quota with a reset time cools each account until then, without spending a request.
      await first.agcp.runtime.quota.refreshAll();
      const before = essence(await limits(first));
      for (const id of [one, two]) {
        expect(before[id].pools.claude.status).toBe("out");
        expect(before[id].pools.gemini.status).toBe("out");
      }
      expect(Object.keys(before[one].quota).length).toBeGreaterThan(0);
      expect(before[one].windows.length).toBe(4);
      await first.close();

      await Bun.sleep(400); // two's cooldown ends while agcp is down
      const second = await startAgcpOn(sim, { driver: "fs", dir });
      try {
        const after = essence(await limits(second));
        expect(after[one]).toEqual(before[one]);
        expect(after[two].health).toBe(before[two].health);
        expect(after[two].cooldowns).toEqual([]);
        expect(after[two].pools.claude.status).not.toBe("out");
        expect(after[two].windows).toEqual([]); // past their reset: unknown until read again
      } finally {
        await second.close();
      }
    } finally {
      await sim.close();
    }
  });

  test("a corrupt state file: agcp starts, serves, and says which file it moved aside", async () => {
    const sim = await startSim(2);
    const [one, two] = sim.accounts.map((a) => a.email) as [string, string];
    const dir = tempDir();
    try {
      mkdirSync(join(dir, "pool"), { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, "pool", `${one}.json`), '{"version":1,"state":{"id":"demo1@ag');
      writeFileSync(join(dir, "pool", `${two}.json`), JSON.stringify({ version: 1, state: { id: two, cooldowns: "soon" } }));
      const agcp = await startAgcpOn(sim, { driver: "fs", dir });
      const warnings = agcp.lines.filter((l) => l.type === "warn").map((l) => l.text);
      expect(warnings.length).toBe(2);
      expect(warnings.find((w) => w.includes(`${one}.json`))).toMatch(/is not valid JSON .*moved it to .*\.json\.corrupt-.*clean state/);
      expect(warnings.find((w) => w.includes(`${two}.json`))).toMatch(/wrong type/);
      expect(readdirSync(join(dir, "pool")).filter((f) => f.includes(".corrupt-")).length).toBe(2);
      expect(agcp.agcp.runtime.state.status().problems.length).toBe(2);
      expect((await agcp.ask()).ok).toBe(true);
      await agcp.close();
      // The clean state was written back; the next start has nothing to say.
      const again = await startAgcpOn(sim, { driver: "fs", dir });
      expect(again.lines.filter((l) => l.type === "warn")).toEqual([]);
      await again.close();
    } finally {
      await sim.close();
    }
  });

  test("accounts added at run time are routable at once and after a restart; strategy changes persist", async () => {
    const sim = await startSim(3);
    const [, , three] = sim.accounts as [unknown, unknown, { email: string; refreshToken: string }];
    const dir = tempDir();
    try {
      // Config knows two accounts; the third is added through the runtime (what the console does).
      const only2 = (c: Parameters<NonNullable<Parameters<typeof startAgcpOn>[2]>>[0]) => ({ ...c, accounts: c.accounts.slice(0, 2) });
      const first = await startAgcpOn(sim, { driver: "fs", dir }, only2);
      const rt = first.agcp.runtime;
      const added = await rt.state.accounts.add({ email: three.email, refreshToken: three.refreshToken });
      expect(added).toMatchObject({ label: three.email, source: "stored", enabled: true });
      expect(JSON.stringify(await rt.state.accounts.list())).not.toContain(three.refreshToken);
      await expect(rt.state.accounts.add({ email: sim.accounts[0]!.email, refreshToken: "x" })).rejects.toThrow(/agcp\.config\.ts/);
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) {
        const r = await first.ask();
        if (r.ok) seen.add(r.account);
      }
      expect(seen.has(three.email)).toBe(true);
      await rt.state.setStrategy("sticky");
      expect(rt.pool.strategy).toBe("sticky");
      await first.close();

      const second = await startAgcpOn(sim, { driver: "fs", dir }, only2);
      expect(second.agcp.runtime.pool.account(three.email)).toBeDefined();
      expect(second.agcp.runtime.credentials.get(three.email)?.refreshToken).toBe(three.refreshToken);
      expect(second.agcp.runtime.pool.strategy).toBe("sticky");
      expect(await second.agcp.runtime.state.accounts.remove(three.email)).toBe(true);
      expect(second.agcp.runtime.pool.account(three.email)).toBeUndefined();
      await second.close();

      // A strategy given at startup (here: config says hybrid now) wins over the stored one.
      const third = await startAgcpOn(sim, { driver: "fs", dir }, (c) => ({ ...only2(c), strategy: "hybrid" }));
      expect(third.agcp.runtime.pool.strategy).toBe("hybrid");
      expect(third.agcp.runtime.pool.account(three.email)).toBeUndefined();
      await third.close();
    } finally {
      await sim.close();
    }
  });

  test("a running server on the fs store picks up what another process (the CLI) changes, within a second or so", async () => {
    const sim = await startSim(2);
    const [, two] = sim.accounts as [unknown, { email: string; refreshToken: string }];
    const dir = tempDir();
    const onlyFirst = (c: Parameters<NonNullable<Parameters<typeof startAgcpOn>[2]>>[0]) => ({ ...c, accounts: c.accounts.slice(0, 1) });
    const server = await startAgcpOn(sim, { driver: "fs", dir }, onlyFirst);
    // What `agcp accounts add|disable|remove` does: a store of its own on the same folder, no server involved.
    const cli = await openStateStore({ storage: storage({ driver: "fs", dir }), log: captureLog() });
    try {
      const pool = server.agcp.runtime.pool;
      expect(pool.account(two.email)).toBeUndefined();
      await cli.accounts.add({ email: two.email, refreshToken: two.refreshToken });
      await until("the server to see the added account", () => pool.account(two.email), 3_000, 20);
      expect(server.agcp.runtime.credentials.get(two.email)?.refreshToken).toBe(two.refreshToken);
      await cli.accounts.setEnabled(two.email, false);
      await until("the server to see it disabled", () => pool.account(two.email)?.enabled === false, 3_000, 20);
      await cli.accounts.remove(two.email);
      await until("the server to drop it", () => pool.account(two.email) === undefined, 3_000, 20);
    } finally {
      await cli.close();
      await server.close();
      await sim.close();
    }
  });
});
