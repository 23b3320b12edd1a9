/**
 * Issue 10 §5: what upstream refuses, agcp's conversion turns into something it accepts. Each case
 * first shows the simulator's 400 for the raw form, then sends agcp's CONVERTED request to the
 * same simulator and gets a 200; the last part does the same through agcp with the official SDK.
 */
import type Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { parseMessagesRequest } from "../../src/anthropic/schema.ts";
import { DEFAULT_ENVELOPE, LEGACY_ENVELOPE, type EnvelopeOptions } from "../../src/google/envelope.ts";
import { DEFAULT_OUTPUT_LIMITS, outputLimitFor } from "../../src/google/output-limits.ts";
import { toCloudCodeRequest } from "../../src/google/request.ts";
import { EMPTY_OBJECT_PLACEHOLDER } from "../../src/google/schema-sanitize.ts";
import { createSignatureCache, type SignatureCache } from "../../src/google/signatures.ts";
import { DEFAULT_SIM_MODELS } from "../../src/sim/models.ts";
import { ACCOUNT, envelope, startSim, userText, type Harness } from "../sim/helpers.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, simAccounts } from "./helpers.ts";

// Upstream ids from the simulator's own catalog, so the cases follow the lineup when it moves.
const ids = DEFAULT_SIM_MODELS.map((m) => m.id);
const CLAUDE = ids.find((id) => id.startsWith("claude-opus"))!;
const GEMINI3 = ids.find((id) => /^gemini-3/.test(id))!;

let h: Harness;
let token: string;
beforeAll(async () => {
  h = await startSim({ accounts: [ACCOUNT] });
  token = await h.token(ACCOUNT.refreshToken);
});

async function post(body: unknown): Promise<{ status: number; message: string }> {
  const res = await h.call("streamGenerateContent", body, token, "?alt=sse");
  const text = await res.text();
  const message = res.status === 200 ? "" : ((JSON.parse(text) as { error: { message: string } }).error.message ?? "");
  return { status: res.status, message };
}

function converted(model: string, body: Record<string, unknown>, opts: { envelope?: EnvelopeOptions; signatures?: SignatureCache } = {}) {
  const req = parseMessagesRequest({ model: "claude-opus-4-1", max_tokens: 1024, ...body });
  return toCloudCodeRequest(req, {
    upstreamModel: model,
    projectId: ACCOUNT.projectId,
    sessionId: "9b2e1c3d-0000-4000-8000-00000000abcd",
    signatures: opts.signatures ?? createSignatureCache(),
    envelope: opts.envelope ?? DEFAULT_ENVELOPE,
    maxOutputTokens: outputLimitFor(model, DEFAULT_OUTPUT_LIMITS)!,
  }).envelope;
}

async function expectRawRefused(model: string, request: Record<string, unknown>, fragment: string): Promise<void> {
  const raw = await post(envelope(ACCOUNT.projectId, model, request));
  expect(raw.status).toBe(400);
  expect(raw.message).toContain(fragment);
}

async function expectAccepted(body: unknown): Promise<void> {
  const res = await post(body);
  if (res.status !== 200) throw new Error(`converted request refused: ${res.status} ${res.message}`);
}

const tool = (name: string, input_schema: Record<string, unknown>) => ({ name, description: `the ${name} tool`, input_schema });
const ask = (text: string) => [{ role: "user", content: text }];

describe("converted requests pass the simulator's rules", () => {
  test("tool schemas: empty object, enum on integers, array without items, JSON Schema keywords", async () => {
    const schemas: Array<[string, Record<string, unknown>, string]> = [
      ["empty", { type: "object", properties: {} }, "should be non-empty for OBJECT type"],
      ["nested_empty", { type: "object", properties: { options: { type: "object" } } }, "should be non-empty for OBJECT type"],
      ["int_enum", { type: "object", properties: { level: { type: "integer", enum: ["1", "2", "3"] } } }, "only allowed for STRING type"],
      ["bare_array", { type: "object", properties: { paths: { type: "array" } } }, "items: missing field"],
      ["keywords", { type: "object", additionalProperties: false, properties: { n: { type: "number", minimum: 0 } } }, 'Unknown name "additionalProperties"'],
      ["union", { type: "object", properties: { v: { anyOf: [{ type: "string" }, { type: "null" }] } } }, 'Unknown name "anyOf"'],
    ];
    for (const [name, schema, refusal] of schemas) {
      await expectRawRefused(GEMINI3, { contents: [userText("x")], tools: [{ functionDeclarations: [{ name, parameters: schema }] }] }, refusal);
      for (const model of [GEMINI3, CLAUDE]) {
        await expectAccepted(converted(model, { messages: ask(`use the ${name} tool`), tools: [tool(name, schema)] }));
      }
    }
  });

  test("Claude thinking with temperature and top_k", async () => {
    const thinkingConfig = { maxOutputTokens: 8192, thinkingConfig: { include_thoughts: true, thinking_budget: 4096 } };
    await expectRawRefused(CLAUDE, { contents: [userText("x")], generationConfig: { ...thinkingConfig, temperature: 0.3 } }, "temperature");
    await expectRawRefused(CLAUDE, { contents: [userText("x")], generationConfig: { ...thinkingConfig, topK: 5 } }, "top_k");
    await expectAccepted(
      converted(CLAUDE, { messages: ask("x"), max_tokens: 8192, temperature: 0.3, top_k: 5, thinking: { type: "enabled", budget_tokens: 4096 } }),
    );
  });

  test("max_tokens above the model's limit", async () => {
    await expectRawRefused(CLAUDE, { contents: [userText("x")], generationConfig: { maxOutputTokens: 200_000 } }, "maximum allowed number of output tokens");
    await expectRawRefused(GEMINI3, { contents: [userText("x")], generationConfig: { maxOutputTokens: 200_000 } }, "supported range");
    for (const model of [CLAUDE, GEMINI3]) await expectAccepted(converted(model, { messages: ask("x"), max_tokens: 200_000 }));
    await expectAccepted(converted(CLAUDE, { messages: ask("x"), max_tokens: 200_000, thinking: { type: "enabled", budget_tokens: 150_000 } }));
  });

  const loop = (thinking: unknown[]) => [
    { role: "user", content: "use the get_weather tool" },
    { role: "assistant", content: [...thinking, { type: "tool_use", id: "toolu_9", name: "get_weather", input: { city: "Oslo" } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_9", content: "4C" }] },
  ];
  const weather = tool("get_weather", { type: "object", properties: { city: { type: "string" } }, required: ["city"] });

  test("a thinking tool loop whose thinking was lost (restart, model switch)", async () => {
    const call = { functionCall: { name: "get_weather", id: "toolu_9", args: { city: "Oslo" } } };
    await expectRawRefused(
      CLAUDE,
      {
        contents: [userText("use the get_weather tool"), { role: "model", parts: [call] }, { role: "model", parts: [{ functionResponse: { name: "get_weather", id: "toolu_9", response: { output: "4C" } } }] }],
        tools: [{ functionDeclarations: [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }] }],
        generationConfig: { maxOutputTokens: 8192, thinkingConfig: { include_thoughts: true, thinking_budget: 4096 } },
      },
      "must start with a thinking block",
    );
    // The client sends back thinking whose signature this agcp never saw: it is dropped, and the turn goes without thinking.
    const foreign = [{ type: "thinking", thinking: "hmm", signature: "not-one-of-ours" }];
    await expectAccepted(converted(CLAUDE, { messages: loop(foreign), tools: [weather], max_tokens: 8192, thinking: { type: "enabled", budget_tokens: 4096 } }));
  });

  test("a Gemini 3 call in history without its signature", async () => {
    const call = { functionCall: { name: "get_weather", id: "toolu_9", args: { city: "Oslo" } } };
    await expectRawRefused(
      GEMINI3,
      {
        contents: [userText("use the get_weather tool"), { role: "model", parts: [call] }, { role: "model", parts: [{ functionResponse: { name: "get_weather", id: "toolu_9", response: { output: "4C" } } }] }],
        tools: [{ functionDeclarations: [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }] }],
      },
      "thought_signature",
    );
    await expectAccepted(converted(GEMINI3, { messages: loop([]), tools: [weather] }));
  });

  test("googleSearch never rides along with function declarations", async () => {
    await expectRawRefused(
      GEMINI3,
      { contents: [userText("x")], tools: [{ googleSearch: {} }, { functionDeclarations: [{ name: "f", parameters: { type: "object", properties: { a: { type: "string" } } } }] }] },
      "Tool use with function calling is unsupported",
    );
    // Claude Code's web search server tool is not turned into a function declaration next to the others.
    const body = converted(GEMINI3, { messages: ask("x"), tools: [weather, { type: "web_search_20250305", name: "web_search", max_uses: 3 }] });
    expect(JSON.stringify(body.request.tools)).not.toContain("googleSearch");
    await expectAccepted(body);
  });

  test("both envelope forms are accepted for every family", async () => {
    for (const form of [DEFAULT_ENVELOPE, LEGACY_ENVELOPE, { ...DEFAULT_ENVELOPE, geminiCallIds: false, systemIdentity: "prepend" as const }]) {
      for (const model of [CLAUDE, GEMINI3]) {
        await expectAccepted(converted(model, { system: "Be brief.", messages: loop([]), tools: [weather] }, { envelope: form }));
      }
    }
  });
});

describe("through agcp with the official SDK", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: fullAccounts(1, "acc") });
  });
  afterAll(() => stack?.close());

  const PING: Anthropic.Tool = { name: "ping", description: "Check the connection", input_schema: { type: "object", properties: {} } };

  test("a tool with an empty schema works, and the placeholder never reaches the client", async () => {
    const first = await stack.client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      tools: [PING],
      messages: [{ role: "user", content: "use the ping tool" }],
    });
    expect(first.stop_reason).toBe("tool_use");
    const use = first.content.find((b) => b.type === "tool_use");
    expect(use?.type === "tool_use" && use.name).toBe("ping");
    expect(use?.type === "tool_use" && use.input).toEqual({});

    const [account] = await simAccounts(stack);
    const sent = account!.counters.lastGenerateBody;
    expect(sent.request.tools).toEqual([
      { functionDeclarations: [{ name: "ping", description: "Check the connection", parameters: { type: "object", properties: { [EMPTY_OBJECT_PLACEHOLDER]: expect.any(Object) } } }] },
    ]);

    const second = await stack.client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 1024,
      tools: [PING],
      messages: [
        { role: "user", content: "use the ping tool" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: use!.type === "tool_use" ? use!.id : "", content: "pong" }] },
      ],
    });
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content.map((b) => (b.type === "text" ? b.text : "")).join("")).toContain("pong");

    // The official envelope went out: request id, labels, session, tool mode, result turn.
    const [after] = await simAccounts(stack);
    const body = after!.counters.lastGenerateBody;
    expect(Object.keys(body).sort()).toEqual(["model", "project", "request", "requestId", "requestType", "userAgent"]);
    expect(body.requestId).toMatch(/^agent\/[0-9a-f-]{36}\/\d{13}\/[0-9a-f-]{36}\/3$/);
    expect(body.request.sessionId).toMatch(/^-\d+$/);
    expect(body.request.sessionId).toBe(sent.request.sessionId);
    expect(body.request.labels).toMatchObject({ last_step_index: "2", used_claude: "true" });
    expect(body.request.toolConfig).toEqual({ functionCallingConfig: { mode: "VALIDATED" } });
    expect(body.request.contents[2]).toEqual({ role: "model", parts: [{ functionResponse: { name: "ping", id: expect.any(String), response: { output: "pong" } } }] });
  });

  test("Claude Code's own max_tokens and sampling with thinking are made acceptable", async () => {
    // This SDK's types no longer offer temperature; older clients still send it.
    const sampling = { temperature: 0.5 } as object;
    const message = await stack.client.messages
      .stream({
        model: "claude-opus-4-1",
        max_tokens: 200_000,
        thinking: { type: "enabled", budget_tokens: 150_000 },
        messages: [{ role: "user", content: "think about it" }],
        ...sampling,
      })
      .finalMessage();
    expect(message.stop_reason).toBe("end_turn");
    const [account] = await simAccounts(stack);
    const config = account!.counters.lastGenerateBody.request.generationConfig;
    expect(config.maxOutputTokens).toBe(outputLimitFor(account!.counters.lastGenerateBody.model, DEFAULT_OUTPUT_LIMITS));
    expect(config.temperature).toBeUndefined();
  });
});

describe("envelope switches through config", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      accounts: fullAccounts(1, "leg"),
      config: { upstream: { envelope: { requestId: "legacy", sessionId: "legacy", labels: false, toolMode: "auto", toolResults: "legacy" } } },
    });
  });
  afterAll(() => stack?.close());

  test("the legacy forms go out and are accepted", async () => {
    const message = await stack.client.messages.create({
      model: "claude-sonnet-4-5",
      max_tokens: 8000,
      tools: [{ name: "get_weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }],
      messages: [
        { role: "user", content: "use the get_weather tool" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "get_weather", input: { city: "Oslo" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "4C" }] },
      ],
    });
    expect(message.stop_reason).toBe("end_turn");
    const [account] = await simAccounts(stack);
    const body = account!.counters.lastGenerateBody;
    expect(body.requestId).toMatch(/^agent-[0-9a-f-]{36}$/);
    expect(body.request.labels).toBeUndefined();
    expect(body.request.toolConfig).toBeUndefined();
    expect(body.request.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.request.contents[2]).toMatchObject({ role: "user", parts: [{ functionResponse: { response: { result: "4C" } } }] });
  });
});
