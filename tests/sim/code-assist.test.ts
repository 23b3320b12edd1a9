import { describe, expect, test } from "bun:test";
import { DEFAULT_SIM_MODELS } from "../../src/sim/index.ts";
import { ACCOUNT, envelope, startSim, userText } from "./helpers.ts";

const METADATA = { ideType: "ANTIGRAVITY", platform: "PLATFORM_UNSPECIFIED", pluginType: "GEMINI" };

describe("loadCodeAssist", () => {
  test("answers project and tiers for each tier", async () => {
    const h = await startSim({
      accounts: [
        { email: "f@agcp.test", refreshToken: "rt-f", projectId: "proj-f", tier: "free" },
        { email: "p@agcp.test", refreshToken: "rt-p", projectId: "proj-p", tier: "pro" },
        { email: "u@agcp.test", refreshToken: "rt-u", projectId: "proj-u", tier: "ultra" },
      ],
    });
    const expected = {
      "rt-f": { project: "proj-f", current: "free-tier", paid: undefined },
      "rt-p": { project: "proj-p", current: "standard-tier", paid: "g1-pro-tier" },
      "rt-u": { project: "proj-u", current: "g1-ultra-tier", paid: "g1-ultra-tier" },
    };
    for (const [refresh, want] of Object.entries(expected)) {
      const res = await h.call("loadCodeAssist", { metadata: METADATA }, await h.token(refresh));
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        cloudaicompanionProject: string;
        currentTier: { id: string; name: string };
        paidTier?: { id: string };
        allowedTiers: { id: string; isDefault?: boolean }[];
      };
      expect(body.cloudaicompanionProject).toBe(want.project);
      expect(body.currentTier.id).toBe(want.current);
      expect(body.currentTier.name).toBeString();
      expect(body.paidTier?.id).toBe(want.paid as string);
      expect(body.allowedTiers.find((t) => t.isDefault)?.id).toBe(want.current);
    }
  });

  test("accepts numeric enums and rejects garbage enums", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const token = await h.token(ACCOUNT.refreshToken);
    expect((await h.call("loadCodeAssist", { metadata: { ideType: 9, platform: 0, pluginType: 2 } }, token)).status).toBe(200);
    const bad = await h.call("loadCodeAssist", { metadata: { ideType: "not an enum" } }, token);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { status: string } }).error.status).toBe("INVALID_ARGUMENT");
  });

  test("records the last request body", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    await h.call("loadCodeAssist", { metadata: METADATA }, await h.token(ACCOUNT.refreshToken));
    expect(h.sim.state.accounts.get(ACCOUNT.email)?.counters.lastRequestBody).toEqual({ metadata: METADATA });
  });
});

describe("onboardUser", () => {
  test("a project-less account onboards through a long-running operation", async () => {
    const h = await startSim({ accounts: [{ email: "n@agcp.test", refreshToken: "rt-n", projectId: null, tier: "free" }] });
    const token = await h.token("rt-n");
    const before = (await (await h.call("loadCodeAssist", { metadata: METADATA }, token)).json()) as Record<string, unknown>;
    expect(before.cloudaicompanionProject).toBeUndefined();
    const tiers = before.allowedTiers as { id: string; isDefault?: boolean }[];
    const tierId = tiers.find((t) => t.isDefault)?.id;
    expect(tierId).toBe("free-tier");

    // Generating without a project is refused.
    const early = await h.call("generateContent", envelope("", "gemini-3-flash", { contents: [userText("hi")] }), token);
    expect(early.status).toBe(403);

    const first = (await (await h.call("onboardUser", { tierId, metadata: METADATA }, token)).json()) as Record<string, unknown>;
    expect(first.done).toBe(false);
    expect(String(first.name)).toStartWith("operations/");
    const second = (await (await h.call("onboardUser", { tierId, metadata: METADATA }, token)).json()) as {
      name: string;
      done: boolean;
      response: { cloudaicompanionProject: { id: string; name: string } };
    };
    expect(second.done).toBe(true);
    expect(second.name).toBe(String(first.name));
    const project = second.response.cloudaicompanionProject.id;
    expect(project).toBeString();
    expect(second.response.cloudaicompanionProject.name).toBeString();

    const after = (await (await h.call("loadCodeAssist", { metadata: METADATA }, token)).json()) as Record<string, unknown>;
    expect(after.cloudaicompanionProject).toBe(project);
    const gen = await h.call("generateContent", envelope(project, "gemini-3-flash", { contents: [userText("hi")] }), token);
    expect(gen.status).toBe(200);
  });

  test("an operation can also be polled by name", async () => {
    const h = await startSim({ accounts: [{ email: "n@agcp.test", refreshToken: "rt-n", projectId: null, tier: "pro" }] });
    const token = await h.token("rt-n");
    const op = (await (await h.call("onboardUser", { tierId: "standard-tier", metadata: METADATA }, token)).json()) as { name: string };
    const res = await fetch(`${h.url}/v1internal/${op.name}`, { headers: { authorization: `Bearer ${token}` } });
    const polled = (await res.json()) as { done: boolean; response?: { cloudaicompanionProject: { id: string } } };
    expect(polled.done).toBe(true);
    expect(polled.response?.cloudaicompanionProject.id).toBe(h.sim.state.accounts.get("n@agcp.test")?.projectId as string);
  });

  test("an unknown tier is a 400", async () => {
    const h = await startSim({ accounts: [{ email: "n@agcp.test", refreshToken: "rt-n", projectId: null }] });
    const res = await h.call("onboardUser", { tierId: "made-up-tier", metadata: METADATA }, await h.token("rt-n"));
    expect(res.status).toBe(400);
  });
});

describe("fetchAvailableModels", () => {
  test("lists every model with its pool's 5-hour quota and does not consume it", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const h = await startSim({
      accounts: [{ ...ACCOUNT, quota: { "gemini-3-flash": 0.25, "claude-sonnet-4-6": 0 } }],
      quotaWindowMs: 3_600_000,
      now: () => now,
    });
    let token = await h.token(ACCOUNT.refreshToken);
    const read = async () =>
      (await (await h.call("fetchAvailableModels", { project: "proj-a" }, token)).json()) as {
        models: Record<string, { displayName: string; quotaInfo: { remainingFraction?: number; resetTime: string } }>;
      };
    const body = await read();
    expect(Object.keys(body.models).sort()).toEqual(DEFAULT_SIM_MODELS.map((m) => m.id).sort());
    // Retired ids are not served; they are named with their successors instead.
    expect(Object.keys(body.models)).not.toContain("claude-sonnet-4-6-thinking");
    expect(Object.keys(body.models)).not.toContain("gemini-3.1-pro-high");
    expect(body.models["gemini-3-flash"]?.quotaInfo.remainingFraction).toBe(0.25);
    expect(body.models["gemini-3-flash"]?.displayName).toBe("Gemini 3 Flash");
    // quotaInfo is the pool's window, shared by every model of the pool.
    expect(body.models["gemini-2.5-flash"]?.quotaInfo.remainingFraction).toBe(0.25);
    expect(body.models["claude-opus-4-6-thinking"]?.quotaInfo.remainingFraction).toBeUndefined();
    const exhausted = body.models["claude-sonnet-4-6"]?.quotaInfo;
    expect(exhausted && "remainingFraction" in exhausted).toBe(false);
    expect(exhausted?.resetTime).toBe("2026-01-01T01:00:00.000Z");
    const again = await read();
    expect(again.models["gemini-3-flash"]?.quotaInfo.remainingFraction).toBe(0.25);
    now += 3_600_000;
    token = await h.token(ACCOUNT.refreshToken);
    expect((await read()).models["claude-sonnet-4-6"]?.quotaInfo.remainingFraction).toBe(1);
  });

  test("a foreign project is denied", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const res = await h.call("fetchAvailableModels", { project: "someone-else" }, await h.token(ACCOUNT.refreshToken));
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe("PERMISSION_DENIED");
  });
});
