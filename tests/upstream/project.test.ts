import { describe, expect, test } from "bun:test";
import { UpstreamError } from "../../src/upstream/errors.ts";
import {
  createProjectCache,
  discoverProject,
  readLoadCodeAssist,
  tierWord,
  type CodeAssistCall,
  type CodeAssistMethod,
} from "../../src/upstream/project.ts";

function scripted(answers: Partial<Record<CodeAssistMethod, unknown[]>>) {
  const calls: Array<{ method: CodeAssistMethod; body: unknown }> = [];
  const call: CodeAssistCall = async (method, body) => {
    calls.push({ method, body });
    const queue = answers[method] ?? [];
    return queue.length > 1 ? queue.shift() : queue[0];
  };
  return { call, calls };
}

const noSleep = { sleep: async () => {}, onboardIntervalMs: 0 };

describe("tierWord", () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ["g1-ultra-tier", "ultra"],
    ["standard-tier", "pro"],
    ["g1-pro-tier", "pro"],
    ["premium", "pro"],
    ["free-tier", "free"],
    ["legacy-tier", undefined],
    [undefined, undefined],
  ];
  for (const [id, word] of cases) test(String(id), () => expect(tierWord(id)).toBe(word as never));
});

describe("readLoadCodeAssist", () => {
  test("project as a string, tier from paidTier before currentTier", () => {
    expect(
      readLoadCodeAssist({
        cloudaicompanionProject: "p-1",
        currentTier: { id: "standard-tier" },
        paidTier: { id: "g1-ultra-tier" },
      }),
    ).toEqual({ projectId: "p-1", tier: "ultra", onboardTierId: "standard-tier" });
  });
  test("project as {id}, tier from currentTier", () => {
    expect(readLoadCodeAssist({ cloudaicompanionProject: { id: "p-2" }, currentTier: { id: "free-tier" } })).toMatchObject({
      projectId: "p-2",
      tier: "free",
    });
  });
  test("no project: onboard into the default allowed tier", () => {
    expect(
      readLoadCodeAssist({
        allowedTiers: [
          { id: "free-tier", isDefault: false },
          { id: "standard-tier", isDefault: true },
        ],
      }),
    ).toEqual({ projectId: undefined, tier: "pro", onboardTierId: "standard-tier" });
  });
  test("junk answers", () => {
    expect(readLoadCodeAssist(null)).toEqual({ projectId: undefined, tier: "unknown", onboardTierId: "free-tier" });
    expect(readLoadCodeAssist({ cloudaicompanionProject: { id: 3 } }).projectId).toBeUndefined();
  });
});

describe("discoverProject", () => {
  test("an existing project needs only loadCodeAssist, with IDE metadata", async () => {
    const { call, calls } = scripted({ loadCodeAssist: [{ cloudaicompanionProject: "p", currentTier: { id: "g1-pro-tier" } }] });
    expect(await discoverProject(call, noSleep)).toEqual({ projectId: "p", tier: "pro" });
    expect(calls).toEqual([
      {
        method: "loadCodeAssist",
        body: { metadata: { ideType: "ANTIGRAVITY", platform: "PLATFORM_UNSPECIFIED", pluginType: "GEMINI" } },
      },
    ]);
  });

  test("no project → onboardUser polled until done", async () => {
    const { call, calls } = scripted({
      loadCodeAssist: [{ allowedTiers: [{ id: "free-tier", isDefault: true }] }],
      onboardUser: [
        { name: "operations/1", done: false },
        { name: "operations/1", done: false },
        { name: "operations/1", done: true, response: { cloudaicompanionProject: { id: "onboarded-7", name: "x" } } },
      ],
    });
    const slept: number[] = [];
    const info = await discoverProject(call, { onboardIntervalMs: 5, sleep: async (ms) => void slept.push(ms) });
    expect(info).toEqual({ projectId: "onboarded-7", tier: "free" });
    const onboards = calls.filter((c) => c.method === "onboardUser");
    expect(onboards.length).toBe(3);
    expect(onboards[0]!.body).toMatchObject({ tierId: "free-tier", metadata: { ideType: "ANTIGRAVITY" } });
    expect(slept).toEqual([5, 5]);
  });

  test("onboarding that never finishes gives up after the attempt bound", async () => {
    const { call, calls } = scripted({ loadCodeAssist: [{}], onboardUser: [{ done: false }] });
    const err = await discoverProject(call, { ...noSleep, maxOnboardAttempts: 4 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).message).toContain("4 attempts");
    expect(calls.filter((c) => c.method === "onboardUser").length).toBe(4);
  });

  test("onboarding done without a project id is an error", async () => {
    const { call } = scripted({ loadCodeAssist: [{}], onboardUser: [{ done: true, response: {} }] });
    await expect(discoverProject(call, noSleep)).rejects.toBeInstanceOf(UpstreamError);
  });
});

describe("createProjectCache", () => {
  test("one discovery per account, shared by concurrent callers", async () => {
    let runs = 0;
    const cache = createProjectCache(async (account: { id: string }) => {
      runs++;
      await Bun.sleep(5);
      return { projectId: `p-${account.id}`, tier: "pro" as const };
    });
    const results = await Promise.all([1, 2, 3].map(() => cache.get({ id: "a" })));
    expect(results.map((r) => r.projectId)).toEqual(["p-a", "p-a", "p-a"]);
    await cache.get({ id: "a" });
    expect(runs).toBe(1);
    await cache.get({ id: "b" });
    expect(runs).toBe(2);
    cache.invalidate("a");
    await cache.get({ id: "a" });
    expect(runs).toBe(3);
  });

  test("a configured project id skips discovery", async () => {
    let runs = 0;
    const cache = createProjectCache(async () => {
      runs++;
      return { projectId: "x", tier: "free" as const };
    });
    expect(await cache.get({ id: "a", projectId: "configured" })).toEqual({ projectId: "configured", tier: "unknown" });
    expect(runs).toBe(0);
  });

  test("failures are not cached", async () => {
    let runs = 0;
    const cache = createProjectCache(async () => {
      if (++runs === 1) throw new UpstreamError({ kind: "network", message: "down" });
      return { projectId: "ok", tier: "free" as const };
    });
    await expect(cache.get({ id: "a" })).rejects.toBeInstanceOf(UpstreamError);
    expect((await cache.get({ id: "a" })).projectId).toBe("ok");
  });
});
