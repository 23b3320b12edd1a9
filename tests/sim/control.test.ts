import { describe, expect, test } from "bun:test";
import { createSimulator, DEFAULT_SIM_MODELS, demoAccounts, NO_LONGER_SUPPORTED, type SimAccountView, type SimStats } from "../../src/sim/index.ts";
import { ACCOUNT, envelope, parseSse, startSim, userText } from "./helpers.ts";

const BODY = envelope("proj-a", "gemini-3-flash", { contents: [userText("hello control")] });

describe("control API", () => {
  test("lists and reads accounts with quotas, flags and counters", async () => {
    const h = await startSim({ accounts: [ACCOUNT, { email: "b@agcp.test", refreshToken: "rt-b", tier: "ultra", rateLimitPerMinute: 7 }] });
    const list = (await (await h.control("GET", "accounts")).json()) as SimAccountView[];
    expect(list.map((a) => a.email)).toEqual([ACCOUNT.email, "b@agcp.test"]);
    const b = list[1]!;
    expect(b.tier).toBe("ultra");
    expect(b.rateLimitPerMinute).toBe(7);
    expect(b.projectId).toBeString();
    expect(b.refreshToken).toBe("rt-b");
    expect(Object.keys(b.quotas)).toHaveLength(DEFAULT_SIM_MODELS.length);
    expect(b.quotas["gemini-3-flash"]?.remainingFraction).toBe(1);
    expect(b.counters.successfulGenerates).toBe(0);
    expect(b.fault).toBeNull();

    const one = await h.control("GET", `accounts/${encodeURIComponent(ACCOUNT.email)}`);
    expect(((await one.json()) as SimAccountView).projectId).toBe("proj-a");
    const missing = await h.control("GET", "accounts/nobody@agcp.test");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { status: string } }).error.status).toBe("NOT_FOUND");
  });

  test("PATCH changes behaviour: banned, revoked, rate limit, expired tokens, fault", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    let token = await h.token(ACCOUNT.refreshToken);
    const patch = (body: unknown) => h.control("PATCH", `accounts/${ACCOUNT.email}`, body);

    expect(((await (await patch({ banned: true })).json()) as SimAccountView).banned).toBe(true);
    expect((await h.call("generateContent", BODY, token)).status).toBe(403);
    await patch({ banned: false });
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);

    await patch({ expireAccessTokens: true });
    expect((await h.call("generateContent", BODY, token)).status).toBe(401);
    token = await h.token(ACCOUNT.refreshToken);

    await patch({ rateLimitPerMinute: 1 });
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);
    expect((await h.call("generateContent", BODY, token)).status).toBe(429);
    await patch({ rateLimitPerMinute: null });
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);

    const faulted = (await (await patch({ fault: { serverError: true } })).json()) as SimAccountView;
    expect(faulted.fault).toEqual({ serverError: true });
    expect((await h.call("generateContent", BODY, token)).status).toBe(500);
    expect((await h.call("generateContent", BODY, token)).status).toBe(500);
    await patch({ fault: null });
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);

    expect((await patch({ fault: { bogus: 1 } })).status).toBe(400);
    expect((await patch({ tier: "platinum" })).status).toBe(400);

    await patch({ revoked: true });
    const refused = await fetch(`${h.url}/token`, {
      method: "POST",
      body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: ACCOUNT.refreshToken }),
    });
    expect(refused.status).toBe(400);
  });

  test("POST adds an account, DELETE removes it", async () => {
    const h = await startSim({ accounts: [] });
    const created = await h.control("POST", "accounts", { email: "c@agcp.test", refreshToken: "rt-c", tier: "free", quota: 0.5 });
    expect(created.status).toBe(201);
    const view = (await created.json()) as SimAccountView;
    expect(view.quotas["claude-sonnet-4-6"]?.remainingFraction).toBe(0.5);
    expect((await h.control("POST", "accounts", { email: "c@agcp.test", refreshToken: "x" })).status).toBe(409);
    const token = await h.token("rt-c");
    expect((await h.call("loadCodeAssist", {}, token)).status).toBe(200);
    expect((await h.control("DELETE", "accounts/c@agcp.test")).status).toBe(200);
    expect((await h.call("loadCodeAssist", {}, token)).status).toBe(401);
  });

  test("global faults, stats and reset", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const token = await h.token(ACCOUNT.refreshToken);
    await h.control("PATCH", "faults", { capacity: "429" });
    expect(((await (await h.control("GET", "faults")).json()) as { fault: unknown }).fault).toEqual({ capacity: "429" });
    expect((await h.call("generateContent", BODY, token)).status).toBe(429);
    await h.control("PATCH", "faults", null);
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);
    await (await h.call("streamGenerateContent", BODY, token, "?alt=sse")).text();

    const stats = (await (await h.control("GET", "stats")).json()) as SimStats;
    expect(stats.accounts).toBe(1);
    expect(stats.requests.generateContent).toBe(2);
    expect(stats.requests.streamGenerateContent).toBe(1);
    expect(stats.successfulGenerates).toBe(2);
    expect(stats.rateLimited.MODEL_CAPACITY_EXHAUSTED).toBe(1);

    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { quota: 0 });
    const afterReset = (await (await h.control("POST", "reset", { quotas: true })).json()) as SimStats;
    expect(afterReset.successfulGenerates).toBe(0);
    expect(afterReset.requests).toEqual({});
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);
  });

  test("unknown paths answer 404 with a Google RPC body", async () => {
    const h = await startSim({ accounts: [] });
    for (const path of ["/__sim/nothing", "/v1internal:doesNotExist", "/random"]) {
      const res = await fetch(`${h.url}${path}`, { method: "POST" });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code: number; status: string; message: string } };
      expect(body.error.code).toBe(404);
      expect(body.error.status).toBe("NOT_FOUND");
    }
  });
});

describe("demo accounts", () => {
  test("are deterministic and varied", () => {
    const a = demoAccounts(4);
    expect(a).toEqual(demoAccounts(4));
    expect(a.map((x) => x.email)).toEqual(["demo1@agcp.test", "demo2@agcp.test", "demo3@agcp.test", "demo4@agcp.test"]);
    for (const [i, x] of a.entries()) expect(x.refreshToken).toMatch(new RegExp(`^sim-refresh-${i + 1}-[0-9a-f]+$`));
    expect(new Set(a.map((x) => x.tier)).size).toBeGreaterThan(1);
    // One is nearly through its weekly Claude window; one is free tier (weekly windows only).
    const low = (x: (typeof a)[number]) => Object.values(x.buckets ?? {}).some((b) => (typeof b === "number" ? b : (b.remainingFraction ?? 1)) < 0.05);
    expect(a.some(low)).toBe(true);
    expect(a.some((x) => x.tier === "free")).toBe(true);
  });

  test("serve a demo straight away", async () => {
    const accounts = demoAccounts(3);
    const sim = createSimulator({ accounts });
    const { url } = await sim.listen();
    try {
      const tokenRes = await fetch(`${url}/token`, {
        method: "POST",
        body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: accounts[0]!.refreshToken }),
      });
      const { access_token } = (await tokenRes.json()) as { access_token: string };
      const project = sim.state.accounts.get("demo1@agcp.test")!.projectId!;
      const res = await fetch(`${url}/v1internal:streamGenerateContent?alt=sse`, {
        method: "POST",
        headers: { authorization: `Bearer ${access_token}` },
        body: JSON.stringify(envelope(project, "claude-opus-4-6-thinking", { contents: [userText("demo")] })),
      });
      expect(parseSse(await res.text()).length).toBeGreaterThan(1);
    } finally {
      await sim.close();
    }
  });
});

test("an in-process drop rejects the reader", async () => {
  const sim = createSimulator({ accounts: [ACCOUNT] });
  const tokenRes = await sim.fetch(
    new Request("http://sim.local/token", { method: "POST", body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: ACCOUNT.refreshToken }) }),
  );
  const { access_token } = (await tokenRes.json()) as { access_token: string };
  sim.state.globalFault = { dropAfterChunks: 1 };
  const res = await sim.fetch(
    new Request("http://sim.local/v1internal:streamGenerateContent?alt=sse", {
      method: "POST",
      headers: { authorization: `Bearer ${access_token}` },
      body: JSON.stringify(BODY),
    }),
  );
  await expect(res.text()).rejects.toThrow("connection drop");
});

test("the version gate judges the User-Agent's own family, and only generate calls", async () => {
  const h = await startSim({ accounts: [ACCOUNT], versionGates: { desktop: { minimum: "2.0.0", newerModels: "2.9.0" }, cli: { minimum: "1.0.0", newerModels: "1.2.0" } } });
  const token = await h.token(ACCOUNT.refreshToken);
  const generate = (agent: string, model: string) =>
    fetch(`${h.url}/v1internal:generateContent`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "user-agent": agent },
      body: JSON.stringify(envelope(ACCOUNT.projectId, model, { contents: [userText("hello")] })),
    });
  const answerOf = async (res: Response) => {
    expect(res.status).toBe(200);
    const body = (await res.json()) as { response: { candidates: { content: { parts: { text?: string }[] }; finishReason: string }[] } };
    return body.response.candidates[0]!;
  };
  // Below the old gate: a normal-looking completion whose only text is the refusal.
  const refused = await answerOf(await generate("antigravity/1.15.8 linux/amd64", "gemini-3.7-flash-low"));
  expect(refused.content.parts.map((p) => p.text).join("")).toBe(NO_LONGER_SUPPORTED);
  expect(refused.finishReason).toBe("STOP");
  // The catalog still answers: the gate shows only in generation.
  const catalog = await fetch(`${h.url}/v1internal:fetchAvailableModels`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "user-agent": "antigravity/1.15.8 linux/amd64" },
    body: "{}",
  });
  expect(catalog.status).toBe(200);
  // Above the old gate, below the newer-models gate: older models work, newer ones are 404.
  const ide = "antigravity/ide/2.5.5 (aidev_client; os_type=darwin; arch=arm64)";
  expect((await answerOf(await generate(ide, "gemini-3.7-flash-low"))).content.parts.map((p) => p.text).join("")).toContain("Simulated");
  const newer = await generate(ide, "gemini-3.8-flash-low");
  expect(newer.status).toBe(404);
  expect(((await newer.json()) as { error: { message: string } }).error.message).toBe("Requested entity was not found.");
  // agy counts its own versions.
  const agy = (v: string) => `antigravity/cli/${v} (aidev_client; os_type=linux; arch=amd64; cl=978750357; auth_method=consumer)`;
  expect((await generate(agy("1.1.27"), "claude-opus-5-5-high")).status).toBe(404);
  expect((await answerOf(await generate(agy("1.2.0"), "claude-opus-5-5-high"))).content.parts.length).toBeGreaterThan(0);
  expect((await answerOf(await generate("antigravity/hub/2.13.0 darwin/arm64", "gemini-3.8-flash-low"))).finishReason).toBe("STOP");

  // The gate moves at run time through the control API.
  const raised = await h.control("PATCH", "version-gate", { cli: { minimum: "1.5.0" } });
  expect(((await raised.json()) as { cli: { minimum: string } }).cli.minimum).toBe("1.5.0");
  const now = await answerOf(await generate(agy("1.2.0"), "claude-opus-5-5-high"));
  expect(now.content.parts.map((p) => p.text).join("")).toContain("no longer supported");
  expect((await h.control("PATCH", "version-gate", { cli: { minimum: "one" } })).status).toBe(400);
  await h.control("PATCH", "version-gate", null);
  expect((await answerOf(await generate("antigravity/0.1.0 linux/amd64", "gemini-3.8-flash-low"))).finishReason).toBe("STOP");
});
