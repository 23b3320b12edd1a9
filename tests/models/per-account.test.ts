// Per-account catalogs end to end: real agcp, real simulator, the official SDK as client.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CLAUDE_55_IDS, DEFAULT_SIM_MODELS } from "../../src/sim/index.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { quotaLoaded, simAccounts } from "../e2e/helpers.ts";

const FULL = "full@agcp.test";
const NO55 = "no55@agcp.test";
const WITHOUT_55 = DEFAULT_SIM_MODELS.map((m) => m.id).filter((id) => !CLAUDE_55_IDS.includes(id));

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: [
      { email: FULL, refreshToken: "sim-refresh-full" },
      { email: NO55, refreshToken: "sim-refresh-no55", models: WITHOUT_55 },
    ],
  });
  await stack.agcp.runtime.quota.refreshAll();
  await quotaLoaded(stack, "claude-opus-4-6-thinking");
});
afterAll(() => stack?.close());

/** Routes every request to one account for the duration of `fn`. */
async function only<T>(email: string, fn: () => Promise<T>): Promise<T> {
  const pool = stack.agcp.runtime.pool;
  const other = email === FULL ? NO55 : FULL;
  pool.setEnabled(other, false);
  try {
    return await fn();
  } finally {
    pool.setEnabled(other, true);
  }
}

async function sentModel(email: string): Promise<string> {
  return (await simAccounts(stack)).find((a) => a.email === email)!.counters.lastGenerateBody.model;
}

const post = (body: unknown) =>
  fetch(`${stack.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" }, body: JSON.stringify(body) });
const ask = (model: string) => stack.client.messages.create({ model, max_tokens: 256, messages: [{ role: "user", content: "hello" }] });

describe("each account serves what its catalog lists", () => {
  test("opus: Claude 5.5 on the entitled account, 4.6 on the other; the client sees its own name", async () => {
    const onFull = await only(FULL, () => ask("claude-opus-4-1"));
    expect(onFull.model).toBe("claude-opus-4-1");
    expect(await sentModel(FULL)).toBe("claude-opus-5-5-high");
    const onNo55 = await only(NO55, () => ask("claude-opus-4-1"));
    expect(onNo55.model).toBe("claude-opus-4-1");
    expect(onNo55.content.map((b) => b.type)).toContain("text");
    expect(await sentModel(NO55)).toBe("claude-opus-4-6-thinking");
    expect(await only(NO55, () => ask("claude-sonnet-4-5"))).toBeDefined();
    expect(await sentModel(NO55)).toBe("claude-sonnet-4-6");
  });

  test("a Claude 5.5 id asked for by name only ever goes to the entitled account", async () => {
    const before = (await simAccounts(stack)).find((a) => a.email === NO55)!.counters.requests.streamGenerateContent ?? 0;
    for (let i = 0; i < 6; i++) {
      const { response } = await ask("claude-sonnet-5-5-medium").withResponse();
      expect(response.headers.get("x-agcp-account")).toBe(FULL);
    }
    const after = (await simAccounts(stack)).find((a) => a.email === NO55)!.counters.requests.streamGenerateContent ?? 0;
    expect(after).toBe(before);
  });

  test("when the only account with a model is disabled, the answer says so", async () => {
    const res = await only(NO55, () => post({ model: "claude-opus-5-5-low", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      `Only ${FULL} can serve claude-opus-5-5-low, and none of them is usable now (disabled or invalid).`,
    );
  });

  test("a retired id moves to its successor", async () => {
    await ask("claude-sonnet-4-6-thinking");
    const sent = await Promise.all([sentModel(FULL), sentModel(NO55)]);
    expect(sent).toContain("claude-sonnet-4-6");
    expect(sent).not.toContain("claude-sonnet-4-6-thinking");
  });

  test("/v1/models lists the union, each with the accounts that serve it", async () => {
    const res = await fetch(`${stack.url}/v1/models`);
    const data = ((await res.json()) as { data: { id: string; accounts: string[] }[] }).data;
    const byId = new Map(data.map((m) => [m.id, m.accounts]));
    expect(byId.get("claude-opus-5-5-high")).toEqual([FULL]);
    expect(byId.get("claude-opus-4-6-thinking")?.sort()).toEqual([FULL, NO55]);
    expect(byId.get("gemini-3.8-flash-low")?.sort()).toEqual([FULL, NO55]);
    expect(byId.has("claude-sonnet-4-6-thinking")).toBe(false);
  });

  test("an entitlement that went away: upstream's 404 takes the account out for that model, nothing cools", async () => {
    const generates = async () => (await simAccounts(stack)).find((a) => a.email === NO55)!.counters.requests.streamGenerateContent ?? 0;
    await stack.control(`/accounts/${NO55}`, { body: { models: WITHOUT_55.filter((id) => id !== "gemini-3.7-flash-medium") } });
    try {
      // agcp still believes no55 has it: one upstream 404, then no55 is out for it.
      const before = await generates();
      const refused = await only(NO55, () => post({ model: "gemini-3.7-flash-medium", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }));
      expect(refused.status).toBe(404);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toContain("Requested entity was not found");
      expect((await generates()) - before).toBe(1);
      for (let i = 0; i < 4; i++) {
        const { response } = await ask("gemini-3.7-flash-medium").withResponse();
        expect(response.headers.get("x-agcp-account")).toBe(FULL);
      }
      expect((await generates()) - before).toBe(1);
      for (const a of stack.agcp.runtime.pool.accounts()) expect(a.cooldowns).toEqual({});
    } finally {
      await stack.control(`/accounts/${NO55}`, { body: { models: WITHOUT_55 } });
      await stack.agcp.runtime.quota.refreshAll();
    }
  });

  test("a model no account has: 404 naming it and what the accounts do serve", async () => {
    const res = await post({ model: "gemini-9-ultra", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
    expect(res.status).toBe(404);
    const message = ((await res.json()) as { error: { message: string } }).error.message;
    expect(message).toContain("gemini-9-ultra");
    expect(message).toContain("gemini-3.8-flash-low");
  });
});

describe("upstream's newer-models gate seen from a request", () => {
  test("every account 404s a listed model: the error names the identity and how to raise it", async () => {
    await stack.control("/version-gate", { body: { cli: { newerModels: "9.0.0" } } });
    try {
      const res = await post({ model: "gemini-3.8-flash-low", max_tokens: 16, messages: [{ role: "user", content: "hi" }] });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { type: string; message: string } };
      expect(body.error.type).toBe("not_found_error");
      expect(body.error.message).toContain("Requested entity was not found");
      expect(body.error.message).toContain("antigravity/cli/1.2.0");
      expect(body.error.message).toContain("AGCP_CLIENT_VERSION");
      for (const a of stack.agcp.runtime.pool.accounts()) expect(a.cooldowns).toEqual({});
    } finally {
      await stack.control("/version-gate", { body: { cli: { newerModels: "1.2.0" } } });
      await stack.agcp.runtime.quota.refreshAll();
    }
    // With the gate back where it was and the catalogs re-read, the model answers again.
    expect((await ask("gemini-3.8-flash-low")).type).toBe("message");
  });
});

describe("the chosen account's catalog entry drives the request", () => {
  test("a Gemini Flash tier is sent with the thinking budget its catalog names", async () => {
    const models = DEFAULT_SIM_MODELS.map((m) =>
      m.id === "gemini-3.7-flash-low" ? { ...m, details: { ...m.details, thinkingBudget: 2222 } } : m,
    );
    const own = await startStack({ accounts: [{ email: "one@agcp.test", refreshToken: "sim-refresh-one" }], sim: { models } });
    try {
      await own.agcp.runtime.quota.refreshAll();
      await own.client.messages.create({ model: "gemini-3.7-flash-low", max_tokens: 256, messages: [{ role: "user", content: "hi" }] });
      const sent = (await simAccounts(own)).find((a) => a.email === "one@agcp.test")!.counters.lastGenerateBody;
      expect(sent.request.generationConfig.thinkingConfig.thinkingBudget).toBe(2222);
    } finally {
      await own.close();
    }
  });
});
