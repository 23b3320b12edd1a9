import { describe, expect, test } from "bun:test";
import { ApiError } from "../../src/anthropic/errors.ts";
import { parseCountTokensRequest, parseMessagesRequest } from "../../src/anthropic/schema.ts";

const base = { model: "claude-sonnet-4-5", max_tokens: 1024, messages: [{ role: "user", content: "hi" }] };
const user = (content: unknown) => ({ ...base, messages: [{ role: "user", content }] });

function errorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error("expected an ApiError");
}

describe("parseMessagesRequest rejects with the field path", () => {
  const cases: Array<[string, unknown, string]> = [
    ["wrong number type", { ...base, max_tokens: "10" }, "max_tokens: expected a number, got string"],
    ["missing max_tokens", { ...base, max_tokens: undefined }, "max_tokens: Field required"],
    ["non-integer max_tokens", { ...base, max_tokens: 1.5 }, "max_tokens: expected an integer"],
    ["zero max_tokens", { ...base, max_tokens: 0 }, "max_tokens: must be at least 1"],
    ["empty model", { ...base, model: "" }, "model: must not be empty"],
    ["missing messages", { model: "m", max_tokens: 1 }, "messages: Field required"],
    ["unknown block type", user([{ type: "text", text: "a" }, { type: "foo" }]), 'messages.0.content.1.type: unknown content block type "foo"'],
    ["block without type", user([{ text: "a" }]), "messages.0.content.0.type: missing content block type"],
    ["block that is not an object", user([5]), "messages.0.content.0: expected an object, got number"],
    ["bad role", { ...base, messages: [{ role: "tool", content: "x" }] }, 'messages.0.role: expected one of "user", "assistant", "system", got "tool"'],
    ["empty conversation", { ...base, messages: [] }, "messages: must not be empty"],
    ["content of wrong type", user(5), "messages.0.content: expected a string or an array, got number"],
    ["text without text", user([{ type: "text" }]), "messages.0.content.0.text: Field required"],
    ["unknown tool_choice", { ...base, tool_choice: { type: "bogus" } }, 'tool_choice.type: unknown tool_choice type "bogus"'],
    ["tool_choice tool without name", { ...base, tool_choice: { type: "tool" } }, "tool_choice.name: Field required"],
    ["thinking without budget", { ...base, thinking: { type: "enabled" } }, "thinking.budget_tokens: Field required"],
    ["unknown thinking", { ...base, thinking: { type: "sometimes" } }, 'thinking.type: unknown thinking type "sometimes"'],
    [
      "bad block nested in tool_result",
      user([{ type: "tool_result", tool_use_id: "t", content: [{ type: "zzz" }] }]),
      'messages.0.content.0.content.0.type: unknown tool_result content block type "zzz"',
    ],
    ["unknown image source", user([{ type: "image", source: { type: "file" } }]), 'messages.0.content.0.source.type: unknown image source type "file"'],
    ["system of wrong type", { ...base, system: 4 }, "system: expected a string or an array, got number"],
    ["tool without name", { ...base, tools: [{ input_schema: {} }] }, "tools.0.name: Field required"],
    ["stop_sequences not strings", { ...base, stop_sequences: [1] }, "stop_sequences.0: expected a string, got number"],
    ["thinking signature missing", { ...base, messages: [{ role: "assistant", content: [{ type: "thinking", thinking: "x" }] }] }, "messages.0.content.0.signature: Field required"],
    ["body not an object", [1, 2], "request body: expected a JSON object, got array"],
  ];
  for (const [name, body, message] of cases) {
    test(name, () => {
      const err = errorOf(() => parseMessagesRequest(body));
      expect(err.type).toBe("invalid_request_error");
      expect(err.status).toBe(400);
      expect(err.message).toStartWith(message);
    });
  }
});

describe("parseMessagesRequest accepts what clients send", () => {
  test("every content block kind, with cache_control anywhere, and drops unknown fields", () => {
    const body = {
      ...base,
      some_future_option: { x: 1 },
      system: [{ type: "text", text: "sys", cache_control: { type: "ephemeral" } }],
      tools: [{ name: "Read", description: "d", input_schema: { type: "object" }, cache_control: { type: "ephemeral" } }],
      tool_choice: { type: "auto", disable_parallel_tool_use: true },
      thinking: { type: "enabled", budget_tokens: 2048 },
      temperature: 1,
      top_p: 0.9,
      top_k: 40,
      stop_sequences: ["END"],
      metadata: { user_id: "user_x" },
      stream: true,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "look", cache_control: { type: "ephemeral", ttl: "1h" }, citations: null },
            { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
            { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: "JVBE" }, title: "t" },
            { type: "document", source: { type: "text", media_type: "text/plain", data: "plain" } },
            { type: "document", source: { type: "url", url: "https://example.com/a.pdf" } },
          ],
        },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "hmm", signature: "sig" },
            { type: "redacted_thinking", data: "xyz" },
            { type: "tool_use", id: "toolu_1", name: "Read", input: { path: "/a" }, cache_control: { type: "ephemeral" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_1", content: "ok" },
            {
              type: "tool_result",
              tool_use_id: "toolu_1",
              is_error: true,
              content: [
                { type: "text", text: "bad" },
                { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
              ],
            },
          ],
        },
      ],
    };
    const req = parseMessagesRequest(body);
    expect(req.thinking).toEqual({ type: "enabled", budget_tokens: 2048 });
    expect(JSON.stringify(req)).not.toContain("cache_control");
    expect(JSON.stringify(req)).not.toContain("some_future_option");
    expect(JSON.stringify(req)).not.toContain("citations");
    expect(req.messages).toHaveLength(3);
    const first = req.messages[0]?.content;
    expect(Array.isArray(first) && first.map((b) => b.type)).toEqual(["text", "image", "image", "document", "document", "document"]);
  });

  test("thinking disabled and adaptive are accepted", () => {
    expect(parseMessagesRequest({ ...base, thinking: { type: "disabled" } }).thinking).toEqual({ type: "disabled" });
    expect(parseMessagesRequest({ ...base, thinking: { type: "adaptive" } }).thinking).toEqual({ type: "adaptive" });
  });

  test("hosted-tool blocks from a resumed Anthropic session are accepted as they are", () => {
    const req = parseMessagesRequest({
      ...base,
      messages: [
        { role: "user", content: "search" },
        {
          role: "assistant",
          content: [
            { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "q" } },
            { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [{ type: "web_search_result", url: "https://x.test" }] },
            { type: "text", text: "found" },
          ],
        },
      ],
    });
    const blocks = req.messages[1]?.content;
    expect(Array.isArray(blocks) && blocks[1]).toEqual({
      type: "web_search_tool_result",
      tool_use_id: "srvtoolu_1",
      content: [{ type: "web_search_result", url: "https://x.test" }],
    });
  });

  test("metadata.user_id may be null", () => {
    expect(parseMessagesRequest({ ...base, metadata: { user_id: null } }).metadata).toEqual({ user_id: null });
  });
});

describe("parseCountTokensRequest", () => {
  test("needs no max_tokens", () => {
    const req = parseCountTokensRequest({ model: "m", messages: [{ role: "user", content: "hi" }] });
    expect(req.messages).toHaveLength(1);
  });
  test("names the field", () => {
    expect(errorOf(() => parseCountTokensRequest({ model: "m", messages: "x" })).message).toBe(
      "messages: expected an array, got string",
    );
  });
});
