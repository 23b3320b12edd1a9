// Per-account catalogs: what each account may call, how names resolve per account, what /v1/models lists.
import { describe, expect, test } from "bun:test";
import { parseCatalog, successorOf, type AccountCatalog } from "../../src/google/catalog.ts";
import { DEFAULT_MODEL_MAPPING } from "../../src/google/models.ts";
import { createModelCatalog } from "../../src/server/catalog.ts";
import { CLAUDE_55_IDS, createSimulator, DEFAULT_SIM_MODELS } from "../../src/sim/index.ts";

/** The simulator's own fetchAvailableModels answer for an account with these entitlements. */
async function simCatalog(models?: string[]): Promise<AccountCatalog> {
  const sim = createSimulator({ accounts: [{ email: "a@agcp.test", refreshToken: "rt-a", projectId: "p", ...(models && { models }) }] });
  const token = await sim.fetch(new Request("http://sim/token", { method: "POST", body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: "rt-a" }) }));
  const { access_token } = (await token.json()) as { access_token: string };
  const res = await sim.fetch(
    new Request("http://sim/v1internal:fetchAvailableModels", { method: "POST", headers: { authorization: `Bearer ${access_token}` }, body: '{"project":"p"}' }),
  );
  return parseCatalog(await res.json());
}

const WITHOUT_55 = DEFAULT_SIM_MODELS.map((m) => m.id).filter((id) => !CLAUDE_55_IDS.includes(id));

describe("parseCatalog", () => {
  test("reads the late-2026 answer: models with their fields, agent sorts, role lists, successors", async () => {
    const c = await simCatalog();
    expect(Object.keys(c.models).sort()).toEqual(DEFAULT_SIM_MODELS.map((m) => m.id).sort());
    expect(c.models["claude-opus-5-5-medium"]).toMatchObject({ displayName: "Claude Opus 5.5 (Medium)", thinkingLevel: "MEDIUM", thinkingBudget: 0, maxOutputTokens: 128_000, maxTokens: 1_000_000, supportsThinking: true });
    expect(c.models["gemini-3.8-flash-low"]?.model).toMatch(/^MODEL_/);
    expect(c.models["gemini-3.8-flash-low"]?.quotaInfo?.remainingFraction).toBe(1);
    expect(c.agentModelIds).toContain("claude-sonnet-5-5-low");
    expect(c.agentModelIds).not.toContain("gemini-3.1-flash-image");
    expect(c.defaultAgentModelId).toBe("gemini-3.8-flash-high");
    expect(c.webSearchModelIds).toEqual(["gemini-3.1-flash-lite"]);
    expect(c.imageGenerationModelIds).toEqual(["gemini-3.1-flash-image"]);
    expect(c.deprecatedModelIds["gemini-3.1-pro-high"]).toBe("gemini-pro-agent");
  });

  test("junk in, an empty catalog out; successors follow chains and never loop", () => {
    expect(parseCatalog(null).models).toEqual({});
    expect(parseCatalog({ models: { x: 3 }, deprecatedModelIds: { a: "b", c: { newModelId: 7 } } })).toMatchObject({ models: {}, deprecatedModelIds: { a: "b" } });
    expect(successorOf("a", { a: "b", b: "c" })).toBe("c");
    expect(successorOf("a", { a: "b", b: "a" })).toBe("b");
    expect(successorOf("z", { a: "b" })).toBeUndefined();
  });
});

describe("per-account resolution", () => {
  async function twoAccounts() {
    const migrations: string[] = [];
    const catalog = createModelCatalog(DEFAULT_MODEL_MAPPING, { onMigrate: (from, to) => migrations.push(`${from}→${to}`) });
    catalog.learnAccount("full", await simCatalog());
    catalog.learnAccount("no55", await simCatalog(WITHOUT_55));
    return { catalog, migrations };
  }

  test("Claude Code's opus and sonnet: Claude 5.5 where entitled, else 4.6; haiku: a Gemini Flash tier", async () => {
    const { catalog } = await twoAccounts();
    const opus = catalog.resolve("claude-opus-4-1");
    expect(opus).toMatchObject({ upstream: "claude-opus-5-5-high", mapped: true });
    expect(catalog.forAccount("full", opus)?.upstream).toBe("claude-opus-5-5-high");
    expect(catalog.forAccount("no55", opus)?.upstream).toBe("claude-opus-4-6-thinking");
    expect(catalog.forAccount("no55", catalog.resolve("claude-sonnet-4-5-20250929"))?.upstream).toBe("claude-sonnet-4-6");
    expect(catalog.forAccount("no55", catalog.resolve("claude-haiku-4-5"))?.upstream).toBe("gemini-3.8-flash-low");
    expect(catalog.cannotServe(opus).size).toBe(0);
    // An account not read yet is tried with the id as it is.
    expect(catalog.forAccount("unknown", opus)?.upstream).toBe("claude-opus-5-5-high");
  });

  test("an id the client named itself is served only where listed", async () => {
    const { catalog } = await twoAccounts();
    const exact = catalog.resolve("claude-opus-5-5-high");
    expect(exact.mapped).toBe(false);
    expect(catalog.forAccount("no55", exact)).toBeUndefined();
    expect([...catalog.cannotServe(exact)]).toEqual(["no55"]);
  });

  test("retired ids move to their successor, told once", async () => {
    const { catalog, migrations } = await twoAccounts();
    expect(catalog.resolve("gemini-3.1-pro-high")).toMatchObject({ upstream: "gemini-pro-agent", mapped: false });
    expect(catalog.resolve("claude-sonnet-4-6-thinking").upstream).toBe("claude-sonnet-4-6");
    catalog.resolve("gemini-3.1-pro-high");
    expect(migrations).toEqual(["gemini-3.1-pro-high→gemini-pro-agent", "claude-sonnet-4-6-thinking→claude-sonnet-4-6"]);
    // Claude Code's own name is also a retired Antigravity id: it still goes to its family's best model.
    expect(catalog.resolve("claude-sonnet-4-5")).toMatchObject({ upstream: "claude-sonnet-5-5-high", mapped: true });
    expect(migrations).toHaveLength(2);
    // A configured alias that points at a retired id moves too.
    const aliased = createModelCatalog({ exact: { team: "gemini-3.1-pro-high" }, patterns: [] });
    aliased.learnAccount("full", await simCatalog());
    expect(aliased.resolve("team").upstream).toBe("gemini-pro-agent");
  });

  test("a 404 for a listed id takes that account out for it until its next catalog read", async () => {
    const { catalog } = await twoAccounts();
    const sonnet = catalog.resolve("claude-sonnet-4-6");
    catalog.markMissing("full", "claude-sonnet-4-6");
    expect([...catalog.cannotServe(sonnet)]).toEqual(["full"]);
    catalog.learnAccount("full", await simCatalog());
    expect(catalog.cannotServe(sonnet).size).toBe(0);
  });

  test("the list is the union, each with the accounts that serve it", async () => {
    const { catalog } = await twoAccounts();
    const list = catalog.list();
    expect(list.find((m) => m.id === "claude-opus-5-5-high")?.accounts).toEqual(["full"]);
    expect(list.find((m) => m.id === "claude-opus-4-6-thinking")?.accounts).toEqual(["full", "no55"]);
    expect(list.find((m) => m.id === "gemini-3.8-flash-low")?.displayName).toBe("Gemini 3.8 Flash (Low)");
    expect(list.some((m) => m.id === "claude-sonnet-4-6-thinking")).toBe(false);
    // Role lists for the web search and image doors.
    expect(catalog.roleModelIds("webSearchModelIds")).toEqual(["gemini-3.1-flash-lite"]);
    expect(catalog.roleModelIds("imageGenerationModelIds")).toEqual(["gemini-3.1-flash-image"]);
  });
});
