/**
 * What the simulated upstream refuses (issue 10 §1/§5): each rule shown by a raw request over real
 * HTTP that gets upstream's 400, next to the nearest request it accepts.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { ACCOUNT, envelope, parseSse, partsOf, startSim, userText, type Harness } from "./helpers.ts";

let h: Harness;
let token: string;

beforeAll(async () => {
  h = await startSim({
    accounts: [ACCOUNT],
    models: [
      { id: "claude-opus-4-6-thinking", displayName: "Claude Opus 4.6 (Thinking)" },
      { id: "claude-sonnet-4-6", displayName: "Claude Sonnet 4.6" },
      { id: "claude-opus-5-5-high", displayName: "Claude Opus 5.5 (High)" },
      { id: "gemini-3-flash", displayName: "Gemini 3 Flash" },
      { id: "gemini-pro-agent", displayName: "Gemini 3.1 Pro (High)" },
      { id: "gemini-2.5-flash", displayName: "Gemini 2.5 Flash" },
      { id: "tiny-limit", displayName: "Tiny", family: "gemini", maxOutputTokens: 100 },
    ],
  });
  token = await h.token(ACCOUNT.refreshToken);
});

async function send(body: Record<string, unknown>): Promise<Response> {
  return h.call("streamGenerateContent", body, token, "?alt=sse");
}

async function ok(model: string, request: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const res = await send(envelope(ACCOUNT.projectId, model, request));
  const text = await res.text();
  if (res.status !== 200) throw new Error(`expected 200, got ${res.status}: ${text}`);
  return partsOf(parseSse(text));
}

/** The exact Google RPC error shape of a 400, and its message. */
async function refused(body: Record<string, unknown>): Promise<string> {
  const res = await send(body);
  expect(res.status).toBe(400);
  expect(res.headers.get("content-type")).toContain("application/json");
  const json = (await res.json()) as { error: { code: number; status: string; message: string } };
  expect(Object.keys(json)).toEqual(["error"]);
  expect(json.error.code).toBe(400);
  expect(json.error.status).toBe("INVALID_ARGUMENT");
  return json.error.message;
}

const refusedRequest = (model: string, request: Record<string, unknown>) => refused(envelope(ACCOUNT.projectId, model, request));

const withTool = (parameters: unknown, extra: Record<string, unknown> = {}) => ({
  contents: [userText("hello")],
  tools: [{ functionDeclarations: [{ name: "t", description: "a tool", parameters }] }],
  ...extra,
});

describe("tool schemas", () => {
  test("an OBJECT with empty or missing properties is refused, at any depth", async () => {
    expect(await refusedRequest("gemini-3-flash", withTool({ type: "OBJECT", properties: {} }))).toBe(
      "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties: should be non-empty for OBJECT type",
    );
    expect(await refusedRequest("claude-sonnet-4-6", withTool({ type: "object" }))).toContain("properties: should be non-empty for OBJECT type");
    expect(await refusedRequest("gemini-3-flash", withTool({ type: "object", properties: { meta: { type: "object", properties: {} } } }))).toBe(
      "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties[meta].properties: should be non-empty for OBJECT type",
    );
    // A declaration without parameters, or with one property, is fine.
    await ok("gemini-3-flash", { contents: [userText("hello")], tools: [{ functionDeclarations: [{ name: "t" }] }] });
    await ok("gemini-3-flash", withTool({ type: "OBJECT", properties: { a: { type: "STRING" } } }));
  });

  test("enum only on STRING", async () => {
    expect(await refusedRequest("gemini-3-flash", withTool({ type: "object", properties: { n: { type: "integer", enum: ["1", "2"] } } }))).toBe(
      "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties[n].enum: only allowed for STRING type",
    );
    expect(await refusedRequest("gemini-3-flash", withTool({ type: "object", properties: { n: { type: "string", enum: [1, 2] } } }))).toContain("enum");
    await ok("gemini-3-flash", withTool({ type: "object", properties: { n: { type: "string", enum: ["1", "2"] } } }));
  });

  test("an ARRAY needs items", async () => {
    expect(await refusedRequest("gemini-3-flash", withTool({ type: "object", properties: { list: { type: "array" } } }))).toBe(
      "* GenerateContentRequest.tools[0].function_declarations[0].parameters.properties[list].items: missing field.",
    );
    await ok("gemini-3-flash", withTool({ type: "object", properties: { list: { type: "array", items: { type: "string" } } } }));
  });

  test("required names must be defined properties", async () => {
    expect(await refusedRequest("gemini-3-flash", withTool({ type: "object", properties: { a: { type: "string" } }, required: ["a", "b"] }))).toBe(
      "* GenerateContentRequest.tools[0].function_declarations[0].parameters.required[1]: property is not defined",
    );
  });

  test("keys outside the Schema proto are an Unknown name, including invented ones", async () => {
    for (const key of ["additionalProperties", "propertyNames", "prefixItems", "minimum", "uniqueItems", "x-google-extra", "encrypted", "const"]) {
      const message = await refusedRequest("gemini-3-flash", withTool({ type: "object", properties: { a: { type: "string", [key]: 1 } } }));
      expect(message).toBe(
        `Invalid JSON payload received. Unknown name "${key}" at 'request.tools[0].function_declarations[0].parameters.properties["a"].value': Cannot find field.`,
      );
    }
    expect(await refusedRequest("gemini-3-flash", withTool({ type: "object", properties: { a: { type: "strung" } } }))).toContain("strung");
    // Upper- and lower-case types, nullable and descriptions are all proto fields.
    await ok("gemini-3-flash", withTool({ type: "object", properties: { a: { type: "STRING", nullable: true, description: "d" } }, required: ["a"] }));
  });

  test("googleSearch and function declarations do not mix", async () => {
    const tools = [{ googleSearch: {} }, { functionDeclarations: [{ name: "t", parameters: { type: "object", properties: { a: { type: "string" } } } }] }];
    expect(await refusedRequest("gemini-3-flash", { contents: [userText("x")], tools })).toBe("Tool use with function calling is unsupported");
    await ok("gemini-3-flash", { contents: [userText("x")], tools: [{ googleSearch: {} }] });
  });
});

describe("output limits", () => {
  test("maxOutputTokens above the model's limit is refused in each family's words", async () => {
    expect(await refusedRequest("claude-opus-4-6-thinking", { contents: [userText("x")], generationConfig: { maxOutputTokens: 128_000 } })).toBe(
      "max_tokens: 128000 > 64000, which is the maximum allowed number of output tokens for claude-opus-4-6-thinking",
    );
    await ok("claude-opus-4-6-thinking", { contents: [userText("x")], generationConfig: { maxOutputTokens: 64_000 } });
    // Claude 5.5 takes 128k.
    await ok("claude-opus-5-5-high", { contents: [userText("x")], generationConfig: { maxOutputTokens: 128_000 } });
    expect(await refusedRequest("gemini-3-flash", { contents: [userText("x")], generationConfig: { maxOutputTokens: 65_537 } })).toContain(
      "supported range is from 1 (inclusive) to 65537 (exclusive)",
    );
    await ok("gemini-3-flash", { contents: [userText("x")], generationConfig: { maxOutputTokens: 65_536 } });
    // A model's own catalog limit wins over the family default.
    expect(await refusedRequest("tiny-limit", { contents: [userText("x")], generationConfig: { maxOutputTokens: 101 } })).toContain("101");
  });
});

describe("Claude with thinking", () => {
  const thinking = { maxOutputTokens: 8192, thinkingConfig: { include_thoughts: true, thinking_budget: 4096 } };

  test("temperature other than 1, and top_k, are refused", async () => {
    expect(await refusedRequest("claude-opus-4-6-thinking", { contents: [userText("x")], generationConfig: { ...thinking, temperature: 0.2 } })).toContain(
      "`temperature` may only be set to 1 when thinking is enabled",
    );
    expect(await refusedRequest("claude-opus-4-6-thinking", { contents: [userText("x")], generationConfig: { ...thinking, topK: 40 } })).toContain("top_k");
    await ok("claude-opus-4-6-thinking", { contents: [userText("x")], generationConfig: { ...thinking, temperature: 1 } });
    // Without thinking both are fine.
    await ok("claude-sonnet-4-6", { contents: [userText("x")], generationConfig: { maxOutputTokens: 100, temperature: 0.2, topK: 40 } });
  });

  test("a tool loop whose calling turn has no thinking is refused; with its thinking it is accepted", async () => {
    const tools = [{ functionDeclarations: [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }] }];
    const ask = userText("use the get_weather tool");
    const first = await ok("claude-opus-4-6-thinking", { contents: [ask], tools, generationConfig: thinking });
    const { thoughtSignature, ...call } = first.find((p) => p.functionCall)!;
    const thoughts = first.filter((p) => p.thought === true);
    // The signature rides the part after the thinking; a client replays it on the thinking block.
    const signature = thoughtSignature ?? first.find((p) => p.thoughtSignature)?.thoughtSignature;
    expect(signature).toBeString();
    const thought = { text: thoughts.map((p) => p.text).join(""), thought: true, thoughtSignature: signature };
    const id = (call.functionCall as { id: string }).id;
    const result = { role: "user", parts: [{ functionResponse: { name: "get_weather", id, response: { output: "21C" } } }] };

    const bare = { contents: [ask, { role: "model", parts: [call] }, result], tools, generationConfig: thinking };
    expect(await refusedRequest("claude-opus-4-6-thinking", bare)).toContain("a final `assistant` message must start with a thinking block");
    await ok("claude-opus-4-6-thinking", { ...bare, contents: [ask, { role: "model", parts: [thought, call] }, result] });
    // The official form: the result turn has role "model".
    await ok("claude-opus-4-6-thinking", { ...bare, contents: [ask, { role: "model", parts: [thought, call] }, { ...result, role: "model" }] });
    // Without thinking the same bare loop is fine.
    await ok("claude-opus-4-6-thinking", { ...bare, generationConfig: { maxOutputTokens: 8192 } });
  });
});

describe("Gemini 3+ function-call signatures", () => {
  const tools = [{ functionDeclarations: [{ name: "read_file", parameters: { type: "object", properties: { path: { type: "string" } } } }] }];
  const ask = userText("call the read_file tool");
  const call = (id: string, signature?: string) => ({ functionCall: { name: "read_file", id, args: { path: id } }, ...(signature && { thoughtSignature: signature }) });
  const results = (ids: string[]) => ({ role: "model", parts: ids.map((id) => ({ functionResponse: { name: "read_file", id, response: { output: "x" } } })) });

  test("an unsigned call is refused on Gemini 3 ids, unversioned agent ids included, not on 2.5", async () => {
    for (const model of ["gemini-3-flash", "gemini-pro-agent"]) {
      const message = await refusedRequest(model, { contents: [ask, { role: "model", parts: [call("a")] }, results(["a"])], tools });
      expect(message).toContain("Function call is missing a thought_signature in functionCall parts");
      expect(message).toContain("position 2");
    }
    await ok("gemini-2.5-flash", { contents: [ask, { role: "model", parts: [call("a")] }, results(["a"])], tools });
  });

  test("only the first call of a parallel batch carries the signature", async () => {
    await ok("gemini-3-flash", {
      contents: [ask, { role: "model", parts: [call("a", "skip_thought_signature_validator"), call("b")] }, results(["a", "b"])],
      tools,
    });
  });
});

describe("envelope", () => {
  test("official and legacy forms are both accepted", async () => {
    const request = { contents: [userText("x")], generationConfig: { maxOutputTokens: 100 } };
    await ok("gemini-3-flash", { ...request, sessionId: "agcp-3f1c9d2e-0b7a-4c1e-9f00-123456789abc" });
    const official = {
      project: ACCOUNT.projectId,
      requestId: "agent/2f0c6a1e-1111-4222-8333-944445555666/1760000000000/8a1d0000-1111-4222-8333-944445555666/1",
      model: "gemini-3-flash",
      userAgent: "antigravity",
      requestType: "agent",
      request: {
        ...request,
        tools: [{ functionDeclarations: [{ name: "a", parameters: { type: "OBJECT", properties: { p: { type: "STRING" } } } }] }, { functionDeclarations: [{ name: "b" }] }],
        toolConfig: { functionCallingConfig: { mode: "VALIDATED" } },
        labels: { last_step_index: "0", trajectory_id: "8a1d0000-1111-4222-8333-944445555666", used_claude: "false" },
        sessionId: "-3750763034362895579",
      },
    };
    const res = await send(official);
    expect(res.status).toBe(200);
    await res.text();
  });

  test("unknown top-level keys, non-string labels, session ids and unknown tool modes are refused", async () => {
    const base = envelope(ACCOUNT.projectId, "gemini-3-flash", { contents: [userText("x")] });
    expect(await refused({ ...base, sessionId: "-1" })).toBe('Invalid JSON payload received. Unknown name "sessionId": Cannot find field.');
    expect(await refused({ ...base, request: { contents: [userText("x")], labels: { last_step_index: 4 } } })).toContain("request.labels[0].value' (TYPE_STRING)");
    expect(await refused({ ...base, request: { contents: [userText("x")], sessionId: -375 } })).toContain("request.session_id' (TYPE_STRING)");
    expect(
      await refused({ ...base, request: { contents: [userText("x")], toolConfig: { functionCallingConfig: { mode: "SOMETIMES" } } } }),
    ).toContain('function_calling_config.mode');
  });
});
