// Issue 12: bad input on the OpenAI and Gemini API doors gets a 4xx in that API's own error shape
// (never a 5xx, never a hang, never Anthropic's shape), and the process keeps serving. Per door:
// malformed bodies, then a seeded fuzz loop over a request using most of that door's schema.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { mutate } from "./mutate.ts";
import { accounts, mulberry32, within } from "./helpers.ts";

const ANSWER_MS = 10_000;
const FUZZ_CASES = 150;
const KEY = "test-key";
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: accounts(3, "door-bad"),
    sim: { requestsPerQuota: 1_000_000 },
    config: { apiKey: KEY, pool: { bucket: { max: 100_000, initial: 100_000 } } },
  });
});
afterAll(() => stack?.close());

// No input, however bad, may take the server down or poison the pool: every door still answers.
afterEach(async () => {
  const chat = await post("/v1/chat/completions", JSON.stringify({ model: "claude-sonnet-4-6", messages: [{ role: "user", content: "still there?" }] }));
  expect(chat.status).toBe(200);
  const gemini = await post("/v1beta/models/gemini-3-flash:generateContent", JSON.stringify({ contents: [{ parts: [{ text: "still there?" }] }] }));
  expect(gemini.status).toBe(200);
});

interface Answer {
  status: number;
  text: string;
}

function post(path: string, body: BodyInit): Promise<Answer> {
  const headers: Record<string, string> = path.startsWith("/v1beta/") ? { "x-goog-api-key": KEY } : { authorization: `Bearer ${KEY}` };
  return within(
    ANSWER_MS,
    `bad input on ${path}`,
    (async () => {
      const res = await fetch(`${stack.url}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
      return { status: res.status, text: await res.text() };
    })(),
  );
}

// Loose on purpose: the requests are hand-written literals, and the mutator only walks them.
type Json = any;

function isOpenAiError(body: any): boolean {
  return typeof body?.error?.message === "string" && body.error.message.length > 0 && typeof body.error.type === "string" && "code" in body.error && body.type === undefined;
}

function isGeminiError(body: any, status: number): boolean {
  return body?.error?.code === status && typeof body.error.message === "string" && typeof body.error.status === "string";
}

interface DoorSpec {
  name: string;
  path: (stream: boolean) => string;
  rich: (stream: boolean) => { [key: string]: Json };
  streamKey?: string;
  isError: (body: unknown, status: number) => boolean;
  /** Why a 200 is not a complete answer of this API, or null. */
  judgeOk: (text: string, stream: boolean) => string | null;
}

const openAiPath = (p: string) => () => p;

const DOORS: DoorSpec[] = [
  {
    name: "chat completions",
    path: openAiPath("/v1/chat/completions"),
    streamKey: "stream",
    rich: (stream) => ({
      model: "claude-sonnet-4-6",
      stream,
      stream_options: { include_usage: true },
      max_tokens: 128,
      temperature: 0.5,
      top_p: 0.9,
      stop: ["\n\nHuman:"],
      reasoning_effort: "low",
      response_format: { type: "json_object" },
      tool_choice: "auto",
      tools: [{ type: "function", function: { name: "lookup", description: "Look up.", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } } }],
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "Find it." }, { type: "image_url", image_url: { url: `data:image/png;base64,${PNG}` } }] },
        { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"q":"it"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "42" },
        { role: "assistant", content: "It is 42." },
        { role: "user", content: "Why?" },
      ],
    }),
    isError: (body) => isOpenAiError(body),
    judgeOk: (text, stream) => {
      if (stream) return text.trimEnd().endsWith("data: [DONE]") ? null : `stream did not end with [DONE]: ${text.slice(-200)}`;
      return JSON.parse(text).object === "chat.completion" ? null : `not a chat.completion: ${text.slice(0, 200)}`;
    },
  },
  {
    name: "responses",
    path: openAiPath("/v1/responses"),
    streamKey: "stream",
    rich: (stream) => ({
      model: "gemini-3-flash",
      stream,
      instructions: "Be brief.",
      max_output_tokens: 128,
      reasoning: { effort: "low" },
      text: { format: { type: "text" } },
      tool_choice: "auto",
      tools: [{ type: "function", name: "lookup", description: "Look up.", parameters: { type: "object", properties: { q: { type: "string" } } } }],
      input: [
        { role: "user", content: [{ type: "input_text", text: "Find it." }, { type: "input_image", image_url: `data:image/png;base64,${PNG}` }] },
        { type: "function_call", call_id: "call_1", name: "lookup", arguments: '{"q":"it"}' },
        { type: "function_call_output", call_id: "call_1", output: "42" },
        { role: "assistant", content: [{ type: "output_text", text: "It is 42." }] },
        { role: "user", content: "Why?" },
      ],
    }),
    isError: (body) => isOpenAiError(body),
    judgeOk: (text, stream) => {
      if (stream) return /event: response\.(completed|incomplete)/.test(text) ? null : `stream without response.completed: ${text.slice(-200)}`;
      return JSON.parse(text).object === "response" ? null : `not a response: ${text.slice(0, 200)}`;
    },
  },
  {
    name: "images",
    path: openAiPath("/v1/images/generations"),
    rich: () => ({ model: "gpt-image-1", prompt: "A lighthouse", n: 1, size: "1024x1024", response_format: "b64_json" }),
    isError: (body) => isOpenAiError(body),
    judgeOk: (text) => (typeof JSON.parse(text).data?.[0]?.b64_json === "string" ? null : `no image: ${text.slice(0, 200)}`),
  },
  {
    name: "Gemini API",
    path: (stream) => `/v1beta/models/gemini-3-flash:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`,
    rich: () => ({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      generationConfig: { temperature: 0.5, maxOutputTokens: 128, stopSequences: ["END"], thinkingConfig: { includeThoughts: true, thinkingBudget: 1000 } },
      tools: [{ functionDeclarations: [{ name: "lookup", description: "Look up.", parameters: { type: "object", properties: { q: { type: "string" } } } }] }],
      contents: [
        { role: "user", parts: [{ text: "Find it." }, { inlineData: { mimeType: "image/png", data: PNG } }] },
        { role: "user", parts: [{ text: "Why?" }] },
      ],
    }),
    isError: (body, status) => isGeminiError(body, status),
    judgeOk: (text, stream) => {
      if (stream) return text.includes('"finishReason"') ? null : `stream without a finish reason: ${text.slice(-200)}`;
      return Array.isArray(JSON.parse(text).candidates) ? null : `no candidates: ${text.slice(0, 200)}`;
    },
  },
];

/** Why an answer is not acceptable, or null when it is. */
function judge(door: DoorSpec, answer: Answer, stream: boolean): string | null {
  if (answer.status >= 500) return `status ${answer.status} ${answer.text.slice(0, 200)}`;
  if (answer.status >= 400) {
    try {
      return door.isError(JSON.parse(answer.text), answer.status) ? null : `4xx body not in ${door.name}'s error shape: ${answer.text.slice(0, 200)}`;
    } catch {
      return `4xx body not JSON: ${answer.text.slice(0, 200)}`;
    }
  }
  if (answer.status !== 200) return `status ${answer.status}`;
  try {
    return door.judgeOk(answer.text, stream);
  } catch {
    return `200 body not what ${door.name} answers: ${answer.text.slice(0, 200)}`;
  }
}

for (const [d, door] of DOORS.entries()) {
  describe(`${door.name}: bad input`, () => {
    test("malformed and mistyped bodies → 4xx in the door's own error shape", async () => {
      for (const body of ["{", "not json", '{"model": "x",}', "\u0000", "[]", "null", '"text"', "42", "{}", ""]) {
        const answer = await post(door.path(false), body);
        expect(answer.status).toBe(400);
        expect(judge(door, answer, false)).toBeNull();
      }
    });

    test(`fuzz: ${FUZZ_CASES} mutated requests (seed ${20261202 + d}) → each a complete answer or a 4xx in the door's shape`, async () => {
      const rnd = mulberry32(20261202 + d);
      const problems: string[] = [];
      const statuses: Record<number, number> = {};
      for (let i = 0; i < FUZZ_CASES; i++) {
        const stream = door.name !== "images" && rnd() < 0.4;
        const req = door.rich(stream);
        const mutations = 1 + Math.floor(rnd() * 3);
        for (let m = 0; m < mutations; m++) mutate(req, rnd);
        const body = JSON.stringify(req);
        // A mutation may drop or retype `stream`: judge by what the request finally asks for.
        const asked = door.streamKey ? req[door.streamKey] === true : stream;
        const answer = await post(door.path(door.streamKey ? false : stream), body);
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        const problem = judge(door, answer, asked);
        if (problem) problems.push(`#${i} ${problem}: ${body.slice(0, 300)}`);
      }
      expect(problems).toEqual([]);
      // The loop explored both sides of the schema: some requests were still valid, many were not.
      expect(statuses[200] ?? 0).toBeGreaterThan(5);
      expect(statuses[400] ?? 0).toBeGreaterThan(5);
    }, 60_000);
  });
}
