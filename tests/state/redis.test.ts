/**
 * Several instances on one real redis-server (started per file on a free loopback port).
 * Store-level: two stores with their own pools stand for two agcp processes.
 */
import { afterAll, describe, expect, test } from "bun:test";
import Redis from "ioredis";
import { createPool, type Pool } from "../../src/pool/pool.ts";
import { connectRuntimeState } from "../../src/state/runtime-state.ts";
import { openStateStore, type StateStore } from "../../src/state/store.ts";
import { MODEL, upstreamError } from "../pool/helpers.ts";
import { captureLog, startRedis, storage, tuningWith, until, type CapturedLog, type RedisServer } from "./helpers.ts";

const redis = await startRedis();
let prefixCounter = 0;

afterAll(async () => {
  await redis?.stop();
});

interface Instance {
  store: StateStore;
  pool: Pool;
  log: CapturedLog;
}

async function instance(server: RedisServer, prefix: string, opts: { ids?: string[]; strategy?: "round-robin" | "hybrid"; refill?: number } = {}): Promise<Instance> {
  const log = captureLog();
  const store = await openStateStore({
    storage: storage({ driver: "redis", url: server.url, prefix, flushIntervalMs: 100 }),
    log,
    connectTimeoutMs: 1_000,
  });
  const tuning = tuningWith((t) => {
    t.bucket.refillPerMinute = opts.refill ?? t.bucket.refillPerMinute;
  });
  const base = createPool({
    accounts: (opts.ids ?? ["a", "b", "c"]).map((id) => ({ id })),
    strategy: opts.strategy ?? "round-robin",
    tuning,
  });
  await store.loadInto(base);
  return { store, pool: store.attach(base), log };
}

/** One request's worth of pool calls, like the relay makes them. */
function request(p: Pool) {
  const sel = p.select(MODEL);
  if (!sel.ok) return undefined;
  p.consumeToken(sel.accountId);
  p.reportSuccess(sel.accountId, MODEL);
  return sel;
}

describe.skipIf(!redis)("redis: several instances, one pool", () => {
  const server = redis as RedisServer;
  let a: Instance;
  let b: Instance;
  let prefix: string;

  async function pair(opts: Parameters<typeof instance>[2] = {}) {
    prefix = `t${++prefixCounter}`;
    a = await instance(server, prefix, opts);
    b = await instance(server, prefix, opts);
  }
  async function closePair() {
    await Promise.all([a.store.close(), b.store.close()]);
  }

  test("a cooldown set on one instance is seen by the other well within a second", async () => {
    await pair();
    const started = performance.now();
    a.pool.reportFailure("a", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: Date.now() + 60_000 }));
    await until("B to see the cooldown", () => b.pool.account("a")!.pools.claude?.until, 1_000, 5);
    expect(performance.now() - started).toBeLessThan(1_000);
    for (let i = 0; i < 6; i++) {
      const sel = b.pool.select(MODEL);
      expect(sel.ok && sel.accountId).not.toBe("a");
    }
    // Invalid flags, quota and enabled travel the same way.
    a.pool.reportFailure("b", MODEL, upstreamError("auth_revoked"));
    a.pool.setQuota("c", { [MODEL]: { fraction: 0.25 } });
    await until("B to see the invalid flag and quota", () => b.pool.account("b")!.invalid && b.pool.account("c")!.quota[MODEL]);
    expect(b.pool.account("b")!.invalid!.kind).toBe("auth_revoked");
    expect(b.pool.account("c")!.quota[MODEL]!.fraction).toBe(0.25);
    a.pool.setEnabled("c", false);
    await until("B to see c disabled", () => b.pool.account("c")!.enabled === false);
    a.pool.setEnabled("c", true);
    await until("B to see c enabled again", () => b.pool.account("c")!.enabled === true);
    await closePair();
  });

  test("a new instance starts from the shared state", async () => {
    await pair();
    a.pool.reportFailure("a", MODEL, upstreamError("rate_limited", { status: 429, resetAt: Date.now() + 60_000 }));
    await a.store.flush();
    const c = await instance(server, prefix);
    expect(c.pool.account("a")!.cooldowns[MODEL]).toBeDefined();
    await Promise.all([closePair(), c.store.close()]);
  });

  test("two instances with 50-token buckets get 50 selections at the normal level, not 100", async () => {
    await pair({ ids: ["solo"], refill: 0 });
    let normal = 0;
    for (let i = 0; i < 120; i++) {
      const who = i % 2 === 0 ? a : b;
      const sel = who.pool.select(MODEL);
      if (!sel.ok || sel.level !== "normal") break;
      who.pool.consumeToken(sel.accountId);
      normal++;
      // Requests take upstream milliseconds; the shared answer arrives well before the next one.
      await Bun.sleep(2);
    }
    expect(normal).toBe(50);
    const client = new Redis(server.url);
    try {
      expect(Number(await client.hget(`${prefix}:bucket:solo`, "t"))).toBe(0);
    } finally {
      client.disconnect();
    }
    await closePair();
  });

  test("with the relay's check of the shared bucket, 100 concurrent requests on two instances get exactly 50 tokens", async () => {
    await pair({ ids: ["solo"], refill: 0 });
    /** The relay's steps: select, take, and (Redis) confirm the take; a refused take is given back. */
    async function relayLike(x: Instance): Promise<boolean> {
      for (let tries = 0; tries < 3; tries++) {
        const sel = x.pool.select(MODEL);
        if (!sel.ok || sel.level !== "normal") return false; // throttled
        x.pool.consumeToken(sel.accountId);
        if (await x.store.tokenGranted(sel.accountId, sel.level)) return true;
        x.pool.refundToken(sel.accountId);
      }
      return false;
    }
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => relayLike(i % 2 === 0 ? a : b)));
    expect(results.filter(Boolean).length).toBe(50);
    const client = new Redis(server.url);
    try {
      // Every refused take was given back: the shared bucket is exactly empty.
      await until("refunds to land", async () => Number(await client.hget(`${prefix}:bucket:solo`, "t")) === 0, 2_000);
    } finally {
      client.disconnect();
    }
    // Later requests, one at a time, are refused too.
    for (const x of [a, b, a]) expect(await relayLike(x)).toBe(false);
    await closePair();
  });

  test("without Redis the check resolves at once, and the last-resort level is never refused", async () => {
    const memory = await openStateStore({ storage: storage(), log: captureLog() });
    memory.attach(createPool({ accounts: [{ id: "x" }] }));
    expect(await memory.tokenGranted("x", "normal")).toBe(true);
    await memory.close();
    await pair({ ids: ["solo"], refill: 0 });
    for (let i = 0; i < 50; i++) a.pool.consumeToken("solo");
    expect(await a.store.tokenGranted("solo", "normal")).toBe(true); // A's 50th take: the last token
    b.pool.consumeToken("solo");
    expect(await b.store.tokenGranted("solo", "normal")).toBe(false);
    b.pool.consumeToken("solo");
    expect(await b.store.tokenGranted("solo", "last-resort")).toBe(true);
    await closePair();
  });

  test("round-robin rotates across instances instead of each instance rotating on its own", async () => {
    await pair({ ids: ["a", "b", "c"] });
    const picks: string[] = [];
    for (let i = 0; i < 30; i++) {
      const sel = request((i % 2 === 0 ? a : b).pool);
      if (!sel || !sel.ok) throw new Error("no selection");
      picks.push(sel.accountId);
      await Bun.sleep(2);
    }
    // Two independent rotations interleaved would give a a b b c c ...: every account twice in a
    // row. One shared rotation never repeats an account back to back (after the first pick each
    // instance makes before it has heard the shared position).
    const repeats = picks.slice(2).filter((id, i) => id === picks[i + 1]).length;
    expect(repeats).toBe(0);
    for (const id of ["a", "b", "c"]) expect(picks.filter((p) => p === id).length).toBeGreaterThanOrEqual(9);
    await closePair();
  });

  test("a corrupt shared entry is renamed aside and reported", async () => {
    prefix = `t${++prefixCounter}`;
    const client = new Redis(server.url);
    await client.set(`${prefix}:pool:a`, '{"version":1,"state":{"id":"a"');
    const x = await instance(server, prefix);
    expect(x.pool.account("a")!.cooldowns).toEqual({});
    expect(x.log.warnings().join("\n")).toMatch(new RegExp(`redis key ${prefix}:pool:a is not valid JSON.*moved it to redis key ${prefix}:pool:a\\.corrupt-`));
    expect((await client.keys(`${prefix}:pool:a.corrupt-*`)).length).toBe(1);
    expect(await client.exists(`${prefix}:pool:a`)).toBe(0);
    client.disconnect();
    await x.store.close();
  });

  /** What a server keeps of the state layer: its pool, credentials and run-time changes, on this test's prefix. */
  async function runtime() {
    const log = captureLog();
    const store = await openStateStore({ storage: storage({ driver: "redis", url: server.url, prefix }), log });
    const credentials = new Map([["cfg", { id: "cfg", refreshToken: "1//cfg" }]]);
    const state = await connectRuntimeState({
      store,
      pool: createPool({ accounts: [{ id: "cfg" }] }),
      credentials,
      configAccounts: [{ label: "cfg" }],
      configuredStrategy: "hybrid",
      log,
    });
    return { state, credentials };
  }

  test("accounts added and strategies switched on one instance (or by the CLI) reach the others at once", async () => {
    prefix = `t${++prefixCounter}`;
    const [x, y] = [await runtime(), await runtime()];
    await x.state.accounts.add({ email: "new@x.io", refreshToken: "1//new" });
    await until("y to route to the new account", () => y.state.pool.account("new@x.io") && y.credentials.get("new@x.io"));
    expect(y.credentials.get("new@x.io")!.refreshToken).toBe("1//new");

    // The `agcp accounts` CLI: a store of its own, no pool.
    const cli = await openStateStore({ storage: storage({ driver: "redis", url: server.url, prefix }), log: captureLog() });
    await cli.accounts.add({ label: "from-cli", refreshToken: "1//cli" });
    await cli.accounts.setEnabled("new@x.io", false);
    await cli.close();
    await until("both to add from-cli", () => x.state.pool.account("from-cli") && y.state.pool.account("from-cli"));
    await until("both to disable new@x.io", () => !x.state.pool.account("new@x.io")!.enabled && !y.state.pool.account("new@x.io")!.enabled);

    await x.state.setStrategy("round-robin");
    await until("y to switch strategy", () => y.state.pool.strategy === "round-robin");
    expect(await y.state.accounts.remove("from-cli")).toBe(true);
    await until("x to drop from-cli", () => !x.state.pool.account("from-cli") && !x.credentials.has("from-cli"));
    expect(x.state.pool.account("cfg")).toBeDefined();
    await Promise.all([x.state.close(), y.state.close()]);
  });

  test("a rename and an account's own floors made on one instance reach the others; its routing state moves with the name", async () => {
    prefix = `t${++prefixCounter}`;
    const [x, y] = [await runtime(), await runtime()];
    await x.state.accounts.add({ label: "spare", refreshToken: "1//spare" });
    await until("y to add spare", () => y.state.pool.account("spare"));
    x.state.pool.reportFailure("spare", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: Date.now() + 60_000 }));
    const until429 = await until("y to learn spare's cooldown", () => y.state.pool.account("spare")!.pools.claude?.until);

    expect(await x.state.accounts.rename("spare", "night shift")).toMatchObject({ label: "night shift", source: "stored" });
    await until("y to follow the rename", () => y.state.pool.account("night shift") && !y.state.pool.account("spare") && y.credentials.get("night shift"));
    expect(y.credentials.has("spare")).toBe(false);
    expect(y.credentials.get("night shift")!.refreshToken).toBe("1//spare");
    // Neither instance starts the account over: the cooldown holds under its new name on both.
    for (const i of [x, y]) expect(i.state.pool.account("night shift")!.pools.claude?.until).toBe(until429);
    const client = new Redis(server.url);
    expect(await client.exists(`${prefix}:pool:spare`)).toBe(0);
    client.disconnect();

    await y.state.accounts.setFloors("night shift", { floor: 0.3, models: { [MODEL]: 0.5 } });
    await until("x to apply the floors", () => x.state.pool.stateOf("night shift")!.floors?.default === 0.3);
    expect(x.state.pool.stateOf("night shift")!.floors).toEqual({ default: 0.3, perModel: { [MODEL]: 0.5 } });
    await x.state.accounts.setFloors("night shift", undefined);
    await until("y to drop them", () => y.state.pool.stateOf("night shift")!.floors === undefined);

    await expect(x.state.accounts.rename("cfg", "other")).rejects.toThrow(/agcp\.config\.ts/);
    await expect(x.state.accounts.setFloors("cfg", { floor: 0.2 })).rejects.toThrow(/accounts\[\]\.quota/);
    expect(await x.state.accounts.rename("nobody", "other")).toBeUndefined();
    await Promise.all([x.state.close(), y.state.close()]);
  });

  // Last: it kills and restarts the server.
  test("Redis killed mid-run: both keep serving on local state, log it once, then resync", async () => {
    await pair();
    await server.kill();
    await until("both to notice", () => !a.store.status().connected && !b.store.status().connected);
    for (let i = 0; i < 10; i++) {
      expect(request(a.pool)?.ok).toBe(true);
      expect(request(b.pool)?.ok).toBe(true);
    }
    a.pool.reportFailure("a", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt: Date.now() + 60_000 }));
    await Bun.sleep(300);
    expect(b.pool.account("a")!.pools.claude?.until).toBeUndefined(); // no way to hear of it yet
    for (const x of [a, b]) {
      const lost = x.log.warnings().filter((w) => /unreachable/.test(w));
      expect(lost.length).toBe(1);
    }

    await server.restart();
    await until("B to learn A's cooldown after the resync", () => b.pool.account("a")!.pools.claude?.until, 5_000, 20);
    await until("both connected", () => a.store.status().connected && b.store.status().connected, 3_000);
    expect(a.log.lines.some((l) => l.level === "info" && /is back: resyncing/.test(l.message))).toBe(true);
    // The restarted (empty) Redis holds the pushed state again.
    const client = new Redis(server.url);
    await until("state pushed to the new Redis", async () => (await client.exists(`${prefix}:pool:a`)) === 1, 3_000);
    client.disconnect();
    expect(a.log.warnings().filter((w) => /unreachable/.test(w)).length).toBe(1);
    await closePair();
  });
});
