import { describe, expect, test } from "bun:test";
import { poolOfModel } from "../../src/google/quota-pools.ts";
import type { SimAccountView } from "../../src/sim/index.ts";
import { ACCOUNT, envelope, startSim, userText, type Harness } from "./helpers.ts";

interface Bucket {
  bucketId: string;
  displayName: string;
  window: string;
  remainingFraction?: number;
  resetTime: string;
}
interface Summary {
  groups: { displayName: string; description: string; buckets: Bucket[] }[];
}
interface RpcBody {
  error: { code: number; status: string; message: string; details?: { "@type": string; reason?: string; metadata?: Record<string, string> }[] };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = Date.parse("2026-10-01T08:00:00Z");

/** Model ids of one pool, from the simulator's own catalog (the lineup moves; the pools do not). */
function modelsOf(h: Harness, pool: "gemini" | "claude"): string[] {
  const ids = h.sim.state.config.models.map((m) => m.id).filter((id) => poolOfModel(id) === pool);
  if (ids.length < 2) throw new Error(`the simulator's catalog has fewer than two ${pool} models`);
  return ids;
}

async function summary(h: Harness, token: string): Promise<Summary> {
  const res = await h.call("retrieveUserQuotaSummary", { project: ACCOUNT.projectId }, token);
  expect(res.status).toBe(200);
  return (await res.json()) as Summary;
}

function bucketOf(s: Summary, id: string): Bucket | undefined {
  return s.groups.flatMap((g) => g.buckets).find((b) => b.bucketId === id);
}

async function generate(h: Harness, token: string, model: string): Promise<Response> {
  return h.call("generateContent", envelope(ACCOUNT.projectId, model, { contents: [userText("hello")] }), token);
}

async function view(h: Harness, email = ACCOUNT.email): Promise<SimAccountView> {
  return (await (await h.control("GET", `accounts/${email}`)).json()) as SimAccountView;
}

describe("retrieveUserQuotaSummary", () => {
  test("answers both groups, each with a weekly and a 5-hour bucket, in the sheet's shape", async () => {
    const h = await startSim({ accounts: [ACCOUNT], now: () => START });
    const s = await summary(h, await h.token(ACCOUNT.refreshToken));
    expect(s.groups.map((g) => g.displayName)).toEqual(["Gemini Models", "Claude and GPT models"]);
    expect(s.groups.map((g) => g.buckets.map((b) => b.bucketId))).toEqual([
      ["gemini-weekly", "gemini-5h"],
      ["3p-weekly", "3p-5h"],
    ]);
    expect(bucketOf(s, "3p-5h")).toEqual({
      bucketId: "3p-5h",
      displayName: "Five Hour Limit Remaining",
      window: "5h",
      remainingFraction: 1,
      resetTime: new Date(START + 5 * HOUR).toISOString(),
    });
    expect(bucketOf(s, "gemini-weekly")).toEqual({
      bucketId: "gemini-weekly",
      displayName: "Weekly Limit Remaining",
      window: "weekly",
      remainingFraction: 1,
      resetTime: new Date(START + 7 * DAY).toISOString(),
    });
    // A quota read costs nothing.
    expect(bucketOf(await summary(h, await h.token(ACCOUNT.refreshToken)), "3p-5h")?.remainingFraction).toBe(1);
  });

  test("free tier has weekly buckets only, and its third-party quotaInfo carries no fraction", async () => {
    const h = await startSim({ accounts: [{ ...ACCOUNT, tier: "free" }], now: () => START });
    const token = await h.token(ACCOUNT.refreshToken);
    const s = await summary(h, token);
    expect(s.groups.map((g) => g.buckets.map((b) => b.window))).toEqual([["weekly"], ["weekly"]]);
    const models = (await (await h.call("fetchAvailableModels", { project: ACCOUNT.projectId }, token)).json()) as {
      models: Record<string, { quotaInfo: { remainingFraction?: number; resetTime?: string } }>;
    };
    const claude = modelsOf(h, "claude")[0]!;
    const gemini = modelsOf(h, "gemini")[0]!;
    expect(models.models[claude]?.quotaInfo.remainingFraction).toBeUndefined();
    expect(models.models[claude]?.quotaInfo.resetTime).toBe(new Date(START + 7 * DAY).toISOString());
    expect(models.models[gemini]?.quotaInfo.remainingFraction).toBe(1);
  });

  test("a foreign project is denied; a body without one answers", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const token = await h.token(ACCOUNT.refreshToken);
    expect((await h.call("retrieveUserQuotaSummary", { project: "someone-else" }, token)).status).toBe(403);
    expect((await h.call("retrieveUserQuotaSummary", {}, token)).status).toBe(200);
  });
});

describe("pools and windows", () => {
  test("a generate drains both windows of its model's pool and nothing of the other pool", async () => {
    const h = await startSim({ accounts: [ACCOUNT], requestsPerQuota: 10, requestsPerWeek: 100, now: () => START });
    const token = await h.token(ACCOUNT.refreshToken);
    const [first, second] = modelsOf(h, "claude");
    for (const model of [first!, second!]) {
      const res = await generate(h, token, model);
      expect(res.status).toBe(200);
      await res.text();
    }
    const s = await summary(h, token);
    expect(bucketOf(s, "3p-5h")?.remainingFraction).toBeCloseTo(0.8, 10);
    expect(bucketOf(s, "3p-weekly")?.remainingFraction).toBeCloseTo(0.98, 10);
    expect(bucketOf(s, "gemini-5h")?.remainingFraction).toBe(1);
    expect(bucketOf(s, "gemini-weekly")?.remainingFraction).toBe(1);
    // quotaInfo is the pool's 5-hour value, the same for every model of the pool.
    const models = (await (await h.call("fetchAvailableModels", { project: ACCOUNT.projectId }, token)).json()) as {
      models: Record<string, { quotaInfo: { remainingFraction?: number } }>;
    };
    for (const id of modelsOf(h, "claude")) expect(models.models[id]?.quotaInfo.remainingFraction).toBeCloseTo(0.8, 10);
  });

  test("an empty weekly window refuses every model of the pool with the weekly reset, and the other pool still serves", async () => {
    const h = await startSim({ accounts: [ACCOUNT], now: () => START });
    const token = await h.token(ACCOUNT.refreshToken);
    const patched = await h.control("PATCH", `accounts/${ACCOUNT.email}`, {
      buckets: { "3p-weekly": { remainingFraction: 0, resetInMs: 3 * DAY } },
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as SimAccountView).buckets["3p-weekly"]).toEqual({
      pool: "claude",
      window: "weekly",
      remainingFraction: 0,
      resetTime: new Date(START + 3 * DAY).toISOString(),
    });
    for (const model of modelsOf(h, "claude")) {
      const res = await generate(h, token, model);
      expect(res.status).toBe(429);
      const body = (await res.json()) as RpcBody;
      expect(body.error.status).toBe("RESOURCE_EXHAUSTED");
      const info = body.error.details?.find((d) => d["@type"] === "type.googleapis.com/google.rpc.ErrorInfo");
      expect(info?.reason).toBe("QUOTA_EXHAUSTED");
      expect(info?.metadata?.model).toBe(model);
      expect(info?.metadata?.quotaResetTimeStamp).toBe(new Date(START + 3 * DAY).toISOString());
      expect(info?.metadata?.quotaResetDelay).toBe("72h0m0s");
    }
    const gemini = await generate(h, token, modelsOf(h, "gemini")[0]!);
    expect(gemini.status).toBe(200);
    await gemini.text();
    expect((await view(h)).counters.rateLimited.QUOTA_EXHAUSTED).toBe(modelsOf(h, "claude").length);
    // The summary shows the empty window without a fraction (proto3 leaves zero out).
    const s = await summary(h, token);
    expect(bucketOf(s, "3p-weekly")).toEqual({
      bucketId: "3p-weekly",
      displayName: "Weekly Limit Remaining",
      window: "weekly",
      resetTime: new Date(START + 3 * DAY).toISOString(),
    });
  });

  test("each window resets on its own clock", async () => {
    let now = START;
    const h = await startSim({ accounts: [ACCOUNT], requestsPerQuota: 2, requestsPerWeek: 3, quotaWindowMs: HOUR, weeklyWindowMs: DAY, now: () => now });
    const claude = modelsOf(h, "claude")[0]!;
    let token = await h.token(ACCOUNT.refreshToken);
    const ok = async () => {
      const res = await generate(h, token, claude);
      expect(res.status).toBe(200);
      await res.text();
    };
    await ok();
    await ok();
    // The 5-hour window is empty first.
    let refused = (await (await generate(h, token, claude)).json()) as RpcBody;
    expect(refused.error.details?.[0]?.metadata?.quotaResetTimeStamp).toBe(new Date(START + HOUR).toISOString());
    now = START + HOUR;
    token = await h.token(ACCOUNT.refreshToken);
    await ok();
    // Now the weekly one is empty, though the 5-hour one has room: the weekly reset is the hint.
    const s = await summary(h, token);
    expect(bucketOf(s, "3p-5h")?.remainingFraction).toBe(0.5);
    expect(bucketOf(s, "3p-weekly")?.remainingFraction).toBeUndefined();
    refused = (await (await generate(h, token, claude)).json()) as RpcBody;
    expect(refused.error.details?.[0]?.metadata?.quotaResetTimeStamp).toBe(new Date(START + DAY).toISOString());
    now = START + DAY;
    token = await h.token(ACCOUNT.refreshToken);
    await ok();
  });

  test("the per-model quota knob sets the pool's 5-hour window; bad bucket patches are 400s", async () => {
    const h = await startSim({ accounts: [ACCOUNT], now: () => START });
    const [a, b] = modelsOf(h, "gemini");
    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { quota: { [a!]: 0.4 } });
    const v = await view(h);
    expect(v.buckets["gemini-5h"]?.remainingFraction).toBe(0.4);
    expect(v.buckets["gemini-weekly"]?.remainingFraction).toBe(1);
    expect(v.quotas[b!]?.remainingFraction).toBe(0.4);
    expect((await h.control("PATCH", `accounts/${ACCOUNT.email}`, { buckets: { "claude-5h": 0 } })).status).toBe(400);
    expect((await h.control("PATCH", `accounts/${ACCOUNT.email}`, { buckets: { "3p-5h": { remainingFraction: 2 } } })).status).toBe(400);
    expect((await h.control("PATCH", `accounts/${ACCOUNT.email}`, { buckets: { "3p-5h": { resetInMs: -1 } } })).status).toBe(400);
  });
});
