// Quota pools end to end: the official Anthropic SDK → agcp → the simulator, over real HTTP.
// Upstream limits per (account, pool, window); agcp must learn an empty pool once, not once per model.
import { afterEach, describe, expect, test } from "bun:test";
import { poolOfModel } from "../../src/google/quota-pools.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, simAccounts, waitFor } from "./helpers.ts";

const DAY = 24 * 3_600_000;
/** Claude Code's names (dated, undated, both families), all served by the Claude pool upstream. */
const CLAUDE_NAMES = ["claude-sonnet-4-6", "claude-opus-4-1", "claude-opus-4-1-20250805", "claude-opus-4-6", "claude-3-7-sonnet-latest"];

let stack: Stack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe("an empty Claude pool", () => {
  test("on every account but one: 50 mixed Claude requests all succeed, each emptied account takes at most one 429", async () => {
    const accounts = fullAccounts(4, "qp");
    // The background quota read is off: only upstream's 429s can teach agcp which accounts are empty.
    // Round-robin walks every account, so per-model bookkeeping would pay one 429 per model per account.
    stack = await startStack({
      accounts,
      config: { strategy: "round-robin", pool: { bucket: { max: 1000, initial: 1000 } } },
      tweak: (c) => ({ ...c, pool: { ...c.pool, quotaRefresh: { ...c.pool.quotaRefresh, concurrency: 0 } } }),
    });
    const emptied = accounts.slice(1).map((a) => a.email);
    for (const email of emptied) {
      await stack.control(`/accounts/${email}`, { body: { buckets: { "3p-5h": { remainingFraction: 0, resetInMs: 2 * 3_600_000 } } } });
    }

    const served = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const model = CLAUDE_NAMES[i % CLAUDE_NAMES.length]!;
      const { data, response } = await stack.client.messages
        .create({ model, max_tokens: 32, messages: [{ role: "user", content: `request ${i}` }] })
        .withResponse();
      expect(data.type).toBe("message");
      served.add(response.headers.get("x-agcp-account") ?? "?");
    }

    const sim = await simAccounts(stack);
    const survivor = sim.find((a) => a.email === accounts[0]!.email)!;
    expect(survivor.counters.successfulGenerates).toBe(50);
    // Every request really went to the Claude pool upstream.
    expect(poolOfModel(String(survivor.counters.lastGenerateBody.model))).toBe("claude");
    expect([...served]).toEqual([accounts[0]!.email]);
    let total429 = 0;
    for (const email of emptied) {
      const a = sim.find((x) => x.email === email)!;
      const refused = a.counters.rateLimited.QUOTA_EXHAUSTED ?? 0;
      expect(refused).toBeLessThanOrEqual(1);
      expect(a.counters.successfulGenerates).toBe(0);
      total429 += refused;
    }
    // Round-robin did try the emptied accounts (so the bound above was really exercised).
    expect(total429).toBeGreaterThan(0);

    // What users see: the Claude pool out on the emptied accounts, not one model "rate-limited".
    const limits = await (await fetch(`${stack.url}/account-limits`)).json();
    const out = limits.accounts.filter((a: any) => a.pools.claude?.status === "out").map((a: any) => a.id);
    expect(out.length).toBe(total429);
    for (const id of out) expect(emptied).toContain(id);
    expect(limits.summary.pools.claude.out).toBe(total429);
    expect(limits.summary.pools.gemini).toMatchObject({ available: 4, out: 0 });
  }, 30_000);

  test("an empty weekly window read from the quota summary keeps accounts out without a single 429", async () => {
    const accounts = fullAccounts(3, "wk").map((a, i) =>
      i === 0 ? a : { ...a, buckets: { "3p-weekly": { remainingFraction: 0, resetInMs: 3 * DAY } } },
    );
    stack = await startStack({ accounts, config: { pool: { bucket: { max: 1000, initial: 1000 } } } });
    // The first background read learns the windows of every account.
    await waitFor("the quota summary read", async () => {
      const limits = await (await fetch(`${stack!.url}/account-limits`)).json();
      return limits.summary.pools.claude.out === 2;
    });
    for (let i = 0; i < 12; i++) {
      const model = CLAUDE_NAMES[i % CLAUDE_NAMES.length]!;
      const data = await stack.client.messages.create({ model, max_tokens: 16, messages: [{ role: "user", content: `weekly ${i}` }] });
      expect(data.type).toBe("message");
    }
    const sim = await simAccounts(stack);
    for (const a of sim) expect(a.counters.rateLimited.QUOTA_EXHAUSTED ?? 0).toBe(0);
    expect(sim.find((a) => a.email === accounts[0]!.email)!.counters.successfulGenerates).toBe(12);
    expect(sim.every((a) => (a.counters.requests.retrieveUserQuotaSummary ?? 0) >= 1)).toBe(true);

    const limits = await (await fetch(`${stack.url}/account-limits`)).json();
    const weekly = limits.accounts[1].windows.find((w: any) => w.pool === "claude" && w.window === "weekly");
    expect(weekly.remaining).toBe(0);
    expect(limits.accounts[1].pools.claude).toMatchObject({ status: "out", window: "weekly", until: weekly.resetAt });
    const table = await (await fetch(`${stack.url}/account-limits?format=table`)).text();
    expect(table.split("\n")[0]).toMatch(/claude: 1 available, 2 out, the first until \w{3} \d\d \d\d:\d\dZ/);
  }, 30_000);

  test("every account past its weekly Claude window: the client hears which pool and that it is the weekly wall", async () => {
    const accounts = fullAccounts(2, "wall").map((a) => ({ ...a, buckets: { "3p-weekly": { remainingFraction: 0, resetInMs: 3 * DAY } } }));
    stack = await startStack({ accounts });
    await waitFor("the quota summary read", async () => (await (await fetch(`${stack!.url}/account-limits`)).json()).summary.pools.claude.out === 2);
    const err = await stack.client.messages
      .create({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "hello" }] })
      .then(() => undefined, (e: unknown) => e as { status: number; message: string; headers: Headers });
    expect(err?.status).toBe(429);
    expect(err?.message).toContain("(2 out of the claude quota pool, 2 until its weekly reset)");
    expect(err?.message).toMatch(/the first resets in (2d23h|3d00h)/);
    expect(err?.headers.get("x-should-retry")).toBe("false");
    // Gemini is another pool: still served.
    const gemini = await stack.client.messages.create({ model: "gemini-3-flash", max_tokens: 16, messages: [{ role: "user", content: "hello" }] });
    expect(gemini.type).toBe("message");
    for (const a of await simAccounts(stack)) expect(a.counters.rateLimited.QUOTA_EXHAUSTED ?? 0).toBe(0);
  }, 30_000);
});
