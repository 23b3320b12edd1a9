import { describe, expect, test } from "bun:test";
import { hasContent, toAnthropicMessage } from "../../src/google/response.ts";
import { createSignatureCache } from "../../src/google/signatures.ts";
import { createToolNameMap } from "../../src/google/tool-names.ts";
import type { CloudCodeResponse, GooglePart } from "../../src/google/types.ts";

function counterIds() {
  let n = 0;
  return (prefix: "msg" | "toolu") => `${prefix}_${++n}`;
}

function convert(parts: GooglePart[], finishReason = "STOP", family: "claude" | "gemini" = "claude", extra: Partial<CloudCodeResponse> = {}) {
  const signatures = createSignatureCache();
  const toolNames = createToolNameMap(["mcp__x__do.it"]);
  const message = toAnthropicMessage(
    { candidates: [{ content: { role: "model", parts }, finishReason }], ...extra },
    { requestedModel: "claude-sonnet-4-5", toolNames, signatures, family, newId: counterIds() },
  );
  return { message, signatures };
}

describe("toAnthropicMessage", () => {
  test("text and envelope fields", () => {
    const { message } = convert([{ text: "Hello" }, { text: ", world" }]);
    expect(message).toEqual({
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [{ type: "text", text: "Hello, world" }],
      stop_reason: "end_turn",
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    });
  });

  test("thought parts become one thinking block with the signature, which is remembered", () => {
    const { message, signatures } = convert([
      { text: "Let me ", thought: true },
      { text: "think.", thought: true },
      { text: "", thought: true, thoughtSignature: "SIG" },
      { text: "Answer" },
    ]);
    expect(message.content).toEqual([
      { type: "thinking", thinking: "Let me think.", signature: "SIG" },
      { type: "text", text: "Answer" },
    ]);
    expect(signatures.thinkingFamily("SIG")).toBe("claude");
  });

  test("gemini: a signature on the first answer part signs the thoughts before it", () => {
    const { message, signatures } = convert([{ text: "hmm", thought: true }, { text: "Answer", thoughtSignature: "GSIG" }], "STOP", "gemini");
    expect(message.content[0]).toEqual({ type: "thinking", thinking: "hmm", signature: "GSIG" });
    expect(signatures.thinkingFamily("GSIG")).toBe("gemini");
  });

  test("function calls become tool_use with restored names, generated ids and remembered signatures", () => {
    const { message, signatures } = convert(
      [
        { functionCall: { name: "mcp__x__do_it", args: { a: 1 } }, thoughtSignature: "FC" },
        { functionCall: { name: "Other", args: {}, id: "call_7" } },
        { functionCall: { name: "NoArgs" } },
      ],
      "STOP",
      "gemini",
    );
    expect(message.content).toEqual([
      { type: "tool_use", id: "toolu_1", name: "mcp__x__do.it", input: { a: 1 } },
      { type: "tool_use", id: "toolu_call_7", name: "Other", input: {} },
      { type: "tool_use", id: "toolu_2", name: "NoArgs", input: {} },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(signatures.toolCallSignature("toolu_1")).toBe("FC");
  });

  test("claude function-call signatures are not kept for gemini round trips", () => {
    const { signatures } = convert([{ functionCall: { name: "X", args: {}, id: "c1" }, thoughtSignature: "FC" }]);
    expect(signatures.toolCallSignature("c1")).toBeUndefined();
    expect(signatures.toolCallSignature("toolu_c1")).toBeUndefined();
  });

  const stops: Array<[string, string, boolean]> = [
    ["STOP", "end_turn", false],
    ["MAX_TOKENS", "max_tokens", false],
    ["SAFETY", "refusal", false],
    ["FINISH_REASON_UNSPECIFIED", "end_turn", false],
    ["STOP", "tool_use", true],
    ["MAX_TOKENS", "tool_use", true],
  ];
  for (const [finish, stop, withCall] of stops) {
    test(`${finish}${withCall ? " with a call" : ""} → ${stop}`, () => {
      const parts: GooglePart[] = withCall ? [{ functionCall: { name: "X", args: {} } }] : [{ text: "x" }];
      expect(convert(parts, finish).message.stop_reason).toBe(stop as never);
    });
  }

  test("usage: input excludes the cached part", () => {
    const { message } = convert([{ text: "x" }], "STOP", "claude", {
      usageMetadata: { promptTokenCount: 1000, cachedContentTokenCount: 600, candidatesTokenCount: 42, totalTokenCount: 1042 },
    });
    expect(message.usage).toEqual({ input_tokens: 400, output_tokens: 42, cache_creation_input_tokens: 0, cache_read_input_tokens: 600 });
  });

  test("an empty answer has no content", () => {
    const empty: CloudCodeResponse = { candidates: [{ content: { role: "model", parts: [{ text: "" }] }, finishReason: "STOP" }] };
    expect(hasContent(empty)).toBe(false);
    expect(hasContent({})).toBe(false);
    expect(hasContent({ candidates: [{ content: { parts: [{ text: "a" }] } }] })).toBe(true);
    const { message } = convert([]);
    expect(message.content).toEqual([]);
  });
});
