import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Driver } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { createPool, type Pool } from "../../src/pool/pool.ts";
import { startupStrategy } from "../../src/state/settings.ts";
import { openStateStore } from "../../src/state/store.ts";
import { STATE_SCHEMA_VERSION } from "../../src/state/types.ts";
import { fakeClock, MODEL, upstreamError } from "../pool/helpers.ts";
import { captureLog, removeTempDirs, storage, tempDir, until } from "./helpers.ts";

afterAll(removeTempDirs);

function makePool(clock: () => number, ids = ["a", "b"]): Pool {
  return createPool({ accounts: ids.map((id) => ({ id })), now: clock, random: () => 0, strategy: "round-robin" });
}

/** A memory driver that counts writes and can be told to fail. */
function countingDriver() {
  const inner = memoryDriver();
  const writes: string[] = [];
  let failuresLeft = 0;
  const driver: Driver = {
    ...inner,
    name: "counting",
    setItem(key, value, opts) {
      if (failuresLeft > 0) {
        failuresLeft--;
        throw new Error("disk full");
      }
      writes.push(key);
      return inner.setItem!(key, value, opts);
    },
  };
  return { driver, writes, failNext: (n: number) => void (failuresLeft = n) };
}

describe("restart with the fs driver", () => {
  test("a cooldown survives a restart and keeps the account out until its reset, and no longer", async () => {
    const dir = tempDir();
    const clock = fakeClock();
    const log = captureLog();
    const resetAt = clock() + 90_000;

    const store1 = await openStateStore({ storage: storage({ driver: "fs", dir }), log, now: clock });
    const pool1 = store1.attach(makePool(clock));
    pool1.reportFailure("a", MODEL, upstreamError("quota_exhausted", { status: 429, resetAt }));
    pool1.setQuota("b", { [MODEL]: { fraction: 0.4, resetAt: clock() + 3_600_000 } });
    await store1.close();

    const file = join(dir, "pool", "a.json");
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ version: STATE_SCHEMA_VERSION, state: { id: "a" } });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);

    const store2 = await openStateStore({ storage: storage({ driver: "fs", dir }), log, now: clock });
    const pool2 = makePool(clock);
    expect(await store2.loadInto(pool2)).toBe(2);
    store2.attach(pool2);
    expect(pool2.account("a")!.pools.claude).toMatchObject({ status: "out", until: resetAt });
    expect(pool2.account("b")!.quota[MODEL]?.fraction).toBe(0.4);
    for (let i = 0; i < 4; i++) {
      const sel = pool2.select(MODEL);
      expect(sel.ok && sel.accountId).toBe("b");
    }
    clock.set(resetAt - 1);
    const justBefore = pool2.select(MODEL);
    expect(justBefore.ok && justBefore.accountId).toBe("b");
    clock.set(resetAt);
    const picks = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const sel = pool2.select(MODEL);
      if (sel.ok) picks.add(sel.accountId);
    }
    expect(picks.has("a")).toBe(true);
    await store2.close();
    expect(log.warnings()).toEqual([]);
  });

  test("facts past their expiry are not restored", async () => {
    const dir = tempDir();
    const clock = fakeClock();
    const store1 = await openStateStore({ storage: storage({ driver: "fs", dir }), log: captureLog(), now: clock });
    const pool1 = store1.attach(makePool(clock));
    pool1.setQuota("a", { [MODEL]: { fraction: 0.1, resetAt: clock() + 1_000 }, other: { fraction: 0.7 } });
    await store1.close();

    clock.advance(5_000);
    const store2 = await openStateStore({ storage: storage({ driver: "fs", dir }), log: captureLog(), now: clock });
    const pool2 = makePool(clock);
    await store2.loadInto(pool2);
    expect(Object.keys(pool2.stateOf("a")!.quota)).toEqual(["other"]);
    await store2.close();
  });
});

describe("background saving", () => {
  test("the request path never writes; changes are written coalesced, one write per account", async () => {
    const { driver, writes } = countingDriver();
    const clock = fakeClock();
    const store = await openStateStore({ storage: storage({ flushIntervalMs: 40 }), log: captureLog(), now: clock, driver });
    const pool = store.attach(makePool(clock));
    for (let i = 0; i < 200; i++) {
      const sel = pool.select(MODEL);
      if (!sel.ok) throw new Error("no account");
      pool.consumeToken(sel.accountId);
      pool.reportSuccess(sel.accountId, MODEL);
    }
    expect(writes).toEqual([]);
    expect(store.status().pending).toBe(2);
    await until("a background write", () => writes.length >= 2);
    expect(writes.sort()).toEqual(["pool:a", "pool:b"]);
    expect(store.status().pending).toBe(0);
    expect(store.status().lastFlushAt).toBeDefined();
    await store.close();
  });

  test("a cooldown is written soon even with a long flush interval", async () => {
    const { driver, writes } = countingDriver();
    const store = await openStateStore({
      storage: storage({ flushIntervalMs: 60_000 }),
      log: captureLog(),
      driver,
      urgentDelayMs: 20,
    });
    const pool = store.attach(makePool(Date.now));
    pool.consumeToken("b"); // not urgent
    pool.reportFailure("a", MODEL, upstreamError("rate_limited", { status: 429 }));
    await until("the urgent write", () => writes.includes("pool:a"), 1_000);
    await store.close();
  });

  test("a failing write is logged once, retried, and never thrown at the caller", async () => {
    const { driver, writes, failNext } = countingDriver();
    const log = captureLog();
    const store = await openStateStore({ storage: storage({ flushIntervalMs: 20 }), log, driver });
    const pool = store.attach(makePool(Date.now));
    failNext(6);
    pool.consumeToken("a");
    await until("three failed rounds", () => writes.length === 0 && store.status().lastError === "disk full");
    pool.consumeToken("b");
    await until("the retry that worked", () => writes.includes("pool:a") && writes.includes("pool:b"), 2_000);
    expect(log.warnings().length).toBe(1);
    expect(log.warnings()[0]).toMatch(/Could not save state .*disk full.*Requests are unaffected; retrying every 20 ms/);
    expect(log.lines.some((l) => l.level === "info" && /saved .* again/.test(l.message))).toBe(true);
    expect(store.status().lastError).toBeUndefined();
    await store.close();
  });

  test("close writes what is pending", async () => {
    const { driver, writes } = countingDriver();
    const store = await openStateStore({ storage: storage({ flushIntervalMs: 60_000 }), log: captureLog(), driver, urgentDelayMs: 60_000 });
    const pool = store.attach(makePool(Date.now));
    pool.consumeToken("b");
    expect(writes).toEqual([]);
    await store.close();
    expect(writes).toEqual(["pool:b"]);
  });
});

describe("bad state never stops agcp", () => {
  test("corrupt, wrong-typed, future-version and misplaced files are moved aside and reported once", async () => {
    const dir = tempDir();
    const clock = fakeClock();
    const good = await openStateStore({ storage: storage({ driver: "fs", dir }), log: captureLog(), now: clock });
    const seeded = good.attach(makePool(clock, ["ok", "cut", "typed", "future", "swapped"]));
    for (const id of ["ok", "cut", "typed", "future", "swapped"]) {
      seeded.reportFailure(id, MODEL, upstreamError("rate_limited", { status: 429, resetAt: clock() + 60_000 }));
    }
    await good.close();
    const path = (id: string) => join(dir, "pool", `${id}.json`);
    const cut = readFileSync(path("cut"), "utf8");
    writeFileSync(path("cut"), cut.slice(0, cut.length - 20));
    const typed = JSON.parse(readFileSync(path("typed"), "utf8"));
    typed.state.health.score = "high";
    writeFileSync(path("typed"), JSON.stringify(typed));
    writeFileSync(path("future"), JSON.stringify({ version: 99, state: {} }));
    writeFileSync(path("swapped"), readFileSync(path("ok")));

    const log = captureLog();
    const store = await openStateStore({ storage: storage({ driver: "fs", dir }), log, now: clock });
    const pool = makePool(clock, ["ok", "cut", "typed", "future", "swapped"]);
    expect(await store.loadInto(pool)).toBe(1);
    expect(Object.keys(pool.account("ok")!.cooldowns)).toEqual([MODEL]);
    for (const id of ["cut", "typed", "future", "swapped"]) expect(pool.account(id)!.cooldowns).toEqual({});

    const warnings = log.warnings();
    expect(warnings.length).toBe(4);
    const about = (id: string) => warnings.find((w) => w.includes(path(id)))!;
    expect(about("cut")).toMatch(/is not valid JSON .*cut off.*moved it to .*cut\.json\.corrupt-\d{4}-\d\d-\d\dT.*started with clean state/);
    expect(about("typed")).toMatch(/state\.health\.score: expected number/);
    expect(about("future")).toMatch(/schema version 99, newer/);
    expect(about("swapped")).toMatch(/holds the state of account "ok", not "swapped"/);
    const files = readdirSync(join(dir, "pool")).sort();
    expect(files.filter((f) => f.endsWith(".json"))).toEqual(["ok.json"]);
    expect(files.filter((f) => f.includes(".corrupt-")).length).toBe(4);
    expect(store.status().problems.map((p) => p.where).sort()).toEqual(["cut", "future", "swapped", "typed"].map(path).sort());

    // Once: the next start finds nothing bad.
    const again = captureLog();
    const store2 = await openStateStore({ storage: storage({ driver: "fs", dir }), log: again, now: clock });
    await store2.loadInto(makePool(clock, ["ok", "cut", "typed", "future", "swapped"]));
    expect(again.warnings()).toEqual([]);
    await Promise.all([store.close(), store2.close()]);
  });

  test("a corrupt accounts file is moved aside and the list starts empty", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "accounts.json"), '{"version":1,"accounts":[{"label":"x","refreshTo');
    const log = captureLog();
    const store = await openStateStore({ storage: storage({ driver: "fs", dir }), log });
    expect(await store.accounts.list()).toEqual([]);
    expect(log.warnings().length).toBe(1);
    expect(log.warnings()[0]).toContain(join(dir, "accounts.json"));
    expect(readdirSync(dir).some((f) => f.startsWith("accounts.json.corrupt-"))).toBe(true);
    await store.accounts.add({ email: "new@x.io", refreshToken: "1//tok" });
    expect((await store.accounts.list()).map((a) => a.label)).toEqual(["new@x.io"]);
    await store.close();
  });
});

describe("stored accounts", () => {
  test("add, re-add, disable, remove; the file is private and tokens never reach the log", async () => {
    const dir = join(tempDir(), "nested", "agcp");
    const log = captureLog();
    let t = 1_000;
    const store = await openStateStore({ storage: storage({ driver: "fs", dir }), log, now: () => t });
    const first = await store.accounts.add({ email: "a@x.io", refreshToken: " 1//secret-a ", projectId: "p-1" });
    expect(first).toEqual({
      account: { label: "a@x.io", email: "a@x.io", refreshToken: "1//secret-a", projectId: "p-1", enabled: true, addedAt: 1_000 },
      replaced: false,
    });
    t = 2_000;
    await store.accounts.add({ label: "work", refreshToken: "1//secret-b", enabled: false });
    t = 3_000;
    const relogin = await store.accounts.add({ email: "a@x.io", refreshToken: "1//secret-a2" });
    expect(relogin.replaced).toBe(true);
    expect(relogin.account.addedAt).toBe(1_000);
    expect(relogin.account.refreshToken).toBe("1//secret-a2");

    expect(await store.accounts.setEnabled("work", true)).toBe(true);
    expect(await store.accounts.setEnabled("nobody", true)).toBe(false);
    expect((await store.accounts.list()).map((a) => [a.label, a.enabled])).toEqual([
      ["a@x.io", true],
      ["work", true],
    ]);
    expect(await store.accounts.remove("a@x.io")).toBe(true);
    expect(await store.accounts.remove("a@x.io")).toBe(false);
    expect((await store.accounts.get("work"))?.refreshToken).toBe("1//secret-b");

    await expect(store.accounts.add({ refreshToken: "x" })).rejects.toThrow(/label or an e-mail/);
    await expect(store.accounts.add({ label: "y", refreshToken: "  " })).rejects.toThrow(/refresh token/);

    const file = join(dir, "accounts.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(log.text()).not.toContain("secret");
    await store.close();
  });

  test("rename and own floors: kept in the file, kept by a re-login, refused where the label is taken", async () => {
    const dir = tempDir();
    const store = await openStateStore({ storage: storage({ driver: "fs", dir }), log: captureLog() });
    await store.accounts.add({ email: "a@x.io", refreshToken: "1//a" });
    await store.accounts.add({ label: "b", refreshToken: "1//b" });
    expect(await store.accounts.setFloors("a@x.io", { floor: 0.2, pools: { claude: { weekly: 0.1 } } })).toMatchObject({ label: "a@x.io", floors: { floor: 0.2 } });
    expect(await store.accounts.rename("a@x.io", " work ")).toMatchObject({ label: "work", email: "a@x.io", refreshToken: "1//a" });
    await expect(store.accounts.rename("work", "b")).rejects.toThrow(/already an account "b"/);
    await expect(store.accounts.rename("work", "  ")).rejects.toThrow(/non-empty label/);
    expect(await store.accounts.rename("nobody", "x")).toBeUndefined();
    expect(await store.accounts.setFloors("nobody", { floor: 0.1 })).toBeUndefined();
    // Signing in again replaces the token, not the floors the user set.
    await store.accounts.add({ label: "work", email: "a@x.io", refreshToken: "1//a2" });
    await store.close();

    const again = await openStateStore({ storage: storage({ driver: "fs", dir }), log: captureLog() });
    expect(await again.accounts.list()).toEqual([
      expect.objectContaining({ label: "work", refreshToken: "1//a2", floors: { floor: 0.2, pools: { claude: { weekly: 0.1 } } } }),
      expect.objectContaining({ label: "b" }),
    ]);
    expect((await again.accounts.setFloors("work", undefined))?.floors).toBeUndefined();
    expect((await again.accounts.get("work"))?.floors).toBeUndefined();
    await again.close();
  });

  test("concurrent changes in one process are not lost", async () => {
    const store = await openStateStore({ storage: storage(), log: captureLog() });
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.accounts.add({ label: `acct-${i}`, refreshToken: `t${i}` })));
    expect((await store.accounts.list()).length).toBe(20);
    await store.close();
  });
});

describe("settings", () => {
  test("a run-time strategy applies while the configuration still says what it replaced", async () => {
    const store = await openStateStore({ storage: storage(), log: captureLog(), now: () => 42 });
    expect(startupStrategy(await store.settings.get(), "hybrid")).toEqual({ name: "hybrid", from: "config", outdated: false });
    await store.settings.setStrategy("sticky", "hybrid");
    expect(await store.settings.get()).toEqual({ strategy: { name: "sticky", replaced: "hybrid", changedAt: 42 } });
    expect(startupStrategy(await store.settings.get(), "hybrid")).toEqual({ name: "sticky", from: "stored", outdated: false });
    // The user started with --strategy round-robin: that wins, the stored choice is outdated.
    expect(startupStrategy(await store.settings.get(), "round-robin")).toEqual({ name: "round-robin", from: "config", outdated: true });
    await store.settings.clearStrategy();
    expect(await store.settings.get()).toEqual({});
    await store.close();
  });
});

describe("memory driver", () => {
  test("works like the others but forgets on close", async () => {
    const clock = fakeClock();
    const store = await openStateStore({ storage: storage(), log: captureLog(), now: clock });
    const pool = store.attach(makePool(clock));
    pool.reportFailure("a", MODEL, upstreamError("rate_limited", { status: 429 }));
    await store.flush();
    expect(store.status()).toMatchObject({ driver: "memory", connected: true, pending: 0 });
    await store.close();
    const again = await openStateStore({ storage: storage(), log: captureLog(), now: clock });
    const fresh = makePool(clock);
    expect(await again.loadInto(fresh)).toBe(0);
    await again.close();
  });

  test("a store attaches to one pool only", async () => {
    const store = await openStateStore({ storage: storage(), log: captureLog() });
    store.attach(makePool(Date.now));
    expect(() => store.attach(makePool(Date.now))).toThrow(/already attached/);
    await store.close();
  });
});

test("the fs directory is created only when something is written", async () => {
  const dir = join(tempDir(), "later");
  const store = await openStateStore({ storage: storage({ driver: "fs", dir }), log: captureLog() });
  expect(existsSync(dir)).toBe(false);
  await store.close();
  mkdirSync(dir, { mode: 0o755 });
  const log = captureLog();
  const shared = await openStateStore({ storage: storage({ driver: "fs", dir }), log });
  expect(log.warnings()[0]).toMatch(/readable by other users \(mode 755\)/);
  await shared.close();
});
