// Issue 3 happy paths: the official SDK, real HTTP, agcp, the simulator.
import type Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, simAccounts, TINY_PNG } from "./helpers.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ accounts: fullAccounts(3, "msg"), config: { models: { exact: { "team-default": "claude-sonnet-4-6" } } } });
});
afterAll(() => stack?.close());

const WEATHER_TOOL: Anthropic.Tool = {
  name: "get_weather",
  description: "Current weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

/** What the simulator last received from agcp on the account that served `accountLabel`. */
async function lastUpstreamBody(accountLabel: string | null): Promise<any> {
  const account = (await simAccounts(stack)).find((a) => a.email === accountLabel);
  expect(account).toBeDefined();
  return account!.counters.lastGenerateBody;
}

describe("messages through the SDK", () => {
  test("messages.create answers one message with routing headers", async () => {
    const { data, response } = await stack.client.messages
      .create({ model: "claude-sonnet-4-6", max_tokens: 256, messages: [{ role: "user", content: "Say hello politely" }] })
      .withResponse();
    expect(data.type).toBe("message");
    expect(data.role).toBe("assistant");
    expect(data.id).toMatch(/^msg_/);
    expect(data.model).toBe("claude-sonnet-4-6");
    expect(data.stop_reason).toBe("end_turn");
    const text = data.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    expect(text).toContain("Say hello politely");
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get("x-agcp-account")).toMatch(/^msg\d@agcp\.test$/);
    expect(response.headers.get("x-agcp-attempts")).toBe("1");
  });

  test("messages.stream() + finalMessage() match the streamed deltas", async () => {
    const stream = stack.client.messages.stream({
      // No thinking, so the answer is one text block (every Claude on Antigravity thinks).
      model: "gemini-3.1-flash-lite",
      max_tokens: 256,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [{ role: "user", content: "Stream me a short answer" }],
    });
    let streamed = "";
    const types: string[] = [];
    stream.on("text", (delta) => (streamed += delta));
    stream.on("streamEvent", (ev) => types.push(ev.type));
    const final = await stream.finalMessage();
    expect(final.content).toHaveLength(1);
    const block = final.content[0]!;
    expect(block.type).toBe("text");
    expect(block.type === "text" && block.text).toBe(streamed);
    expect(streamed).toContain("Stream me a short answer");
    expect(final.stop_reason).toBe("end_turn");
    expect(types[0]).toBe("message_start");
    expect(types.at(-1)).toBe("message_stop");
    expect(types.at(-2)).toBe("message_delta");
    expect(types.filter((t) => t === "content_block_delta").length).toBeGreaterThan(1);
  });

  test("full tool-use round trip: tool_use → tool_result → answer", async () => {
    const first = await stack.client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 512,
      tools: [WEATHER_TOOL],
      messages: [{ role: "user", content: "What is the weather in Paris? Use get_weather." }],
    });
    expect(first.stop_reason).toBe("tool_use");
    const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
    expect(call).toBeDefined();
    // Upstream's own call id is kept (it must come back in tool_result); Anthropic's id charset.
    expect(call!.id).toMatch(/^[a-zA-Z0-9_-]+$/);
    expect(call!.name).toBe("get_weather");
    expect(call!.input).toEqual({ city: "example" });

    const second = await stack.client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 512,
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: "What is the weather in Paris? Use get_weather." },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call!.id, content: "18 °C and sunny" }] },
      ],
    });
    expect(second.stop_reason).toBe("end_turn");
    const text = second.content.map((b) => (b.type === "text" ? b.text : "")).join("");
    expect(text).toContain("got the get_weather result");
    expect(text).toContain("18 °C and sunny");
  });

  test("thinking: the signed thinking block replays on the next turn and upstream accepts it", async () => {
    const thinking = { type: "enabled", budget_tokens: 2048 } as const;
    const { data: first, response } = await stack.client.messages
      .create({ model: "claude-opus-4-6-thinking", max_tokens: 4096, thinking, messages: [{ role: "user", content: "Think about prime numbers" }] })
      .withResponse();
    const block = first.content.find((b): b is Anthropic.ThinkingBlock => b.type === "thinking");
    expect(block).toBeDefined();
    expect(block!.thinking).toContain("prime numbers");
    expect(block!.signature.length).toBeGreaterThan(20);
    expect(first.content.some((b) => b.type === "text")).toBe(true);

    const { data: second, response: res2 } = await stack.client.messages
      .create({
        model: "claude-opus-4-6-thinking",
        max_tokens: 4096,
        thinking,
        messages: [
          { role: "user", content: "Think about prime numbers" },
          { role: "assistant", content: first.content },
          { role: "user", content: "And now about even numbers" },
        ],
      })
      .withResponse();
    expect(second.content.some((b) => b.type === "thinking")).toBe(true);
    // The replayed thought really went upstream, with its signature (the sim verified it).
    const sent = await lastUpstreamBody(res2.headers.get("x-agcp-account"));
    const modelTurn = sent.request.contents.find((c: any) => c.role === "model");
    const thought = modelTurn.parts.find((p: any) => p.thought === true);
    expect(thought.thoughtSignature).toBe(block!.signature);
    expect(response.headers.get("x-agcp-account")).toBeTruthy();
  });

  test("thinking + tool use in one streamed turn parses in the SDK, signature before the block stops", async () => {
    const stream = stack.client.messages.stream({
      model: "claude-opus-4-6-thinking",
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: [WEATHER_TOOL],
      messages: [{ role: "user", content: "Use get_weather for Berlin" }],
    });
    const events: Anthropic.RawMessageStreamEvent[] = [];
    stream.on("streamEvent", (ev) => events.push(ev));
    const final = await stream.finalMessage();
    expect(final.content.map((b) => b.type)).toEqual(["thinking", "text", "tool_use"]);
    expect(final.stop_reason).toBe("tool_use");
    const thinkingBlock = final.content[0] as Anthropic.ThinkingBlock;
    expect(thinkingBlock.signature.length).toBeGreaterThan(20);
    const toolUse = final.content[2] as Anthropic.ToolUseBlock;
    expect(toolUse.input).toEqual({ city: "example" });

    const sigAt = events.findIndex((e) => e.type === "content_block_delta" && e.delta.type === "signature_delta");
    const stopAt = events.findIndex((e) => e.type === "content_block_stop" && e.index === 0);
    expect(sigAt).toBeGreaterThan(-1);
    expect(sigAt).toBeLessThan(stopAt);

    // And the whole turn replays: tool result next, signed thinking included.
    const next = await stack.client.messages.create({
      model: "claude-opus-4-6-thinking",
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 2048 },
      tools: [WEATHER_TOOL],
      messages: [
        { role: "user", content: "Use get_weather for Berlin" },
        { role: "assistant", content: final.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: toolUse.id, content: "windy" }] },
      ],
    });
    expect(next.content.map((b) => (b.type === "text" ? b.text : "")).join("")).toContain("windy");
  });

  test("Gemini tool round trip: the function call's thoughtSignature goes back upstream (Gemini 3 requires it)", async () => {
    for (const stream of [false, true]) {
      const params = {
        model: "gemini-3-flash",
        max_tokens: 1024,
        tools: [WEATHER_TOOL],
        messages: [{ role: "user" as const, content: "Use get_weather for Rome" }],
      };
      const first = stream ? await stack.client.messages.stream(params).finalMessage() : await stack.client.messages.create(params);
      const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use");
      expect(call).toBeDefined();
      const { data: second, response } = await stack.client.messages
        .create({
          ...params,
          messages: [
            ...params.messages,
            { role: "assistant", content: first.content },
            { role: "user", content: [{ type: "tool_result", tool_use_id: call!.id, content: "hot" }] },
          ],
        })
        .withResponse();
      expect(second.content.map((b) => (b.type === "text" ? b.text : "")).join("")).toContain("hot");
      const sent = await lastUpstreamBody(response.headers.get("x-agcp-account"));
      const callPart = sent.request.contents[1].parts.find((p: any) => p.functionCall);
      expect(callPart.thoughtSignature).toMatch(/^sim-gemini-/);
    }
  });

  test("a conversation moving between model families drops foreign thinking instead of failing", async () => {
    const thinking = { type: "enabled", budget_tokens: 1024 } as const;
    for (const [from, to] of [
      ["claude-opus-4-6-thinking", "gemini-3-flash"],
      ["gemini-3-flash", "claude-opus-4-6-thinking"],
    ] as const) {
      const params = { max_tokens: 4096, thinking, tools: [WEATHER_TOOL], messages: [{ role: "user" as const, content: "Use get_weather for Oslo" }] };
      const first = await stack.client.messages.create({ ...params, model: from });
      const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === "tool_use")!;
      expect(first.content[0]?.type).toBe("thinking");
      const second = await stack.client.messages.create({
        ...params,
        model: to,
        messages: [
          ...params.messages,
          { role: "assistant", content: first.content },
          { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "snow" }] },
        ],
      });
      expect(second.content.map((b) => (b.type === "text" ? b.text : "")).join("")).toContain("snow");
    }
  });

  test("a conversation's second turn reads the prompt from upstream's cache (same session, same account)", async () => {
    const opening = "Let us talk about caching for a while";
    const first = await stack.client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 256, messages: [{ role: "user", content: opening }] });
    expect(first.usage.cache_read_input_tokens ?? 0).toBe(0);
    const second = await stack.client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 256,
      messages: [
        { role: "user", content: opening },
        { role: "assistant", content: first.content },
        { role: "user", content: "go on" },
      ],
    });
    expect(second.usage.cache_read_input_tokens).toBeGreaterThan(0);
  });

  test("image input (base64 PNG) reaches upstream as inline data", async () => {
    const { data, response } = await stack.client.messages
      .create({
        model: "claude-sonnet-4-6",
        max_tokens: 256,
        messages: [
          {
            role: "user",
            content: [
              { type: "image", source: { type: "base64", media_type: "image/png", data: TINY_PNG } },
              { type: "text", text: "Describe this image" },
            ],
          },
        ],
      })
      .withResponse();
    // Claude on Antigravity thinks first, but this client did not ask for thinking: only the text is shown.
    expect(data.content.map((b) => b.type)).toEqual(["text"]);
    // The sim "sees" what arrived: the image came through intact.
    expect((data.content[0] as Anthropic.TextBlock).text).toContain("I see a PNG image, 1×1 pixels");
    const sent = await lastUpstreamBody(response.headers.get("x-agcp-account"));
    const parts = sent.request.contents.at(-1).parts;
    expect(parts.find((p: any) => p.inlineData)?.inlineData).toEqual({ mimeType: "image/png", data: TINY_PNG });
  });

  test("countTokens gives a real estimate that grows with the input", async () => {
    const small = await stack.client.messages.countTokens({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "hi" }] });
    const big = await stack.client.messages.countTokens({
      model: "claude-sonnet-4-6",
      system: "You are a careful assistant.",
      tools: [WEATHER_TOOL],
      messages: [{ role: "user", content: "word ".repeat(2000) }],
    });
    expect(small.input_tokens).toBeGreaterThan(0);
    expect(big.input_tokens).toBeGreaterThan(1500);
    expect(big.input_tokens).toBeLessThan(4000);
  });

  test("Claude Code's model names are mapped (claude-haiku-* → a Gemini 3.8 Flash tier) and the client's name is echoed", async () => {
    const { data, response } = await stack.client.messages
      .create({ model: "claude-haiku-4-5-20251001", max_tokens: 128, messages: [{ role: "user", content: "quick one" }] })
      .withResponse();
    expect(data.model).toBe("claude-haiku-4-5-20251001");
    const sent = await lastUpstreamBody(response.headers.get("x-agcp-account"));
    expect(sent.model).toBe("gemini-3.8-flash-low");
  });

  test("models.list shows upstream models and aliases in Anthropic's format", async () => {
    const ids: string[] = [];
    for await (const m of stack.client.models.list()) {
      expect(m.type).toBe("model");
      ids.push(m.id);
    }
    expect(ids).toContain("claude-sonnet-4-6");
    expect(ids).toContain("gemini-3-flash");
    expect(ids).toContain("team-default");
    const one = await stack.client.models.retrieve("claude-sonnet-4-6");
    expect(one.id).toBe("claude-sonnet-4-6");
  });

  test("Claude Code's probes: HEAD / and the telemetry batch answer 200", async () => {
    const head = await fetch(`${stack.url}/`, { method: "HEAD" });
    expect(head.status).toBe(200);
    const batch = await fetch(`${stack.url}/api/event_logging/batch`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ events: [] }),
    });
    expect(batch.status).toBe(200);
  });
});

describe("right after start", () => {
  test("a build-time model name resolves against upstream's list, not a guess (no 400 in the first second)", async () => {
    // claude-sonnet-4-5 is Claude Code's name (and a retired Antigravity id): it maps by pattern to the
    // best Sonnet the account serves. A request sent the instant agcp listens must get the same answer.
    const fresh = await startStack({ accounts: fullAccounts(2, "cold") });
    try {
      const post = (stream: boolean) =>
        fetch(`${fresh.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
          body: JSON.stringify({ model: "claude-sonnet-4-5", stream, max_tokens: 32, messages: [{ role: "user", content: "first!" }] }),
        });
      const [plain, streamed] = await Promise.all([post(false), post(true)]);
      expect(plain.status).toBe(200);
      expect(((await plain.json()) as Anthropic.Message).model).toBe("claude-sonnet-4-5");
      expect(streamed.status).toBe(200);
      expect(await streamed.text()).toContain("message_stop");
    } finally {
      await fresh.close();
    }
  });
});
