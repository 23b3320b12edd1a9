// The OpenAI doors' pure mappings: requests onto the Anthropic form, sizes onto upstream's image shapes.
import { describe, expect, test } from "bun:test";
import { ApiError } from "../../src/anthropic/errors.ts";
import { chatToMessages } from "../../src/openai/chat/request.ts";
import { parseChatRequest } from "../../src/openai/chat/schema.ts";
import { sizeToShape } from "../../src/openai/images.ts";
import { decodeReasoning, encodeReasoning } from "../../src/openai/responses/reasoning.ts";
import { responsesToMessages } from "../../src/openai/responses/request.ts";
import { parseResponsesRequest } from "../../src/openai/responses/schema.ts";

const chat = (body: Record<string, unknown>) => chatToMessages(parseChatRequest({ model: "m", ...body }));
const responses = (body: Record<string, unknown>) => responsesToMessages(parseResponsesRequest({ model: "m", ...body }));

function badRequest(fn: () => unknown, words: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ApiError);
  expect((caught as ApiError).status).toBe(400);
  expect((caught as ApiError).message).toContain(words);
}

describe("chat completions → Anthropic form", () => {
  test("system and developer messages join the system prompt; tool messages become tool results", () => {
    const { messages } = chat({
      messages: [
        { role: "system", content: "A" },
        { role: "developer", content: [{ type: "text", text: "B" }] },
        { role: "user", content: "hi" },
        { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: '{"x":1}' } }] },
        { role: "tool", tool_call_id: "c1", content: "done" },
      ],
      max_completion_tokens: 99,
      stop: "END",
    });
    expect(messages.system).toEqual([{ type: "text", text: "A" }, { type: "text", text: "B" }]);
    expect(messages.max_tokens).toBe(99);
    expect(messages.stop_sequences).toEqual(["END"]);
    expect(messages.messages[1]).toEqual({ role: "assistant", content: [{ type: "tool_use", id: "c1", name: "f", input: { x: 1 } }] });
    expect(messages.messages[2]).toEqual({ role: "user", content: [{ type: "tool_result", tool_use_id: "c1", content: "done" }] });
  });

  test("image parts: data URLs become base64, http URLs stay URLs, anything else is a 400", () => {
    const { messages } = chat({
      messages: [
        {
          role: "user",
          content: [
            { type: "image_url", image_url: { url: "data:image/webp;base64,AAAA" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          ],
        },
      ],
    });
    expect(messages.messages[0]!.content).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/webp", data: "AAAA" } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
    ]);
    badRequest(() => chat({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "file:///etc/passwd" } }] }] }), "image_url.url");
  });

  test("clear 400s: n > 1, tool arguments that are not a JSON object, no user message", () => {
    badRequest(() => chat({ n: 2, messages: [{ role: "user", content: "hi" }] }), "n: only 1");
    badRequest(
      () => chat({ messages: [{ role: "user", content: "hi" }, { role: "assistant", tool_calls: [{ id: "c", function: { name: "f", arguments: "{x" } }] }] }),
      "messages.1.tool_calls.0.function",
    );
    badRequest(() => chat({ messages: [{ role: "system", content: "only rules" }] }), "user message");
  });

  test("reasoning_effort becomes adaptive thinking with Anthropic's effort word; none turns it off", () => {
    expect(chat({ reasoning_effort: "xhigh", messages: [{ role: "user", content: "hi" }] }).messages).toMatchObject({ thinking: { type: "adaptive" }, output_config: { effort: "max" } });
    expect(chat({ reasoning_effort: "none", messages: [{ role: "user", content: "hi" }] }).messages.thinking).toEqual({ type: "disabled" });
  });

  test("response_format json_schema is kept for the JSON mode", () => {
    const { jsonMode } = chat({ messages: [{ role: "user", content: "hi" }], response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } } });
    expect(jsonMode).toEqual({ type: "json_schema", schema: { type: "object" }, name: "x" });
  });
});

describe("responses → Anthropic form", () => {
  test("items of one turn join one message; function call outputs pair by call_id", () => {
    const { messages } = responses({
      instructions: "Be brief.",
      input: [
        { role: "user", content: "weather?" },
        { type: "function_call", call_id: "c1", name: "w", arguments: "{}" },
        { type: "function_call", call_id: "c2", name: "w", arguments: '{"city":"Oslo"}' },
        { type: "function_call_output", call_id: "c1", output: "sun" },
        { type: "function_call_output", call_id: "c2", output: "rain" },
      ],
    });
    expect(messages.system).toEqual([{ type: "text", text: "Be brief." }]);
    expect(messages.messages).toHaveLength(3);
    expect((messages.messages[1]!.content as unknown[]).length).toBe(2);
    expect(messages.messages[2]!.content).toEqual([
      { type: "tool_result", tool_use_id: "c1", content: "sun" },
      { type: "tool_result", tool_use_id: "c2", content: "rain" },
    ]);
  });

  test("reasoning items: agcp's encrypted_content comes back as signed thinking, anything else is dropped", () => {
    const ours = encodeReasoning("I think", "sig-1");
    expect(decodeReasoning(ours)).toEqual({ thinking: "I think", signature: "sig-1" });
    const { messages } = responses({
      input: [
        { role: "user", content: "q" },
        { type: "reasoning", summary: [], encrypted_content: ours },
        { type: "reasoning", summary: [], encrypted_content: "gAAAA-someone-elses" },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "ok" },
      ],
    });
    expect(messages.messages[1]!.content).toEqual([
      { type: "thinking", thinking: "I think", signature: "sig-1" },
      { type: "tool_use", id: "c1", name: "f", input: {} },
    ]);
  });

  test("previous_response_id is a 400 that says agcp keeps no state", () => {
    badRequest(() => responses({ input: "hi", previous_response_id: "resp_1" }), "keeps no response state");
  });
});

describe("image sizes", () => {
  test("WIDTHxHEIGHT maps to the nearest aspect ratio and the size class of the long side", () => {
    expect(sizeToShape("1024x1024")).toEqual({ aspectRatio: "1:1", imageSize: "1K" });
    expect(sizeToShape("1792x1024")).toEqual({ aspectRatio: "16:9", imageSize: "2K" });
    expect(sizeToShape("1024x1536")).toEqual({ aspectRatio: "2:3", imageSize: "2K" });
    expect(sizeToShape("4096x1755")).toEqual({ aspectRatio: "21:9", imageSize: "4K" });
    badRequest(() => sizeToShape("big"), "size");
    badRequest(() => sizeToShape("0x100"), "positive");
  });
});
