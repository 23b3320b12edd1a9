/**
 * The official envelope form (the default) and each switch back to the legacy form.
 */
import { describe, expect, test } from "bun:test";
import { parseMessagesRequest } from "../../src/anthropic/schema.ts";
import { DEFAULT_ENVELOPE, type EnvelopeOptions, LEGACY_ENVELOPE, upstreamSessionId } from "../../src/google/envelope.ts";
import { outputLimitFor, DEFAULT_OUTPUT_LIMITS } from "../../src/google/output-limits.ts";
import { toCloudCodeRequest } from "../../src/google/request.ts";
import { createSignatureCache } from "../../src/google/signatures.ts";
import type { CloudCodeEnvelope, GoogleFunctionDeclaration, GoogleRequest } from "../../src/google/types.ts";

/** An agent envelope: conversations always carry a request id, a session and function tools. */
type AgentEnvelope = Omit<CloudCodeEnvelope, "requestId" | "request"> & {
  requestId: string;
  request: Omit<GoogleRequest, "sessionId" | "tools"> & { sessionId: string; tools?: Array<{ functionDeclarations: GoogleFunctionDeclaration[] }> };
};

const CONVERSATION = "0d9c2f4e-6a51-4b7e-9d3f-2c1b0a998877";
const NOW = 1_760_000_000_000;

const TOOL = { name: "Read", description: "Read a file", input_schema: { type: "object", properties: { path: { type: "string" } }, required: ["path"] } };
const LOOP = [
  { role: "user", content: "read a.txt" },
  { role: "assistant", content: [{ type: "text", text: "Reading." }, { type: "tool_use", id: "toolu_1", name: "Read", input: { path: "a.txt" } }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "hello" }, { type: "text", text: "go on" }] },
];

function convert(body: Record<string, unknown>, opts: { model?: string; envelope?: Partial<EnvelopeOptions>; conversation?: string; maxOutputTokens?: number; modelEnum?: string } = {}) {
  const req = parseMessagesRequest({ model: "claude-x", max_tokens: 4096, messages: [{ role: "user", content: "hi" }], ...body });
  return toCloudCodeRequest(req, {
    upstreamModel: opts.model ?? "claude-sonnet-4-6",
    projectId: "proj-1",
    sessionId: opts.conversation ?? CONVERSATION,
    signatures: createSignatureCache(),
    envelope: { ...DEFAULT_ENVELOPE, ...opts.envelope },
    now: NOW,
    ...(opts.maxOutputTokens !== undefined && { maxOutputTokens: opts.maxOutputTokens }),
    ...(opts.modelEnum && { modelEnum: opts.modelEnum }),
  }).envelope as AgentEnvelope;
}

describe("official form (default)", () => {
  test("top-level keys are exactly the official six", () => {
    expect(Object.keys(convert({})).sort()).toEqual(["model", "project", "request", "requestId", "requestType", "userAgent"]);
  });

  test("requestId is agent/<uuid>/<epochMs>/<trajectory>/<contents.length>, stable per conversation but for the time and step", () => {
    const one = convert({}).requestId;
    const uuid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    expect(one).toMatch(new RegExp(`^agent/${uuid}/${NOW}/${uuid}/1$`));
    expect(convert({ messages: LOOP }).requestId.split("/").at(-1)).toBe("4");
    const [, agent, , trajectory] = one.split("/");
    const again = convert({ messages: LOOP }).requestId.split("/");
    expect([again[1], again[3]]).toEqual([agent, trajectory]);
    const other = convert({}, { conversation: "another" }).requestId.split("/");
    expect(other[3]).not.toBe(trajectory);
  });

  test("sessionId is a negative int64 string, the same for every turn of a conversation", () => {
    const id = convert({}).request.sessionId;
    expect(id).toMatch(/^-[1-9][0-9]{0,18}$/);
    expect(BigInt(id) >= -(2n ** 63n)).toBe(true);
    expect(convert({ messages: LOOP }).request.sessionId).toBe(id);
    expect(convert({}, { conversation: "another" }).request.sessionId).not.toBe(id);
    expect(upstreamSessionId(CONVERSATION, "official")).toBe(id);
  });

  test("labels name the trajectory, the step, the model turns and the model family", () => {
    const envelope = convert({ messages: LOOP }, { modelEnum: "MODEL_PLACEHOLDER_M26" });
    const trajectory = envelope.requestId.split("/")[3];
    expect(envelope.request.labels).toEqual({
      last_step_index: "3",
      request_id: `${trajectory}-2`,
      trajectory_id: trajectory!,
      used_claude: "true",
      used_claude_conservative: "true",
      used_non_gemini_model: "true",
      model_enum: "MODEL_PLACEHOLDER_M26",
    });
    expect(convert({}, { model: "gemini-3-flash" }).request.labels).toMatchObject({ used_claude: "false", used_non_gemini_model: "false" });
  });

  test("one declarations entry per tool, VALIDATED when the model chooses, explicit choices kept", () => {
    const other = { ...TOOL, name: "Write" };
    const envelope = convert({ tools: [TOOL, other] });
    expect(envelope.request.tools?.map((t) => t.functionDeclarations.map((d) => d.name))).toEqual([["Read"], ["Write"]]);
    expect(envelope.request.toolConfig).toEqual({ functionCallingConfig: { mode: "VALIDATED" } });
    expect(convert({ tools: [TOOL], tool_choice: { type: "auto" } }).request.toolConfig?.functionCallingConfig.mode).toBe("VALIDATED");
    expect(convert({ tools: [TOOL], tool_choice: { type: "none" } }).request.toolConfig?.functionCallingConfig.mode).toBe("NONE");
    // A forced tool stays forced (Gemini; a Claude thinking model would let the model choose).
    expect(convert({ tools: [TOOL], tool_choice: { type: "tool", name: "Read" } }, { model: "gemini-3-flash" }).request.toolConfig).toEqual({
      functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["Read"] },
    });
  });

  test("tool results are a model turn with {output}; the message's other parts follow as a user turn", () => {
    const contents = convert({ messages: LOOP, tools: [TOOL] }).request.contents;
    expect(contents).toEqual([
      { role: "user", parts: [{ text: "read a.txt" }] },
      { role: "model", parts: [{ text: "Reading." }, { functionCall: { name: "Read", args: { path: "a.txt" }, id: "toolu_1" } }] },
      { role: "model", parts: [{ functionResponse: { name: "Read", response: { output: "hello" }, id: "toolu_1" } }] },
      { role: "user", parts: [{ text: "go on" }] },
    ]);
  });

  test("the system prompt is one part", () => {
    const system = [{ type: "text", text: "A" }, { type: "text", text: "B" }];
    expect(convert({ system }).request.systemInstruction).toEqual({ role: "user", parts: [{ text: "A\n\nB" }] });
  });
});

describe("switches back to the legacy form", () => {
  test("all legacy: agent-<uuid>, uuid session, no labels, no tool config, one entry, user results with {result}", () => {
    const envelope = convert({ messages: LOOP, tools: [TOOL, { ...TOOL, name: "Write" }] }, { envelope: LEGACY_ENVELOPE });
    expect(envelope.requestId).toMatch(/^agent-[0-9a-f-]{36}$/);
    expect(envelope.request.sessionId).toBe(CONVERSATION);
    expect(envelope.request.labels).toBeUndefined();
    expect(envelope.request.toolConfig).toBeUndefined();
    expect(envelope.request.tools).toHaveLength(1);
    expect(envelope.request.contents[2]).toEqual({
      role: "user",
      parts: [{ functionResponse: { name: "Read", response: { result: "hello" }, id: "toolu_1" } }, { text: "go on" }],
    });
  });

  test("geminiCallIds: false drops call and result ids on Gemini, never on Claude", () => {
    const gemini = convert({ messages: LOOP, tools: [TOOL] }, { model: "gemini-3-flash", envelope: { geminiCallIds: false } }).request.contents;
    expect(gemini[1]?.parts[1]?.functionCall?.id).toBeUndefined();
    expect(gemini[2]?.parts[0]?.functionResponse?.id).toBeUndefined();
    const claude = convert({ messages: LOOP, tools: [TOOL] }, { envelope: { geminiCallIds: false } }).request.contents;
    expect(claude[1]?.parts[1]?.functionCall?.id).toBe("toolu_1");
  });

  test("systemIdentity prepend puts the identity first, as its own part in per-block form", () => {
    const text = convert({ system: "Mine." }, { envelope: { systemIdentity: "prepend" } }).request.systemInstruction?.parts;
    expect(text).toEqual([{ text: `${DEFAULT_ENVELOPE.systemIdentityText}\n\nMine.` }]);
    const blocks = convert({ system: "Mine." }, { envelope: { systemIdentity: "prepend", systemParts: "per-block", systemIdentityText: "I am X." } }).request.systemInstruction?.parts;
    expect(blocks).toEqual([{ text: "I am X." }, { text: "Mine." }]);
  });
});

describe("output limits", () => {
  test("the most specific glob wins; unknown models are not capped", () => {
    expect(outputLimitFor("claude-opus-4-6-thinking", DEFAULT_OUTPUT_LIMITS)).toBe(64_000);
    expect(outputLimitFor("claude-opus-5-5-high", DEFAULT_OUTPUT_LIMITS)).toBe(128_000);
    expect(outputLimitFor("gemini-3.8-flash-high", DEFAULT_OUTPUT_LIMITS)).toBe(65_536);
    expect(outputLimitFor("gemini-3.1-pro-low", DEFAULT_OUTPUT_LIMITS)).toBe(65_535);
    expect(outputLimitFor("gpt-oss-120b-medium", DEFAULT_OUTPUT_LIMITS)).toBe(32_768);
    expect(outputLimitFor("mystery", DEFAULT_OUTPUT_LIMITS)).toBeUndefined();
    expect(outputLimitFor("claude-opus-4-6-thinking", { ...DEFAULT_OUTPUT_LIMITS, "claude-opus-4-6-thinking": 32_000 })).toBe(32_000);
  });

  test("max_tokens above the limit is capped; Claude's thinking budget shrinks below it with room to answer", () => {
    // The account's catalog entry wins over the configured table.
    const fromCatalog = toCloudCodeRequest(parseMessagesRequest({ model: "x", max_tokens: 100_000, messages: [{ role: "user", content: "hi" }] }), {
      upstreamModel: "gemini-3-flash",
      projectId: "p",
      sessionId: CONVERSATION,
      signatures: createSignatureCache(),
      maxOutputTokens: 50_000,
      thinkingInfo: { maxOutputTokens: 30_000 },
    });
    expect(fromCatalog.envelope.request.generationConfig.maxOutputTokens).toBe(30_000);
    const gemini = { model: "gemini-3-flash", maxOutputTokens: 50_000 };
    expect(convert({ max_tokens: 128_000 }, gemini).request.generationConfig.maxOutputTokens).toBe(50_000);
    expect(convert({ max_tokens: 1_000 }, gemini).request.generationConfig.maxOutputTokens).toBe(1_000);
    const thinking = convert({ max_tokens: 128_000, thinking: { type: "enabled", budget_tokens: 100_000 } }, { model: "claude-opus-4-6-thinking", maxOutputTokens: 64_000 })
      .request.generationConfig;
    expect(thinking.maxOutputTokens).toBe(64_000);
    const budget = Object.values(thinking.thinkingConfig ?? {}).find((v) => typeof v === "number") as number;
    expect(budget).toBe(64_000 - 1_024);
  });
});
