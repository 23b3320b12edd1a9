// Issue 12: the official OpenAI SDK against agcp (real HTTP) and the simulator — chat completions,
// responses, image generation and the models list.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, simAccounts, TINY_PNG } from "../e2e/helpers.ts";

let stack: Stack;
let openai: OpenAI;
beforeAll(async () => {
  // A configured image model no account has: the accounts' catalogs (imageGenerationModelIds) must win.
  stack = await startStack({ accounts: fullAccounts(3, "oai"), config: { apiKey: "test-key", images: { model: "gemini-9-nowhere-image" } } });
  openai = new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "test-key", maxRetries: 0 });
});
afterAll(() => stack?.close());

const WEATHER: OpenAI.Chat.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

async function lastUpstreamBody(account: string | null): Promise<any> {
  const found = (await simAccounts(stack)).find((a) => a.email === account);
  expect(found).toBeDefined();
  return found!.counters.lastGenerateBody;
}

/** Width and height from a PNG's IHDR, after checking the signature and the chunk type. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.subarray(12, 16).toString("ascii")).toBe("IHDR");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe("chat completions", () => {
  test("plain: one completion with usage, routing headers and the system message upstream", async () => {
    const { data, response } = await openai.chat.completions
      .create({
        model: "claude-sonnet-4-6",
        messages: [
          { role: "system", content: "You are terse." },
          { role: "user", content: "Say hello politely" },
        ],
      })
      .withResponse();
    expect(data.object).toBe("chat.completion");
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(data.model).toBe("claude-sonnet-4-6");
    expect(data.choices).toHaveLength(1);
    expect(data.choices[0]!.finish_reason).toBe("stop");
    expect(data.choices[0]!.message.role).toBe("assistant");
    expect(data.choices[0]!.message.content).toContain("Say hello politely");
    expect(data.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    expect(data.usage!.total_tokens).toBe(data.usage!.prompt_tokens + data.usage!.completion_tokens);
    const account = response.headers.get("x-agcp-account");
    expect(account).toMatch(/^oai\d@agcp\.test$/);
    const upstream = await lastUpstreamBody(account);
    expect(upstream.request.systemInstruction.parts[0].text).toBe("You are terse.");
    expect(upstream.request.contents[0]).toEqual({ role: "user", parts: [{ text: "Say hello politely" }] });
  });

  test("streaming with include_usage: content deltas, a finish reason, then a usage chunk", async () => {
    const stream = await openai.chat.completions.create({
      model: "gemini-3-flash",
      messages: [{ role: "user", content: "Count three colours" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let reasoning = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined | null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      expect(chunk.object).toBe("chat.completion.chunk");
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta.content ?? "";
      reasoning += (choice.delta as { reasoning_content?: string }).reasoning_content ?? "";
      if (choice.finish_reason) finish = choice.finish_reason;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(text).toContain("Count three colours");
    // Gemini 3 thinks; its thoughts arrive apart from the answer, as reasoning_content.
    expect(reasoning.length).toBeGreaterThan(0);
    expect(text).not.toContain(reasoning);
    expect(finish).toBe("stop");
    expect(usage!.prompt_tokens).toBeGreaterThan(0);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
  });

  test("a tool round trip: tool_calls → tool message → final answer", async () => {
    const first = await openai.chat.completions.create({
      model: "gemini-3-flash",
      messages: [{ role: "user", content: "Use get_weather for Paris" }],
      tools: [WEATHER],
    });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe("tool_calls");
    const call = choice.message.tool_calls?.[0];
    expect(call?.type).toBe("function");
    if (call?.type !== "function") throw new Error("no function call");
    expect(call.function.name).toBe("get_weather");
    expect(typeof JSON.parse(call.function.arguments).city).toBe("string");

    const { data: second, response } = await openai.chat.completions
      .create({
        model: "gemini-3-flash",
        messages: [
          { role: "user", content: "Use get_weather for Paris" },
          choice.message,
          { role: "tool", tool_call_id: call.id, content: "18 °C and sunny" },
        ],
        tools: [WEATHER],
      })
      .withResponse();
    expect(second.choices[0]!.finish_reason).toBe("stop");
    expect(second.choices[0]!.message.content).toContain("18 °C and sunny");
    // Upstream got the call with its thought signature back (Gemini 3 refuses it otherwise) and the result paired by name.
    const upstream = await lastUpstreamBody(response.headers.get("x-agcp-account"));
    const model = upstream.request.contents.find((c: any) => c.role === "model");
    const sent = model.parts.find((p: any) => p.functionCall);
    expect(sent.functionCall.name).toBe("get_weather");
    expect(typeof sent.thoughtSignature).toBe("string");
    const result = upstream.request.contents.flatMap((c: any) => c.parts).find((p: any) => p.functionResponse);
    expect(result.functionResponse.name).toBe("get_weather");
  });

  test("streamed tool calls arrive as indexed deltas the SDK assembles", async () => {
    const stream = await openai.chat.completions.create({
      model: "claude-sonnet-4-6",
      messages: [{ role: "user", content: "Use get_weather for Oslo" }],
      tools: [WEATHER],
      stream: true,
    });
    const calls = new Map<number, { id?: string; name?: string; args: string }>();
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        const entry = calls.get(tc.index) ?? { args: "" };
        if (tc.id) entry.id = tc.id;
        if (tc.function?.name) entry.name = tc.function.name;
        entry.args += tc.function?.arguments ?? "";
        calls.set(tc.index, entry);
      }
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
    }
    expect(finish).toBe("tool_calls");
    expect(calls.get(0)?.name).toBe("get_weather");
    expect(calls.get(0)?.id).toBeTruthy();
    expect(typeof JSON.parse(calls.get(0)!.args).city).toBe("string");
  });

  test("an image input (data URL) reaches upstream as inline bytes", async () => {
    const { response } = await openai.chat.completions
      .create({
        model: "claude-sonnet-4-6",
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is in this picture?" },
              { type: "image_url", image_url: { url: `data:image/png;base64,${TINY_PNG}` } },
            ],
          },
        ],
      })
      .withResponse();
    const upstream = await lastUpstreamBody(response.headers.get("x-agcp-account"));
    const parts = upstream.request.contents[0].parts;
    expect(parts).toContainEqual({ inlineData: { mimeType: "image/png", data: TINY_PNG } });
  });

  test("response_format json_schema uses Gemini's JSON mode upstream", async () => {
    const { response } = await openai.chat.completions
      .create({
        model: "gemini-3-flash",
        messages: [{ role: "user", content: "Give me a city" }],
        response_format: { type: "json_schema", json_schema: { name: "city", schema: { type: "object", properties: { name: { type: "string" } }, additionalProperties: false } } },
      })
      .withResponse();
    const upstream = await lastUpstreamBody(response.headers.get("x-agcp-account"));
    expect(upstream.request.generationConfig.responseMimeType).toBe("application/json");
    expect(upstream.request.generationConfig.responseSchema.properties.name.type).toBeDefined();
    expect(upstream.request.generationConfig.responseSchema.additionalProperties).toBeUndefined();
  });

  test("an image model in chat completions answers the picture as a Markdown data URL", async () => {
    const data = await openai.chat.completions.create({
      model: "gemini-3.1-flash-image",
      messages: [{ role: "user", content: "A red fox in the snow" }],
    });
    const content = data.choices[0]!.message.content ?? "";
    const m = /!\[[^\]]*\]\(data:image\/png;base64,([A-Za-z0-9+/=]+)\)/.exec(content);
    expect(m).not.toBeNull();
    pngSize(Buffer.from(m![1]!, "base64"));
  });
});

describe("responses", () => {
  test("plain: output_text, a message item, usage", async () => {
    const res = await openai.responses.create({ model: "claude-sonnet-4-6", instructions: "Be brief.", input: "Name a planet" });
    expect(res.object).toBe("response");
    expect(res.id).toMatch(/^resp_/);
    expect(res.status).toBe("completed");
    expect(res.output_text).toContain("Name a planet");
    const message = res.output.find((o) => o.type === "message");
    expect(message).toBeDefined();
    expect(res.usage!.input_tokens).toBeGreaterThan(0);
    expect(res.usage!.output_tokens).toBeGreaterThan(0);
  });

  test("streaming: typed response.* events in order, text deltas add up to the completed response", async () => {
    const stream = await openai.responses.create({ model: "gemini-3-flash", input: "Describe the sea", stream: true });
    const types: string[] = [];
    let deltas = "";
    let completed: OpenAI.Responses.Response | undefined;
    let lastSeq = -1;
    for await (const ev of stream) {
      types.push(ev.type);
      expect(ev.sequence_number).toBe(lastSeq + 1);
      lastSeq = ev.sequence_number;
      if (ev.type === "response.output_text.delta") deltas += ev.delta;
      if (ev.type === "response.completed") completed = ev.response;
    }
    expect(types[0]).toBe("response.created");
    expect(types).toContain("response.output_item.added");
    expect(types).toContain("response.reasoning_summary_text.delta");
    expect(types.at(-1)).toBe("response.completed");
    expect(deltas).toContain("Describe the sea");
    const message = completed!.output.find((o): o is OpenAI.Responses.ResponseOutputMessage => o.type === "message");
    expect(message?.content[0]).toMatchObject({ type: "output_text", text: deltas });
    expect(completed!.usage!.output_tokens).toBeGreaterThan(0);
  });

  test("a function call round trip, with the reasoning item carried back", async () => {
    const tools: OpenAI.Responses.Tool[] = [
      { type: "function", name: "get_weather", description: "Weather", parameters: { type: "object", properties: { city: { type: "string" } } }, strict: false },
    ];
    const first = await openai.responses.create({ model: "claude-opus-4-6-thinking", input: "Use get_weather for Rome", tools, include: ["reasoning.encrypted_content"] });
    const call = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === "function_call");
    expect(call?.name).toBe("get_weather");
    const reasoning = first.output.find((o) => o.type === "reasoning");
    expect(reasoning).toBeDefined();

    const { data: second, response } = await openai.responses
      .create({
        model: "claude-opus-4-6-thinking",
        input: [
          { role: "user", content: "Use get_weather for Rome" },
          ...(first.output as OpenAI.Responses.ResponseInputItem[]),
          { type: "function_call_output", call_id: call!.call_id, output: "22 °C, clear" },
        ],
        tools,
      })
      .withResponse();
    expect(second.output_text).toContain("22 °C, clear");
    // The thinking went back signed, so Claude kept thinking through the tool loop.
    const upstream = await lastUpstreamBody(response.headers.get("x-agcp-account"));
    const model = upstream.request.contents.find((c: any) => c.role === "model");
    expect(model.parts.some((p: any) => p.thought === true && typeof p.thoughtSignature === "string")).toBe(true);
    expect(upstream.request.generationConfig.thinkingConfig).toBeDefined();
  });

  test("previous_response_id is refused with a clear 400 (agcp keeps no response state)", async () => {
    const err = await openai.responses.create({ model: "claude-sonnet-4-6", input: "hi", previous_response_id: "resp_123" }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain("previous_response_id");
  });
});

describe("images and models", () => {
  test("images.generate: a b64 PNG whose IHDR matches the requested aspect ratio", async () => {
    const res = await openai.images.generate({ model: "gpt-image-1", prompt: "A lighthouse at dusk", size: "1536x1024" });
    expect(res.data).toHaveLength(1);
    const { width, height } = pngSize(Buffer.from(res.data![0]!.b64_json!, "base64"));
    expect(width).toBeGreaterThan(height);
    const square = await openai.images.generate({ prompt: "A square tile" });
    const size = pngSize(Buffer.from(square.data![0]!.b64_json!, "base64"));
    expect(size.width).toBe(size.height);
  });

  test("images.generate sends image_gen with imageConfig to the image model the account's catalog names", async () => {
    const { response } = await openai.images.generate({ prompt: "A tall tower", size: "1024x1792" }).withResponse();
    const upstream = await lastUpstreamBody(response.headers.get("x-agcp-account"));
    expect(upstream.requestType).toBe("image_gen");
    expect(upstream.model).toBe("gemini-3.1-flash-image");
    expect(upstream.request.generationConfig.imageConfig).toEqual({ aspectRatio: "9:16", imageSize: "2K" });
  });

  test("models.list answers OpenAI's list format to OpenAI clients", async () => {
    const ids: string[] = [];
    for await (const m of openai.models.list()) {
      expect(m.object).toBe("model");
      ids.push(m.id);
    }
    expect(ids).toContain("claude-sonnet-4-6");
    const one = await openai.models.retrieve("gemini-3-flash");
    expect(one.id).toBe("gemini-3-flash");
    // The same path still answers Anthropic clients in Anthropic's format.
    const anthropic = await stack.client.models.list();
    expect(anthropic.data[0]!.type).toBe("model");
  });

  test("errors come in OpenAI's shape with the matching status", async () => {
    const bad = await openai.chat.completions.create({ model: "claude-sonnet-4-6", messages: [] }).catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect(bad.error).toMatchObject({ type: "invalid_request_error" });
    const missing = await openai.chat.completions.create({ model: "no-such-model-xyz", messages: [{ role: "user", content: "hi" }] }).catch((e) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    const unauthorised = await new OpenAI({ baseURL: `${stack.url}/v1`, apiKey: "wrong", maxRetries: 0 }).models.list().catch((e) => e);
    expect(unauthorised).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(unauthorised.error.code).toBe("invalid_api_key");
  });
});
