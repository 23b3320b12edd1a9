// The late-2026 catalog, per-account entitlements, the consumer project and the newer error answers.
import { describe, expect, test } from "bun:test";
import { CLAUDE_55_IDS, CONSUMER_PROJECT, DEFAULT_SIM_MODELS } from "../../src/sim/index.ts";
import { ACCOUNT, envelope, startSim, userText } from "./helpers.ts";

type Catalog = {
  models: Record<string, Record<string, unknown> & { quotaInfo: { remainingFraction?: number; resetTime: string } }>;
  agentModelSorts: { displayName: string; groups: { modelIds: string[] }[] }[];
  defaultAgentModelId: string;
  webSearchModelIds: string[];
  imageGenerationModelIds: string[];
  deprecatedModelIds: Record<string, { newModelId: string; oldModelEnum: string; newModelEnum: string }>;
  tieredModelIds: Record<string, string[]>;
};

async function catalogOf(h: Awaited<ReturnType<typeof startSim>>, token: string): Promise<Catalog> {
  const res = await h.call("fetchAvailableModels", { project: ACCOUNT.projectId }, token);
  expect(res.status).toBe(200);
  return (await res.json()) as Catalog;
}

describe("fetchAvailableModels, late 2026", () => {
  test("the lineup with its fields, sorts, role lists and retired ids", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const c = await catalogOf(h, await h.token(ACCOUNT.refreshToken));
    const agent = c.agentModelSorts[0]!.groups.flatMap((g) => g.modelIds);
    for (const id of ["gemini-3.8-flash-high", "gemini-3.8-flash-medium", "gemini-3.8-flash-low", "claude-opus-5-5-high", "claude-sonnet-5-5-low", "claude-opus-4-6-thinking", "gpt-oss-120b-medium"]) {
      expect(agent).toContain(id);
    }
    // Helpers are in `models` but not selectable.
    expect(agent).not.toContain("gemini-3.1-flash-lite");
    expect(c.models["gemini-3.1-flash-lite"]).toBeDefined();
    expect(c.defaultAgentModelId).toBe("gemini-3.8-flash-high");
    expect(c.webSearchModelIds).toEqual(["gemini-3.1-flash-lite"]);
    expect(c.imageGenerationModelIds).toEqual(["gemini-3.1-flash-image"]);
    expect(c.tieredModelIds.flash).toEqual(["gemini-3.8-flash-tiered"]);
    expect(c.deprecatedModelIds["gemini-3.1-pro-high"]).toMatchObject({ newModelId: "gemini-pro-agent", newModelEnum: c.models["gemini-pro-agent"]!.model as string });
    expect(c.deprecatedModelIds["claude-sonnet-4-6-thinking"]?.newModelId).toBe("claude-sonnet-4-6");
    expect(c.models["claude-sonnet-4-6-thinking"]).toBeUndefined();
    // Per-model fields as the captures show them.
    expect(c.models["gemini-3.8-flash-low"]).toMatchObject({ displayName: "Gemini 3.8 Flash (Low)", supportsThinking: true, thinkingBudget: 1000, maxTokens: 1_048_576, maxOutputTokens: 65_536 });
    expect(c.models["gemini-3.8-flash-high"]).toMatchObject({ thinkingBudget: -1, recommended: true });
    expect(c.models["claude-opus-5-5-medium"]).toMatchObject({ thinkingLevel: "MEDIUM", thinkingBudget: 0, maxOutputTokens: 128_000, supportsThinking: true });
    expect(c.models["claude-opus-4-6-thinking"]).toMatchObject({ maxTokens: 250_000, maxOutputTokens: 64_000, thinkingBudget: 1024 });
    expect(c.models["gpt-oss-120b-medium"]).toMatchObject({ thinkingBudget: 8192 });
    expect(c.models["gpt-oss-120b-medium"]!.supportsThinking).toBeUndefined();
    for (const [id, m] of Object.entries(c.models)) {
      expect(typeof m.model).toBe("string");
      expect(m.quotaInfo.resetTime).toMatch(/Z$/);
      expect(DEFAULT_SIM_MODELS.some((d) => d.id === id)).toBe(true);
    }
  });

  test("entitlements are per account: without Claude 5.5 the catalog lacks it and generation is 404", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const token = await h.token(ACCOUNT.refreshToken);
    const without = DEFAULT_SIM_MODELS.map((m) => m.id).filter((id) => !CLAUDE_55_IDS.includes(id));
    const patched = await h.control("PATCH", `accounts/${ACCOUNT.email}`, { models: without });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as { models: string[] }).models).toEqual(without);
    const c = await catalogOf(h, token);
    expect(Object.keys(c.models).filter((id) => id.includes("5-5"))).toEqual([]);
    expect(c.agentModelSorts[0]!.groups.flatMap((g) => g.modelIds)).toContain("claude-opus-4-6-thinking");
    const generate = (model: string) => h.call("generateContent", envelope(ACCOUNT.projectId, model, { contents: [userText("hi")] }), token);
    const missing = await generate("claude-opus-5-5-high");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 404, message: "Requested entity was not found.", status: "NOT_FOUND" } });
    expect((await generate("claude-opus-4-6-thinking")).status).toBe(200);
    expect((await generate("claude-sonnet-4-6-thinking")).status).toBe(404); // retired
    expect((await h.control("PATCH", `accounts/${ACCOUNT.email}`, { models: ["claude-opus-9"] })).status).toBe(400);
    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { models: null });
    expect(Object.keys((await catalogOf(h, token)).models)).toContain("claude-opus-5-5-high");
  });

  test("the last request's headers are kept without Authorization", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const token = await h.token(ACCOUNT.refreshToken);
    await fetch(`${h.url}/v1internal:fetchAvailableModels`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "user-agent": "antigravity/cli/1.2.0 (aidev_client; os_type=linux; arch=amd64)", "x-probe": "1" },
      body: JSON.stringify({ project: ACCOUNT.projectId }),
    });
    const view = (await (await h.control("GET", `accounts/${ACCOUNT.email}`)).json()) as { counters: { lastRequestHeaders: Record<string, string>; lastRequestBody: unknown } };
    expect(view.counters.lastRequestHeaders["user-agent"]).toBe("antigravity/cli/1.2.0 (aidev_client; os_type=linux; arch=amd64)");
    expect(view.counters.lastRequestHeaders["x-probe"]).toBe("1");
    expect(view.counters.lastRequestHeaders.authorization).toBeUndefined();
    expect(JSON.stringify(view)).not.toContain(token);
    expect(view.counters.lastRequestBody).toEqual({ project: ACCOUNT.projectId });
  });
});

describe("consumer accounts", () => {
  test("loadCodeAssist answers the aicode-consumers project with the subscription as paidTier", async () => {
    const consumer = { email: "c@agcp.test", refreshToken: "rt-c", projectId: CONSUMER_PROJECT, tier: "pro" as const };
    const free = { email: "f@agcp.test", refreshToken: "rt-f", projectId: CONSUMER_PROJECT, tier: "free" as const };
    const h = await startSim({ accounts: [consumer, free] });
    const load = async (rt: string) =>
      (await (await h.call("loadCodeAssist", { metadata: { ideType: "ANTIGRAVITY" } }, await h.token(rt))).json()) as Record<string, any>;
    const pro = await load(consumer.refreshToken);
    expect(pro.cloudaicompanionProject).toBe("aicode-consumers");
    expect(pro.currentTier).toEqual({ id: "free-tier", name: "Antigravity" });
    expect(pro.paidTier).toMatchObject({ id: "g1-pro-tier", name: "Google AI Pro", availableCredits: [{ creditType: "GOOGLE_ONE_AI", creditAmount: "1000" }] });
    const starter = await load(free.refreshToken);
    expect(starter.paidTier).toBeUndefined();
    // The shared project works for generation.
    const res = await h.call("generateContent", envelope(CONSUMER_PROJECT, "gemini-3.8-flash-low", { contents: [userText("hi")] }), await h.token(consumer.refreshToken));
    expect(res.status).toBe(200);
  });
});

describe("late-2026 error answers through the faults API", () => {
  const cases: Array<[string, number, string, string | undefined]> = [
    ["subscription_required", 403, "lack a Gemini Code Assist license. (#3501)", "SUBSCRIPTION_REQUIRED"],
    ["service_disabled", 403, "Cloud Code Private API has not been used in project proj-a", "SERVICE_DISABLED"],
    ["resource_exhausted", 429, "Resource has been exhausted (e.g. check quota).", undefined],
    ["no_capacity", 503, "No capacity available for model gemini-3.8-flash-low on the server", undefined],
  ];
  for (const [error, status, text, reason] of cases) {
    test(`${error} → ${status}`, async () => {
      const h = await startSim({ accounts: [ACCOUNT] });
      const token = await h.token(ACCOUNT.refreshToken);
      expect((await h.control("PATCH", "faults", { error, failNext: 1 })).status).toBe(200);
      const res = await h.call("generateContent", envelope(ACCOUNT.projectId, "gemini-3.8-flash-low", { contents: [userText("hi")] }), token);
      expect(res.status).toBe(status);
      expect(res.headers.get("retry-after")).toBeNull();
      const body = (await res.json()) as { error: { message: string; details?: { reason?: string }[] } };
      expect(body.error.message).toContain(text);
      if (reason) expect(body.error.details?.[0]?.reason).toBe(reason);
      // Body-less: no details at all, so a client has nothing to read a reset from.
      else expect(body.error.details).toBeUndefined();
      const next = await h.call("generateContent", envelope(ACCOUNT.projectId, "gemini-3.8-flash-low", { contents: [userText("hi")] }), token);
      expect(next.status).toBe(200);
    });
  }
  test("an unknown error name is refused", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    expect((await h.control("PATCH", "faults", { error: "teapot" })).status).toBe(400);
  });
});
