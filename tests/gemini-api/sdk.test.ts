// Issue 12: the official @google/genai SDK against agcp's Gemini API door (base URL overridden).
import { GoogleGenAI, type GenerateContentResponse } from "@google/genai";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, simAccounts } from "../e2e/helpers.ts";

let stack: Stack;
let genai: GoogleGenAI;
beforeAll(async () => {
  stack = await startStack({ accounts: fullAccounts(3, "gem"), config: { apiKey: "test-key" } });
  genai = new GoogleGenAI({ apiKey: "test-key", httpOptions: { baseUrl: stack.url } });
});
afterAll(() => stack?.close());

async function lastUpstreamBody(): Promise<any[]> {
  return (await simAccounts(stack)).map((a) => a.counters.lastGenerateBody).filter(Boolean);
}

describe("Gemini API through @google/genai", () => {
  test("generateContent: text, usage and a pass-through request inside the envelope", async () => {
    const res = await genai.models.generateContent({
      model: "gemini-3-flash",
      contents: "Explain tides briefly",
      config: { systemInstruction: "Answer like a sailor.", temperature: 0.3, maxOutputTokens: 512 },
    });
    expect(res.text).toContain("Explain tides briefly");
    expect(String(res.candidates?.[0]?.finishReason)).toBe("STOP");
    expect(res.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(res.usageMetadata?.candidatesTokenCount).toBeGreaterThan(0);
    const sent = (await lastUpstreamBody()).find((b) => JSON.stringify(b.request.contents).includes("Explain tides briefly"));
    expect(sent.model).toBe("gemini-3-flash");
    expect(sent.requestType).toBe("agent");
    expect(sent.request.systemInstruction.parts[0].text).toBe("Answer like a sailor.");
    expect(sent.request.generationConfig).toMatchObject({ temperature: 0.3, maxOutputTokens: 512 });
    expect(typeof sent.request.sessionId).toBe("string");
  });

  test("generateContentStream: several chunks whose text adds up, the last with a finish reason", async () => {
    const stream = await genai.models.generateContentStream({ model: "gemini-3-flash", contents: "Describe a forest walk" });
    const chunks: GenerateContentResponse[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    const text = chunks.map((c) => c.text ?? "").join("");
    expect(text).toContain("Describe a forest walk");
    expect(String(chunks.at(-1)?.candidates?.[0]?.finishReason)).toBe("STOP");
  });

  test("function calling: the call comes back with its signature, and the round trip answers", async () => {
    const tools = [{ functionDeclarations: [{ name: "get_time", description: "Time in a city", parametersJsonSchema: { type: "object", properties: { city: { type: "string" } }, additionalProperties: false } }] }];
    const first = await genai.models.generateContent({ model: "gemini-3-flash", contents: "Call get_time for Lima", config: { tools } });
    const call = first.functionCalls?.[0];
    expect(call?.name).toBe("get_time");
    const modelTurn = first.candidates![0]!.content!;
    const second = await genai.models.generateContent({
      model: "gemini-3-flash",
      contents: [
        { role: "user", parts: [{ text: "Call get_time for Lima" }] },
        modelTurn,
        { role: "user", parts: [{ functionResponse: { name: "get_time", id: call!.id!, response: { output: "09:30" } } }] },
      ],
      config: { tools },
    });
    expect(second.text).toContain("get_time");
  });

  test("countTokens answers upstream's count, which grows with the text", async () => {
    const small = await genai.models.countTokens({ model: "gemini-3-flash", contents: "hello" });
    const large = await genai.models.countTokens({ model: "gemini-3-flash", contents: "hello ".repeat(200) });
    expect(small.totalTokens).toBeGreaterThan(0);
    expect(large.totalTokens!).toBeGreaterThan(small.totalTokens! * 10);
    const raw = await fetch(`${stack.url}/v1beta/models/gemini-3-flash:countTokens`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": "test-key" },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hello" }] }] }),
    });
    expect(raw.headers.get("x-agcp-token-count")).toBe("upstream");
    expect((await raw.json()).totalTokens).toBe(small.totalTokens);
    const counted = (await simAccounts(stack)).reduce((n, a) => n + (a.counters.requests.countTokens ?? 0), 0);
    expect(counted).toBeGreaterThanOrEqual(3);
  });

  test("models.list and errors in the Gemini API's own shapes", async () => {
    const names: string[] = [];
    for await (const m of await genai.models.list()) names.push(m.name ?? "");
    expect(names).toContain("models/gemini-3-flash");

    const err = await genai.models.generateContent({ model: "no-such-model-xyz", contents: "hi" }).catch((e) => e);
    expect(String(err.message)).toContain("no-such-model-xyz");
    const raw = await fetch(`${stack.url}/v1beta/models/gemini-3-flash:generateContent?key=test-key`, { method: "POST", body: "{" });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({ error: { code: 400, status: "INVALID_ARGUMENT" } });
    const unauthorised = await fetch(`${stack.url}/v1beta/models`, { headers: { "x-goog-api-key": "wrong" } });
    expect(unauthorised.status).toBe(401);
    expect(await unauthorised.json()).toMatchObject({ error: { code: 401, status: "UNAUTHENTICATED" } });
  });
});
