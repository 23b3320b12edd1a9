import { beforeAll, describe, expect, test } from "bun:test";
import { ACCOUNT, envelope, parseSse, partsOf, startSim, textOf, userText, type Harness, type SseFrame } from "./helpers.ts";

let h: Harness;
let token: string;

beforeAll(async () => {
  h = await startSim({ accounts: [ACCOUNT] });
  token = await h.token(ACCOUNT.refreshToken);
});

function env(model: string, request: Record<string, unknown>) {
  return envelope("proj-a", model, request);
}

async function stream(model: string, request: Record<string, unknown>): Promise<SseFrame[]> {
  const res = await h.call("streamGenerateContent", env(model, request), token, "?alt=sse");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  return parseSse(await res.text());
}

async function expect400(model: string, request: Record<string, unknown>, fragment: string): Promise<void> {
  const res = await h.call("streamGenerateContent", env(model, request), token, "?alt=sse");
  expect(res.status).toBe(400);
  const body = (await res.json()) as { error: { code: number; status: string; message: string } };
  expect(body.error.code).toBe(400);
  expect(body.error.status).toBe("INVALID_ARGUMENT");
  expect(body.error.message).toContain(fragment);
}

const WEATHER_TOOL = {
  functionDeclarations: [
    {
      name: "get_weather",
      description: "Weather for a city",
      parameters: {
        type: "OBJECT",
        properties: {
          city: { type: "STRING" },
          days: { type: "integer" },
          unit: { type: "string", enum: ["celsius", "fahrenheit"] },
          detailed: { type: "boolean" },
          where: { type: "object", properties: { lat: { type: "number" }, note: { type: "string" } }, required: ["lat"] },
          optional: { type: "string" },
        },
        required: ["city", "days", "unit", "detailed", "where"],
      },
    },
    { name: "read_file", parameters: { type: "object", properties: { path: { type: "string" } }, required: ["path"] } },
  ],
};

describe("streaming shape", () => {
  test("every frame is data: {response, traceId}; the last carries finishReason and usage", async () => {
    const frames = await stream("claude-sonnet-4-6", { contents: [userText("one two three four five six seven eight nine ten")] });
    expect(frames.length).toBeGreaterThanOrEqual(3);
    for (const [i, frame] of frames.entries()) {
      expect(frame.traceId).toBeString();
      const candidate = frame.response.candidates?.[0];
      expect(candidate?.content.role).toBe("model");
      expect(frame.response.modelVersion).toBe("claude-sonnet-4-6");
      expect(frame.response.responseId).toBeString();
      const last = i === frames.length - 1;
      expect(candidate?.finishReason).toBe(last ? "STOP" : (undefined as unknown as string));
      expect(frame.response.usageMetadata === undefined).toBe(!last);
    }
    const usage = frames.at(-1)?.response.usageMetadata ?? {};
    expect(usage.promptTokenCount).toBeGreaterThan(0);
    expect(usage.candidatesTokenCount).toBeGreaterThan(0);
    expect(usage.totalTokenCount).toBe((usage.promptTokenCount ?? 0) + (usage.candidatesTokenCount ?? 0));
    expect(usage.cachedContentTokenCount).toBeUndefined();
    expect(textOf(frames)).toStartWith("Simulated claude-sonnet-4-6 reply to: one two three four five six seven eight.");
  });

  test("framing is data lines separated by blank lines", async () => {
    const res = await h.call("streamGenerateContent", env("gemini-3-flash", { contents: [userText("frame me")] }), token, "?alt=sse");
    const raw = await res.text();
    const events = raw.split(/\r?\n\r?\n/).filter((e) => e !== "");
    expect(events.length).toBeGreaterThan(1);
    for (const e of events) expect(e).toMatch(/^data: \{.*\}$/s);
  });

  test("without alt=sse the stream is a JSON array of responses", async () => {
    const res = await h.call("streamGenerateContent", env("gemini-3-flash", { contents: [userText("array please")] }), token);
    expect(res.status).toBe(200);
    const items = (await res.json()) as SseFrame[];
    expect(Array.isArray(items)).toBe(true);
    expect(textOf(items)).toContain("array please");
  });

  test("non-streaming answers one object with the whole content", async () => {
    const res = await h.call("generateContent", env("gemini-3-flash", { contents: [userText("whole answer please")] }), token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as SseFrame;
    const candidate = body.response.candidates?.[0];
    expect(candidate?.finishReason).toBe("STOP");
    expect(candidate?.content.parts).toHaveLength(1);
    const streamed = await stream("gemini-3-flash", { contents: [userText("whole answer please")] });
    expect(candidate?.content.parts[0]?.text).toBe(textOf(streamed));
    expect(body.response.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    expect(body.traceId).toBeString();
  });

  test("output is deterministic and depends on the request", async () => {
    const a = await stream("gemini-3-flash", { contents: [userText("repeat after me")] });
    const b = await stream("gemini-3-flash", { contents: [userText("repeat after me")] });
    const c = await stream("gemini-3-flash", { contents: [userText("something else entirely")] });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(textOf(a)).not.toBe(textOf(c));
  });

  test("counts generates and keeps the last body", async () => {
    const before = h.sim.state.accounts.get(ACCOUNT.email)?.counters.successfulGenerates ?? 0;
    const body = env("gemini-3-flash", { contents: [userText("count me")] });
    await (await h.call("streamGenerateContent", body, token, "?alt=sse")).text();
    const counters = h.sim.state.accounts.get(ACCOUNT.email)?.counters;
    expect(counters?.successfulGenerates).toBe(before + 1);
    expect(counters?.lastRequestBody).toEqual(body);
    expect(counters?.inflight).toBe(0);
  });
});

describe("generation config", () => {
  test("maxOutputTokens truncates with MAX_TOKENS", async () => {
    const frames = await stream("gemini-3-flash", { contents: [userText("long answer please")], generationConfig: { maxOutputTokens: 5 } });
    expect(frames.at(-1)?.response.candidates?.[0]?.finishReason).toBe("MAX_TOKENS");
    expect(textOf(frames).length).toBeLessThanOrEqual(20);
    expect(frames.at(-1)?.response.usageMetadata?.candidatesTokenCount).toBeLessThanOrEqual(5);
  });

  test("stopSequences cut the text before the sequence", async () => {
    const frames = await stream("gemini-3-flash", { contents: [userText("stop test")], generationConfig: { stopSequences: ["reply"] } });
    expect(textOf(frames)).toBe("Simulated gemini-3-flash ");
    expect(frames.at(-1)?.response.candidates?.[0]?.finishReason).toBe("STOP");
  });

  test("a repeated sessionId reports cached prompt tokens", async () => {
    const request = { contents: [userText("cache me please, this is a long enough prompt to count")], sessionId: "sess-cache-1" };
    const first = await stream("gemini-3-flash", request);
    expect(first.at(-1)?.response.usageMetadata?.cachedContentTokenCount).toBeUndefined();
    const second = await stream("gemini-3-flash", request);
    const usage = second.at(-1)?.response.usageMetadata ?? {};
    expect(usage.cachedContentTokenCount).toBeGreaterThan(0);
    expect(usage.cachedContentTokenCount).toBeLessThanOrEqual(usage.promptTokenCount ?? 0);
    expect(h.sim.state.accounts.get(ACCOUNT.email)?.counters.sessionsSeen).toBeGreaterThanOrEqual(1);
  });
});

describe("thinking", () => {
  const claudeThinking = { include_thoughts: true, thinking_budget: 1024 };

  test("thought parts come first and never carry a signature; it rides the first text part", async () => {
    const frames = await stream("claude-opus-4-6-thinking", {
      contents: [userText("think about this")],
      generationConfig: { maxOutputTokens: 4096, thinkingConfig: claudeThinking },
    });
    const parts = partsOf(frames);
    const firstText = parts.findIndex((p) => p.thought !== true);
    const signed = parts.findIndex((p) => typeof p.thoughtSignature === "string");
    expect(parts[0]?.thought).toBe(true);
    expect(parts.filter((p) => p.thought === true && p.thoughtSignature !== undefined)).toEqual([]);
    expect(signed).toBe(firstText);
    expect(String(parts[signed]?.thoughtSignature)).toStartWith("sim-claude-");
    expect(textOf(frames, true).length).toBeGreaterThan(10);
    expect(frames.at(-1)?.response.usageMetadata?.thoughtsTokenCount).toBeGreaterThan(0);
  });

  test("a signed thought sent back is accepted; tampered, unsigned or foreign ones are not", async () => {
    const first = await stream("claude-opus-5-5-high", {
      contents: [userText("plan a trip")],
      generationConfig: { maxOutputTokens: 4096, thinkingConfig: claudeThinking },
    });
    const thought = textOf(first, true);
    const signature = String(partsOf(first).find((p) => p.thoughtSignature)?.thoughtSignature);
    const history = (part: Record<string, unknown>) => ({
      contents: [userText("plan a trip"), { role: "model", parts: [part, { text: textOf(first) }] }, userText("and then?")],
      generationConfig: { maxOutputTokens: 4096, thinkingConfig: claudeThinking },
    });
    // Same family, other Claude model: accepted.
    await stream("claude-opus-4-6-thinking", history({ text: thought, thought: true, thoughtSignature: signature }));
    await expect400("claude-opus-4-6-thinking", history({ text: `${thought} edited`, thought: true, thoughtSignature: signature }), "Invalid signature in thinking block");
    await expect400("claude-opus-4-6-thinking", history({ text: thought, thought: true }), "Invalid signature in thinking block");

    const gemini = await stream("gemini-pro-agent", {
      contents: [userText("plan a trip")],
      generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1000 } },
    });
    const geminiSignature = String(partsOf(gemini).find((p) => p.thoughtSignature)?.thoughtSignature);
    expect(geminiSignature).toStartWith("sim-gemini-");
    await expect400(
      "claude-opus-4-6-thinking",
      history({ text: textOf(gemini, true), thought: true, thoughtSignature: geminiSignature }),
      "Invalid signature in thinking block",
    );
  });

  test("Claude thinking config: either spelling, a budget of at least 1024 below maxOutputTokens, or a level with budget 0", async () => {
    const claude = "claude-opus-4-6-thinking";
    // Upstream is proto-JSON: camelCase is as good as snake_case.
    const camel = await stream(claude, { contents: [userText("x")], generationConfig: { maxOutputTokens: 4096, thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } } });
    expect(textOf(camel, true).length).toBeGreaterThan(0);
    await expect400(claude, { contents: [userText("x")], generationConfig: { maxOutputTokens: 1024, thinkingConfig: claudeThinking } }, "max_tokens");
    await expect400(
      claude,
      { contents: [userText("x")], generationConfig: { maxOutputTokens: 4096, thinkingConfig: { include_thoughts: true, thinking_budget: 512 } } },
      "greater than or equal to 1024",
    );
    const level = await stream(claude, {
      contents: [userText("x")],
      generationConfig: { maxOutputTokens: 4096, thinkingConfig: { includeThoughts: true, thinkingBudget: 0, thinkingLevel: "MEDIUM" } },
    });
    expect(textOf(level, true).length).toBeGreaterThan(0);
    await expect400(
      claude,
      { contents: [userText("x")], generationConfig: { maxOutputTokens: 4096, thinkingConfig: { includeThoughts: true, thinkingBudget: 0, thinkingLevel: "EXTREME" } } },
      "thinking_level",
    );
  });

  test("Gemini 2.5 caps the thinking budget", async () => {
    await expect400(
      "gemini-2.5-flash",
      { contents: [userText("x")], generationConfig: { thinkingConfig: { includeThoughts: true, thinkingBudget: 30000 } } },
      "24576",
    );
  });
});

describe("tools", () => {
  test("asking to use a tool yields a functionCall with args from the required schema", async () => {
    const frames = await stream("claude-sonnet-4-6", { contents: [userText("Please use the get_weather tool for Paris")], tools: [WEATHER_TOOL] });
    const call = partsOf(frames).find((p) => p.functionCall)?.functionCall as { name: string; args: unknown; id: string };
    expect(call.name).toBe("get_weather");
    expect(call.args).toEqual({ city: "example", days: 1, unit: "celsius", detailed: true, where: { lat: 1 } });
    expect(call.id).toBeString();
    expect(frames.at(-1)?.response.candidates?.[0]?.finishReason).toBe("STOP");
    expect(partsOf(frames).find((p) => p.functionCall)?.thoughtSignature).toBeUndefined();
  });

  test("toolConfig ANY with allowed names forces that call; NONE prevents calls", async () => {
    const forced = await stream("claude-sonnet-4-6", {
      contents: [userText("hello")],
      tools: [WEATHER_TOOL],
      toolConfig: { functionCallingConfig: { mode: "ANY", allowedFunctionNames: ["read_file"] } },
    });
    expect((partsOf(forced).find((p) => p.functionCall)?.functionCall as { name: string }).name).toBe("read_file");
    const none = await stream("claude-sonnet-4-6", {
      contents: [userText("use the get_weather tool")],
      tools: [WEATHER_TOOL],
      toolConfig: { functionCallingConfig: { mode: "NONE" } },
    });
    expect(partsOf(none).some((p) => p.functionCall)).toBe(false);
    const plain = await stream("claude-sonnet-4-6", { contents: [userText("just chat")], tools: [WEATHER_TOOL] });
    expect(partsOf(plain).some((p) => p.functionCall)).toBe(false);
  });

  test("Gemini calls carry a thoughtSignature that must come back", async () => {
    const ask = userText("call the read_file tool");
    const frames = await stream("gemini-3-flash", { contents: [ask], tools: [WEATHER_TOOL] });
    const callPart = partsOf(frames).find((p) => p.functionCall);
    expect(String(callPart?.thoughtSignature)).toStartWith("sim-gemini-");
    const call = callPart?.functionCall as { name: string; args: unknown; id: string };
    const result = { role: "user", parts: [{ functionResponse: { name: call.name, id: call.id, response: { content: "file body 42" } } }] };

    const answered = await stream("gemini-3-flash", {
      contents: [ask, { role: "model", parts: [callPart] }, result],
      tools: [WEATHER_TOOL],
    });
    expect(textOf(answered)).toContain("read_file");
    expect(textOf(answered)).toContain("file body 42");
    expect(partsOf(answered).some((p) => p.functionCall)).toBe(false);

    await expect400("gemini-3-flash", { contents: [ask, { role: "model", parts: [{ functionCall: call }] }, result], tools: [WEATHER_TOOL] }, "thought_signature");
    await expect400(
      "gemini-3-flash",
      { contents: [ask, { role: "model", parts: [{ functionCall: call, thoughtSignature: "sim-claude-bogus" }] }, result], tools: [WEATHER_TOOL] },
      "Corrupted thought signature",
    );
    // The documented placeholder is accepted.
    await stream("gemini-3-flash", {
      contents: [ask, { role: "model", parts: [{ functionCall: call, thoughtSignature: "skip_thought_signature_validator" }] }, result],
      tools: [WEATHER_TOOL],
    });
  });

  test("Claude answers a functionResponse and needs every call answered", async () => {
    const ask = userText("use the get_weather tool");
    const call = { name: "get_weather", id: "toolu_1", args: {} };
    const answered = await stream("claude-sonnet-4-6", {
      contents: [ask, { role: "model", parts: [{ functionCall: call }] }, { role: "user", parts: [{ functionResponse: { name: "get_weather", id: "toolu_1", response: { temp: 21 } } }] }],
      tools: [WEATHER_TOOL],
    });
    expect(textOf(answered)).toContain("get_weather");
    expect(textOf(answered)).toContain("21");
    await expect400(
      "claude-sonnet-4-6",
      { contents: [ask, { role: "model", parts: [{ functionCall: call }] }, userText("never mind")], tools: [WEATHER_TOOL] },
      "tool_use",
    );
  });
});

describe("request validation", () => {
  test("cache_control anywhere is rejected", async () => {
    await expect400(
      "claude-sonnet-4-6",
      { contents: [{ role: "user", parts: [{ text: "hi", cache_control: { type: "ephemeral" } }] }] },
      "Extra inputs are not permitted",
    );
    await expect400(
      "claude-sonnet-4-6",
      { contents: [userText("hi")], systemInstruction: { role: "user", parts: [{ text: "sys" }], cache_control: { type: "ephemeral" } } },
      "cache_control",
    );
  });

  test("cache_control inside tool data or as a property name is just data", async () => {
    await stream("claude-sonnet-4-6", {
      contents: [
        userText("use the t tool"),
        { role: "model", parts: [{ functionCall: { name: "t", id: "c1", args: { cache_control: 1 } } }] },
        { role: "user", parts: [{ functionResponse: { name: "t", id: "c1", response: { cache_control: "x" } } }] },
      ],
      tools: [{ functionDeclarations: [{ name: "t", parameters: { type: "object", properties: { cache_control: { type: "string" } } } }] }],
    });
  });

  test("contents must be non-empty, parts non-empty, roles user/model", async () => {
    await expect400("gemini-3-flash", { contents: [] }, "contents");
    await expect400("gemini-3-flash", { contents: [userText("hi"), { role: "model", parts: [] }] }, "parts must not be empty");
    await expect400("gemini-3-flash", { contents: [{ role: "assistant", parts: [{ text: "x" }] }] }, "role");
    await expect400("gemini-3-flash", { contents: [{ role: "user", parts: [{}] }] }, "data");
  });

  test("tool names and schemas are checked", async () => {
    const tool = (name: string, parameters: Record<string, unknown>) => ({ functionDeclarations: [{ name, parameters }] });
    await expect400("gemini-3-flash", { contents: [userText("x")], tools: [tool("bad name!", { type: "object" })] }, "Invalid function name");
    await expect400("gemini-3-flash", { contents: [userText("x")], tools: [tool("a".repeat(65), { type: "object" })] }, "Invalid function name");
    for (const keyword of ["$schema", "$ref", "$defs", "additionalProperties", "default", "format", "pattern", "minLength", "title", "examples", "anyOf", "oneOf", "allOf"]) {
      await expect400(
        "gemini-3-flash",
        { contents: [userText("x")], tools: [tool("ok_name", { type: "object", properties: { p: { type: "string", [keyword]: keyword === "minLength" ? 1 : [] } } })] },
        keyword,
      );
    }
    await expect400("gemini-3-flash", { contents: [userText("x")], tools: [tool("ok_name", { type: ["string", "null"] })] }, "repeating");
    // A property merely named like a keyword is fine.
    await stream("gemini-3-flash", { contents: [userText("x")], tools: [tool("ok_name", { type: "OBJECT", properties: { format: { type: "STRING" } } })] });
  });

  test("unknown model is 404, foreign project 403, bad token 401", async () => {
    const missing = await h.call("streamGenerateContent", env("gpt-5", { contents: [userText("x")] }), token, "?alt=sse");
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { status: string } }).error.status).toBe("NOT_FOUND");
    const foreign = await h.call("streamGenerateContent", envelope("not-mine", "gemini-3-flash", { contents: [userText("x")] }), token, "?alt=sse");
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as { error: { status: string } }).error.status).toBe("PERMISSION_DENIED");
    const unauth = await h.call("streamGenerateContent", env("gemini-3-flash", { contents: [userText("x")] }), "ya29.forged", "?alt=sse");
    expect(unauth.status).toBe(401);
  });
});
