/**
 * The simulated countTokens and the Agent-SDK identity fault, as cloudcode-protocol.md describes
 * them ("Token counting", "Errors (additions)").
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { DEFAULT_SIM_MODELS, simCountTokens } from "../../src/sim/index.ts";
import { AGENT_SDK_IDENTITY_SENTENCE } from "../../src/upstream/agent-identity.ts";
import { ACCOUNT, envelope, parseSse, startSim, userText, type Harness } from "./helpers.ts";

let h: Harness;
let token: string;

const FLASH = "gemini-3.8-flash-low";

beforeAll(async () => {
  h = await startSim({
    accounts: [ACCOUNT],
    models: [
      ...DEFAULT_SIM_MODELS,
      ...[FLASH, "gemini-3.6-flash-low"].filter((id) => !DEFAULT_SIM_MODELS.some((m) => m.id === id)).map((id) => ({ id, displayName: id })),
    ],
  });
  token = await h.token(ACCOUNT.refreshToken);
});

async function count(body: unknown): Promise<{ status: number; json: any }> {
  const res = await h.call("countTokens", body, token);
  return { status: res.status, json: await res.json() };
}

async function counters(): Promise<any> {
  return (await (await h.control("GET", `accounts/${ACCOUNT.email}`)).json()).counters;
}

describe("countTokens", () => {
  const request = {
    contents: [userText("How many tokens is this sentence, exactly?")],
    systemInstruction: { role: "user", parts: [{ text: "Be brief." }] },
    tools: [{ functionDeclarations: [{ name: "lookup", description: "Looks up a word", parameters: { type: "OBJECT", properties: {} } }] }],
  };

  test("answers totalTokens, the exported count of contents, system instruction and tools", async () => {
    const { status, json } = await count({ request });
    expect(status).toBe(200);
    expect(Object.keys(json)).toEqual(["totalTokens"]);
    expect(json.totalTokens).toBe(simCountTokens(request));
    // More content, more tokens: the count is not a constant.
    const longer = { ...request, contents: [userText("How many tokens is this sentence, exactly? ".repeat(20))] };
    const second = await count({ request: longer });
    expect(second.json.totalTokens).toBeGreaterThan(json.totalTokens);
  });

  test("model or project beside request is an Unknown name 400", async () => {
    for (const key of ["model", "project"]) {
      const { status, json } = await count({ [key]: "x", request });
      expect(status).toBe(400);
      expect(json.error.status).toBe("INVALID_ARGUMENT");
      expect(json.error.message).toContain(`Unknown name "${key}"`);
    }
  });

  test("safetySettings and other generate-only keys inside request are rejected", async () => {
    for (const key of ["safetySettings", "sessionId", "toolConfig"]) {
      const { status, json } = await count({ request: { ...request, [key]: [] } });
      expect(status).toBe(400);
      expect(json.error.message).toContain(`Unknown name "${key}"`);
    }
  });

  test("costs no quota and takes no rate-limit slot", async () => {
    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { rateLimitPerMinute: 1, quota: 0.5 });
    try {
      for (let i = 0; i < 5; i++) expect((await count({ request })).status).toBe(200);
      const account = await (await h.control("GET", `accounts/${ACCOUNT.email}`)).json();
      for (const q of Object.values(account.quotas) as { remainingFraction: number }[]) expect(q.remainingFraction).toBe(0.5);
    } finally {
      await h.control("PATCH", `accounts/${ACCOUNT.email}`, { rateLimitPerMinute: null, quota: 1 });
    }
  });

  test("an injected server error reaches counts too", async () => {
    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { fault: { serverError: true, failNext: 1 } });
    expect((await count({ request })).status).toBe(500);
    expect((await count({ request })).status).toBe(200);
  });
});

describe("the Agent SDK identity sentence", () => {
  const withSentence = (model: string) =>
    envelope("proj-a", model, {
      contents: [userText("hello")],
      systemInstruction: { role: "user", parts: [{ text: `${AGENT_SDK_IDENTITY_SENTENCE}\nHelp the user.` }] },
    });

  test("on Gemini 3.8 Flash: a 429 with no details, and nothing generated", async () => {
    const before = await counters();
    const res = await h.call("streamGenerateContent", withSentence(FLASH), token, "?alt=sse");
    expect(res.status).toBe(429);
    const body = (await res.json()) as any;
    expect(body.error.status).toBe("RESOURCE_EXHAUSTED");
    expect(body.error.message).toBe("Resource has been exhausted (e.g. check quota).");
    expect(body.error.details).toBeUndefined();
    expect((await counters()).successfulGenerates).toBe(before.successfulGenerates);
  });

  test("the same request without the sentence succeeds", async () => {
    const res = await h.call(
      "streamGenerateContent",
      envelope("proj-a", FLASH, { contents: [userText("hello")], systemInstruction: { role: "user", parts: [{ text: "Help the user." }] } }),
      token,
      "?alt=sse",
    );
    expect(res.status).toBe(200);
    expect(parseSse(await res.text()).length).toBeGreaterThan(0);
  });

  test("Claude models and older Gemini Flash are unaffected", async () => {
    for (const model of ["claude-sonnet-4-6", "gemini-3.6-flash-low"]) {
      const res = await h.call("streamGenerateContent", withSentence(model), token, "?alt=sse");
      expect(res.status).toBe(200);
      await res.text();
    }
  });
});
