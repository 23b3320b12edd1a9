/** Two agcp instances on one real redis-server, one simulated upstream. */
import { afterAll, describe, expect, test } from "bun:test";
import { onlyCooldown, startAgcpOn, startSim, type Agcp, type Sim } from "./agcp-helpers.ts";
import { startRedis, until, type RedisServer } from "./helpers.ts";

const redis = await startRedis();
afterAll(async () => {
  await redis?.stop();
});

let prefixes = 0;

async function twoInstances(sim: Sim, server: RedisServer, edit?: Parameters<typeof startAgcpOn>[2]): Promise<[Agcp, Agcp]> {
  const storage = { driver: "redis" as const, url: server.url, prefix: `e2e${++prefixes}` };
  return [await startAgcpOn(sim, storage, edit), await startAgcpOn(sim, storage, edit)];
}

describe.skipIf(!redis)("two agcp instances sharing one Redis", () => {
  const server = redis as RedisServer;

  test("a quota 429 seen by instance A makes instance B skip that account for every model of the pool within 1 s", async () => {
    const sim = await startSim(2);
    const [one, two] = sim.accounts.map((a) => a.email) as [string, string];
    const [a, b] = await twoInstances(sim, server);
    try {
      await sim.patch(one, { quota: 0, resetInMs: 60_000 });
      const sent = performance.now();
      expect(await a.ask()).toEqual({ ok: true, account: two, attempts: 2 });
      const cooled = onlyCooldown(a, one)!;
      await until("B to skip the account", () => onlyCooldown(b, one), 1_000, 5);
      expect(performance.now() - sent).toBeLessThan(1_000);
      expect(onlyCooldown(b, one)).toEqual(cooled);
      const before = await (await fetch(`${sim.url}/__sim/stats`)).json();
      for (let i = 0; i < 4; i++) expect(await b.ask()).toEqual({ ok: true, account: two, attempts: 1 });
      // The cooldown is the Claude pool's: another Claude model on B does not pay a 429 to find out.
      expect(cooled.model).toBe("pool:claude");
      for (const model of ["claude-opus-4-6", "claude-opus-4-6-thinking"]) expect(await b.ask(model)).toEqual({ ok: true, account: two, attempts: 1 });
      const after = await (await fetch(`${sim.url}/__sim/stats`)).json();
      expect(JSON.stringify(after.rateLimited ?? after["429"] ?? null)).toBe(JSON.stringify(before.rateLimited ?? before["429"] ?? null));
      const health = await (await fetch(`${b.agcp.url}/health`)).json();
      expect(health.accounts).toMatchObject({ total: 2, cooling: 1 });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await sim.close();
    }
  });

  test("2 instances × 50-token buckets give 50 requests before throttling, not 100", async () => {
    const sim = await startSim(1);
    const [a, b] = await twoInstances(sim, server, (c) => ({
      ...c,
      pool: {
        ...c.pool,
        bucket: { ...c.pool.bucket, max: 50, initial: 50, refillPerMinute: 0 },
        // Throttled selections would wait far longer than a request may: they fail at once instead.
        ladder: { emergencyDelayMs: 60_000, lastResortDelayMs: 60_000 },
        maxWaitMs: 100,
      },
    }));
    try {
      let served = 0;
      for (let i = 0; i < 110; i++) {
        const r = await (i % 2 === 0 ? a : b).ask();
        if (!r.ok) break;
        served++;
      }
      // Not 100: the relay asks the shared bucket (one Lua call) before every send.
      expect(served).toBe(50);
      // Both instances agree the bucket is spent.
      for (const x of [a, b]) expect(x.agcp.runtime.pool.account(sim.accounts[0]!.email)!.tokens).toBeLessThan(1);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await sim.close();
    }
  });

  // Last: it kills and restarts the server.
  test("Redis killed mid-run: both keep serving, then resync when it is back", async () => {
    const sim = await startSim(2);
    const [one, two] = sim.accounts.map((a) => a.email) as [string, string];
    const [a, b] = await twoInstances(sim, server);
    try {
      expect((await a.ask()).ok).toBe(true);
      await server.kill();
      await until("both instances to notice", () => !a.agcp.runtime.state.status().connected && !b.agcp.runtime.state.status().connected);
      for (let i = 0; i < 3; i++) {
        expect((await a.ask()).ok).toBe(true);
        expect((await b.ask()).ok).toBe(true);
      }
      // A limit A meets while Redis is away...
      await sim.patch(one, { quota: 0, resetInMs: 60_000 });
      let cooledOnA = false;
      for (let i = 0; i < 3 && !cooledOnA; i++) {
        expect((await a.ask()).ok).toBe(true);
        cooledOnA = onlyCooldown(a, one) !== undefined;
      }
      expect(cooledOnA).toBe(true);
      expect(onlyCooldown(b, one)).toBeUndefined();
      for (const x of [a, b]) expect(x.lines.filter((l) => l.type === "warn" && /unreachable/.test(l.text)).length).toBe(1);

      // ...reaches B once Redis is back.
      await server.restart();
      await until("B to learn A's cooldown", () => onlyCooldown(b, one), 5_000, 20);
      expect(onlyCooldown(b, one)).toEqual(onlyCooldown(a, one));
      for (let i = 0; i < 3; i++) expect(await b.ask()).toMatchObject({ ok: true, account: two });
      expect(a.lines.some((l) => /is back: resyncing/.test(l.text))).toBe(true);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await sim.close();
    }
  });
});
