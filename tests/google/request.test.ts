import { describe, expect, test } from "bun:test";
import { parseMessagesRequest } from "../../src/anthropic/schema.ts";
import type { MessagesRequest } from "../../src/anthropic/types.ts";
import {
  DEFAULT_THINKING_BUDGET,
  GEMINI_25_MAX_THINKING_BUDGET,
  SKIP_THOUGHT_SIGNATURE,
  toCloudCodeRequest,
} from "../../src/google/request.ts";
import { LEGACY_ENVELOPE } from "../../src/google/envelope.ts";
import { createSignatureCache, type SignatureCache } from "../../src/google/signatures.ts";
import type { GoogleContent } from "../../src/google/types.ts";

/** A plain (non-thinking) Claude id: every current Claude on Antigravity thinks, but the conversion must still handle one. */
const CLAUDE = "claude-sonnet-4-5";
const CLAUDE_THINKING = "claude-opus-4-6-thinking";
const GEMINI = "gemini-3-flash";

/**
 * The translation of content, tools and thinking, in the legacy envelope form (one declarations
 * entry, results as user turns) so each case reads as the Anthropic → Gemini mapping alone; the
 * official form's differences have tests of their own in envelope.test.ts.
 */
function convert(body: Record<string, unknown>, model = CLAUDE, signatures: SignatureCache = createSignatureCache()) {
  const req = parseMessagesRequest({ model: "claude-x", max_tokens: 4096, ...body });
  return toCloudCodeRequest(req, { upstreamModel: model, projectId: "proj-1", sessionId: "sess-1", requestId: "agent-fixed", signatures, envelope: LEGACY_ENVELOPE });
}
const contentsOf = (body: Record<string, unknown>, model?: string, sigs?: SignatureCache): GoogleContent[] =>
  convert(body, model, sigs).envelope.request.contents;

describe("envelope", () => {
  test("carries project, model, agent fields and the session", () => {
    const { envelope } = convert({ messages: [{ role: "user", content: "hi" }] });
    expect(envelope).toMatchObject({
      project: "proj-1",
      model: CLAUDE,
      requestType: "agent",
      userAgent: "antigravity",
      requestId: "agent-fixed",
      request: { sessionId: "sess-1", contents: [{ role: "user", parts: [{ text: "hi" }] }] },
    });
  });
  test("legacy request ids are agent-<uuid>", () => {
    const req = parseMessagesRequest({ model: "m", max_tokens: 1, messages: [{ role: "user", content: "hi" }] });
    const ctx = { upstreamModel: CLAUDE, projectId: "p", sessionId: "s", envelope: LEGACY_ENVELOPE };
    const a = toCloudCodeRequest(req, { ...ctx, signatures: createSignatureCache() });
    const b = toCloudCodeRequest(req, { ...ctx, signatures: createSignatureCache() });
    expect(a.envelope.requestId).toMatch(/^agent-[0-9a-f-]{36}$/);
    expect(a.envelope.requestId).not.toBe(b.envelope.requestId);
  });
});

describe("system", () => {
  const cases: Array<[string, unknown, unknown]> = [
    ["string", "Be brief.", { role: "user", parts: [{ text: "Be brief." }] }],
    [
      "blocks, cache_control stripped, empty dropped",
      [{ type: "text", text: "A", cache_control: { type: "ephemeral" } }, { type: "text", text: "" }, { type: "text", text: "B" }],
      { role: "user", parts: [{ text: "A" }, { text: "B" }] },
    ],
    ["empty string", "", undefined],
  ];
  for (const [name, system, expected] of cases) {
    test(name, () => {
      expect(convert({ system, messages: [{ role: "user", content: "hi" }] }).envelope.request.systemInstruction).toEqual(expected as never);
    });
  }
});

describe("contents", () => {
  const img = { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" };
  const cases: Array<[string, unknown[], GoogleContent[]]> = [
    [
      "assistant becomes model, consecutive roles merge",
      [
        { role: "user", content: "a" },
        { role: "user", content: [{ type: "text", text: "b" }] },
        { role: "assistant", content: "c" },
        { role: "assistant", content: "d" },
        { role: "user", content: "e" },
      ],
      [
        { role: "user", parts: [{ text: "a" }, { text: "b" }] },
        { role: "model", parts: [{ text: "c" }, { text: "d" }] },
        { role: "user", parts: [{ text: "e" }] },
      ],
    ],
    [
      "empty text dropped; a message left empty disappears and its neighbours merge",
      [
        { role: "user", content: [{ type: "text", text: "q" }, { type: "text", text: "  " }] },
        { role: "assistant", content: [{ type: "text", text: "" }] },
        { role: "user", content: "again" },
      ],
      [{ role: "user", parts: [{ text: "q" }, { text: "again" }] }],
    ],
    [
      "a conversation starting with the model gets a user placeholder first",
      [{ role: "assistant", content: "I begin" }],
      [
        { role: "user", parts: [{ text: "." }] },
        { role: "model", parts: [{ text: "I begin" }] },
      ],
    ],
    [
      "images: base64 → inlineData, url → fileData",
      [
        {
          role: "user",
          content: [
            { type: "image", source: img },
            { type: "image", source: { type: "url", url: "https://x.test/p.webp?s=1" } },
            { type: "image", source: { type: "url", url: "https://x.test/noext" } },
          ],
        },
      ],
      [
        {
          role: "user",
          parts: [
            { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
            { fileData: { fileUri: "https://x.test/p.webp?s=1", mimeType: "image/webp" } },
            { fileData: { fileUri: "https://x.test/noext", mimeType: "image/jpeg" } },
          ],
        },
      ],
    ],
    [
      "documents: pdf → inlineData, text → text part, url → fileData",
      [
        {
          role: "user",
          content: [
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBERi0=" } },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "body" }, title: "Notes" },
            { type: "document", source: { type: "url", url: "https://x.test/doc.pdf" } },
          ],
        },
      ],
      [
        {
          role: "user",
          parts: [
            { inlineData: { mimeType: "application/pdf", data: "JVBERi0=" } },
            { text: "Notes\n\nbody" },
            { fileData: { fileUri: "https://x.test/doc.pdf", mimeType: "application/pdf" } },
          ],
        },
      ],
    ],
    [
      "tool_use → functionCall with cleaned name; tool_result → functionResponse first, images after",
      [
        { role: "user", content: "list" },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "mcp__fs__list.dir", input: { path: "/" } }] },
        {
          role: "user",
          content: [
            { type: "text", text: "<system-reminder>x</system-reminder>" },
            {
              type: "tool_result",
              tool_use_id: "toolu_1",
              content: [
                { type: "text", text: "a" },
                { type: "text", text: "b" },
                { type: "image", source: img },
              ],
            },
          ],
        },
      ],
      [
        { role: "user", parts: [{ text: "list" }] },
        { role: "model", parts: [{ functionCall: { name: "mcp__fs__list_dir", args: { path: "/" }, id: "toolu_1" } }] },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "mcp__fs__list_dir", response: { result: "a\nb" }, id: "toolu_1" } },
            { text: "<system-reminder>x</system-reminder>" },
            { inlineData: { mimeType: "image/png", data: "iVBORw0KGgo=" } },
          ],
        },
      ],
    ],
    [
      "tool_result errors map to error; unknown ids get a stand-in name",
      [
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: {} }] },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "t1", content: "exit 1", is_error: true },
            { type: "tool_result", tool_use_id: "missing", content: "?" },
          ],
        },
      ],
      [
        { role: "user", parts: [{ text: "." }] },
        { role: "model", parts: [{ functionCall: { name: "Bash", args: {}, id: "t1" } }] },
        {
          role: "user",
          parts: [
            { functionResponse: { name: "Bash", response: { error: "exit 1" }, id: "t1" } },
            { functionResponse: { name: "unknown_tool", response: { result: "?" }, id: "missing" } },
          ],
        },
      ],
    ],
  ];
  for (const [name, messages, expected] of cases) {
    test(name, () => {
      expect(contentsOf({ messages })).toEqual(expected);
    });
  }

  test("hosted-tool blocks are not forwarded", () => {
    const contents = contentsOf({
      messages: [
        { role: "user", content: "search" },
        {
          role: "assistant",
          content: [
            { type: "server_tool_use", id: "s1", name: "web_search", input: { query: "q" } },
            { type: "web_search_tool_result", tool_use_id: "s1", content: [] },
            { type: "text", text: "found it" },
          ],
        },
      ],
    });
    expect(contents).toEqual([
      { role: "user", parts: [{ text: "search" }] },
      { role: "model", parts: [{ text: "found it" }] },
    ]);
  });

  test("no part is ever empty and cache_control never survives", () => {
    const body = {
      system: [{ type: "text", text: "s", cache_control: { type: "ephemeral" } }],
      tools: [{ name: "T", input_schema: { type: "object" }, cache_control: { type: "ephemeral" } }],
      messages: [
        { role: "user", content: [{ type: "text", text: "x", cache_control: { type: "ephemeral" } }] },
        { role: "assistant", content: [{ type: "thinking", thinking: "t", signature: "unknown" }] },
        { role: "user", content: [{ type: "text", text: "" }] },
      ],
    };
    const { envelope } = convert(body);
    expect(JSON.stringify(envelope)).not.toContain("cache_control");
    for (const c of envelope.request.contents) expect(c.parts.length).toBeGreaterThan(0);
  });
});

describe("thinking blocks in history", () => {
  const history = (signature: string) => ({
    thinking: { type: "enabled", budget_tokens: 2048 },
    messages: [
      { role: "user", content: "q" },
      { role: "assistant", content: [{ type: "thinking", thinking: "let me see", signature }, { type: "text", text: "answer" }] },
      { role: "user", content: "next" },
    ],
  });
  const cases: Array<[string, "claude" | "gemini" | undefined, string, boolean]> = [
    ["same family (claude) kept", "claude", CLAUDE, true],
    ["same family (gemini) kept", "gemini", GEMINI, true],
    ["foreign family dropped", "gemini", CLAUDE, false],
    ["foreign family dropped (other way)", "claude", GEMINI, false],
    ["unknown signature dropped", undefined, CLAUDE, false],
  ];
  for (const [name, family, model, kept] of cases) {
    test(name, () => {
      const sigs = createSignatureCache();
      if (family) sigs.rememberThinking("SIG", family);
      const model_ = contentsOf(history("SIG"), model, sigs)[1];
      const thought = { text: "let me see", thought: true, thoughtSignature: "SIG" };
      expect(model_?.parts).toEqual(kept ? [thought, { text: "answer" }] : [{ text: "answer" }]);
    });
  }
  test("without thinking this turn, even valid history thinking stays home", () => {
    const sigs = createSignatureCache();
    sigs.rememberThinking("SIG", "claude");
    const { thinking: _t, ...noThinking } = history("SIG");
    const r = convert(noThinking, CLAUDE, sigs);
    expect(r.thinking).toBe(false);
    expect(r.envelope.request.contents[1]?.parts).toEqual([{ text: "answer" }]);
  });

  test("unsigned and redacted thinking are dropped", () => {
    const sigs = createSignatureCache();
    sigs.rememberThinking("SIG", "claude");
    const contents = contentsOf(
      {
        messages: [
          { role: "user", content: "q" },
          { role: "assistant", content: [{ type: "thinking", thinking: "t", signature: "" }, { type: "redacted_thinking", data: "xx" }, { type: "text", text: "a" }] },
        ],
      },
      CLAUDE,
      sigs,
    );
    expect(contents[1]?.parts).toEqual([{ text: "a" }]);
  });
});

describe("gemini function-call signatures", () => {
  const body = {
    messages: [
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "a", name: "Read", input: {} },
          { type: "tool_use", id: "b", name: "Read", input: {} },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "a", content: "1" }, { type: "tool_result", tool_use_id: "b", content: "2" }] },
    ],
  };
  test("known signatures are sent back with their call", () => {
    const sigs = createSignatureCache();
    sigs.rememberToolCall("a", "SIG-A");
    const parts = contentsOf(body, GEMINI, sigs)[1]?.parts;
    expect(parts?.map((p) => p.thoughtSignature)).toEqual(["SIG-A", undefined]);
  });
  test("a turn without any gets the documented stand-in on its first call", () => {
    const parts = contentsOf(body, GEMINI)[1]?.parts;
    expect(parts?.map((p) => p.thoughtSignature)).toEqual([SKIP_THOUGHT_SIGNATURE, undefined]);
  });
  test("claude targets never get function-call signatures", () => {
    const sigs = createSignatureCache();
    sigs.rememberToolCall("a", "SIG-A");
    const parts = contentsOf(body, CLAUDE, sigs)[1]?.parts;
    expect(parts?.map((p) => p.thoughtSignature)).toEqual([undefined, undefined]);
  });
});

describe("tools and tool_choice", () => {
  const tools = [
    { name: "Read", description: "Read a file", input_schema: { type: "object", properties: { p: { type: "string", format: "uri" } }, $schema: "x" } },
    { name: "mcp__x__do.it", input_schema: { type: "object", properties: {} } },
    { type: "web_search_20250305", name: "web_search", max_uses: 5 },
  ];
  test("declarations with cleaned names and sanitized parameters; server tools left out", () => {
    const { envelope } = convert({ tools, messages: [{ role: "user", content: "x" }] });
    expect(envelope.request.tools).toEqual([
      {
        functionDeclarations: [
          { name: "Read", description: "Read a file", parameters: { type: "object", properties: { p: { type: "string", description: "(format: uri)" } } } },
          { name: "mcp__x__do_it", parameters: { type: "object", properties: { _placeholder: { type: "boolean", description: "Unused; always leave out." } } } },
        ],
      },
    ]);
  });
  const choices: Array<[unknown, unknown]> = [
    [undefined, undefined],
    [{ type: "auto" }, { functionCallingConfig: { mode: "AUTO" } }],
    [{ type: "any" }, { functionCallingConfig: { mode: "ANY" } }],
    [{ type: "none" }, { functionCallingConfig: { mode: "NONE" } }],
    [{ type: "tool", name: "mcp__x__do.it" }, { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["mcp__x__do_it"] } }],
    [{ type: "tool", name: "NotDeclared" }, { functionCallingConfig: { mode: "AUTO" } }],
  ];
  for (const [choice, expected] of choices) {
    test(`tool_choice ${JSON.stringify(choice)}`, () => {
      const { envelope } = convert({ tools, tool_choice: choice, messages: [{ role: "user", content: "x" }] });
      expect(envelope.request.toolConfig).toEqual(expected as never);
    });
  }
  test("the returned map restores names", () => {
    const { toolNames } = convert({ tools, messages: [{ role: "user", content: "x" }] });
    expect(toolNames.toOriginal("mcp__x__do_it")).toBe("mcp__x__do.it");
  });
});

describe("generationConfig and thinking", () => {
  const msgs = { messages: [{ role: "user", content: "x" }] };
  test("sampling settings map one to one", () => {
    const { envelope, thinking } = convert({ ...msgs, max_tokens: 100, temperature: 0.2, top_p: 0.9, top_k: 5, stop_sequences: ["A", "B"] });
    expect(envelope.request.generationConfig).toEqual({ maxOutputTokens: 100, temperature: 0.2, topP: 0.9, topK: 5, stopSequences: ["A", "B"] });
    expect(thinking).toBe(false);
  });
  test("gemini keeps at most five stop sequences", () => {
    const { envelope } = convert({ ...msgs, stop_sequences: ["1", "2", "3", "4", "5", "6"] }, GEMINI);
    expect(envelope.request.generationConfig.stopSequences).toEqual(["1", "2", "3", "4", "5"]);
  });

  const cases: Array<[string, Record<string, unknown>, string, unknown, number | undefined, boolean]> = [
    [
      "claude, thinking requested: snake case, max raised above budget",
      { max_tokens: 1000, thinking: { type: "enabled", budget_tokens: 8000 } },
      CLAUDE,
      { include_thoughts: true, thinking_budget: 8000 },
      8000 + 1024,
      true,
    ],
    [
      "claude, budget below the max: max unchanged",
      { max_tokens: 32000, thinking: { type: "enabled", budget_tokens: 31999 } },
      CLAUDE,
      { include_thoughts: true, thinking_budget: 31999 },
      32000,
      true,
    ],
    ["claude thinking model without request: default budget", { max_tokens: 64000 }, CLAUDE_THINKING, { include_thoughts: true, thinking_budget: DEFAULT_THINKING_BUDGET }, 64000, true],
    ["claude, thinking disabled on a plain model", { thinking: { type: "disabled" } }, CLAUDE, undefined, 4096, false],
    ["claude, tiny budget raised to the floor", { max_tokens: 5000, thinking: { type: "enabled", budget_tokens: 10 } }, CLAUDE, { include_thoughts: true, thinking_budget: 1024 }, 5000, true],
    ["gemini 3: camel case", { thinking: { type: "enabled", budget_tokens: 30000 } }, GEMINI, { includeThoughts: true, thinkingBudget: 30000 }, 4096, true],
    ["gemini 2.5: budget capped", { thinking: { type: "enabled", budget_tokens: 30000 } }, "gemini-2.5-pro", { includeThoughts: true, thinkingBudget: GEMINI_25_MAX_THINKING_BUDGET }, 4096, true],
    ["gemini thinking model without request", {}, GEMINI, { includeThoughts: true, thinkingBudget: DEFAULT_THINKING_BUDGET }, 4096, true],
    ["non-thinking gemini without request", {}, "gemini-2.0-flash", undefined, 4096, false],
  ];
  for (const [name, body, model, thinkingConfig, maxOut, on] of cases) {
    test(name, () => {
      const r = convert({ ...msgs, ...body }, model);
      expect(r.envelope.request.generationConfig.thinkingConfig).toEqual(thinkingConfig as never);
      expect(r.envelope.request.generationConfig.maxOutputTokens).toBe(maxOut as number);
      expect(r.thinking).toBe(on);
    });
  }

  test("claude thinking drops temperature and top_k it would reject", () => {
    const cfg = convert({ ...msgs, temperature: 0.3, top_k: 3, top_p: 0.95, thinking: { type: "enabled", budget_tokens: 2000 } }).envelope.request.generationConfig;
    expect(cfg.temperature).toBeUndefined();
    expect(cfg.topK).toBeUndefined();
    expect(cfg.topP).toBe(0.95);
  });

  const toolLoop = (signature: string) => ({
    thinking: { type: "enabled", budget_tokens: 2000 },
    tools: [{ name: "Read", input_schema: { type: "object" } }],
    messages: [
      { role: "user", content: "read it" },
      { role: "assistant", content: [{ type: "thinking", thinking: "I should read", signature }, { type: "tool_use", id: "t1", name: "Read", input: {} }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "data" }] },
    ],
  });
  test("a tool loop whose thinking survives keeps thinking on", () => {
    const sigs = createSignatureCache();
    sigs.rememberThinking("SIG", "claude");
    expect(convert(toolLoop("SIG"), CLAUDE, sigs).thinking).toBe(true);
  });
  test("a tool loop whose thinking was dropped turns thinking off for the turn", () => {
    const r = convert(toolLoop("FOREIGN"), CLAUDE);
    expect(r.thinking).toBe(false);
    expect(r.envelope.request.generationConfig.thinkingConfig).toBeUndefined();
  });
  test("forced tool use: plain model drops thinking, thinking model lets the model choose", () => {
    const body = { ...msgs, tools: [{ name: "Read", input_schema: { type: "object" } }], tool_choice: { type: "any" }, thinking: { type: "enabled", budget_tokens: 2000 } };
    const plain = convert(body, CLAUDE);
    expect(plain.thinking).toBe(false);
    expect(plain.envelope.request.toolConfig).toEqual({ functionCallingConfig: { mode: "ANY" } });
    const thinker = convert(body, CLAUDE_THINKING);
    expect(thinker.thinking).toBe(true);
    expect(thinker.envelope.request.toolConfig).toEqual({ functionCallingConfig: { mode: "AUTO" } });
  });
});

test("the input request is not mutated", () => {
  const req: MessagesRequest = parseMessagesRequest({
    model: "m",
    max_tokens: 10,
    messages: [
      { role: "user", content: "a" },
      { role: "user", content: "b" },
    ],
  });
  const before = JSON.stringify(req);
  toCloudCodeRequest(req, { upstreamModel: CLAUDE, projectId: "p", sessionId: "s", signatures: createSignatureCache() });
  expect(JSON.stringify(req)).toBe(before);
});

describe("system-role messages (sent by Claude Code)", () => {
  test("join the system instruction in order and leave the user's turn alone", () => {
    const req = parseMessagesRequest({
      model: "claude-sonnet-4-6",
      max_tokens: 100,
      system: "base prompt",
      messages: [
        { role: "user", content: "Say hello" },
        { role: "system", content: [{ type: "text", text: "Available agent types for the Agent tool" }] },
      ],
    });
    const { envelope } = toCloudCodeRequest(req, { upstreamModel: "claude-sonnet-4-6", projectId: "p", sessionId: "s", signatures: createSignatureCache() });
    // One part, as the official clients send it (envelope.systemParts "single").
    expect(envelope.request.systemInstruction?.parts.map((p) => p.text)).toEqual(["base prompt\n\nAvailable agent types for the Agent tool"]);
    expect(envelope.request.contents).toEqual([{ role: "user", parts: [{ text: "Say hello" }] }]);
  });
});
