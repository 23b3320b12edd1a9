// Hostile or broken requests: each gets a 4xx in Anthropic's error shape (never a 5xx, never a
// hang), and the process keeps serving. Ends with a seeded fuzz loop over the request schema.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { mutate, type Json } from "./mutate.ts";
import { accounts, HEADERS, isAnthropicError, isAnthropicMessage, MODEL, mulberry32, sseEvents, within } from "./helpers.ts";

const BODY_LIMIT = 4 * 1024 * 1024;
const ANSWER_MS = 10_000;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: accounts(3, "bad"),
    sim: { requestsPerQuota: 1_000_000 },
    config: { bodyLimit: BODY_LIMIT, pool: { bucket: { max: 100_000, initial: 100_000 } } },
  });
});
afterAll(() => stack?.close());

// No input, however bad, may take the server down or poison the pool.
afterEach(async () => {
  const ok = await stack.client.messages.create({ model: MODEL, max_tokens: 16, messages: [{ role: "user", content: "still there?" }] });
  expect(ok.type).toBe("message");
});

interface Answer {
  status: number;
  text: string;
}

async function post(body: BodyInit, headers: Record<string, string> = {}): Promise<Answer> {
  return within(
    ANSWER_MS,
    "bad input",
    (async () => {
      const res = await fetch(`${stack.url}/v1/messages`, { method: "POST", headers: { ...HEADERS, ...headers }, body });
      return { status: res.status, text: await res.text() };
    })(),
  );
}

/** A 4xx whose body is an Anthropic error of `type` (any type when omitted). */
function expectClientError(answer: Answer, type?: string): void {
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  const body: unknown = JSON.parse(answer.text);
  expect(isAnthropicError(body)).toBe(true);
  if (type) expect((body as { error: { type: string } }).error.type).toBe(type);
}

const valid = (extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  max_tokens: 64,
  messages: [{ role: "user", content: "hello" }],
  ...extra,
});

function nested(depth: number, leaf = "0"): string {
  return "[".repeat(depth) + leaf + "]".repeat(depth);
}

describe("bad input", () => {
  test("malformed JSON in many shapes → 400 invalid_request_error", async () => {
    for (const body of ["{", '{"model":', "not json", "{'model': 'x'}", '{"model": "x",}', "\u0000", "[]", "null", '"text"', "42", "{}"]) {
      expectClientError(await post(body), "invalid_request_error");
    }
    expectClientError(await post(""), "invalid_request_error");
  });

  test("wrong types on every top-level field → 400", async () => {
    const cases: Array<Record<string, unknown>> = [
      { model: 5 },
      { model: null },
      { max_tokens: "10" },
      { max_tokens: -1 },
      { max_tokens: 1.5 },
      { messages: "hello" },
      { messages: [] },
      { messages: [{ role: "robot", content: "hi" }] },
      { messages: [{ role: "user" }] },
      { messages: [{ role: "user", content: 7 }] },
      { system: 12 },
      { stream: "yes" },
      { temperature: "hot" },
      { tools: {} },
      { tools: [{ name: 3 }] },
      { tool_choice: "any-of-them" },
      { thinking: { type: "enabled", budget_tokens: "lots" } },
      { stop_sequences: "STOP" },
      { metadata: "me" },
    ];
    for (const c of cases) expectClientError(await post(JSON.stringify(valid(c))), "invalid_request_error");
  });

  test("bodies over bodyLimit → 413 request_too_large, declared or chunked, just over or far over", async () => {
    const over = (size: number) => JSON.stringify(valid({ messages: [{ role: "user", content: "x".repeat(size) }] }));
    expectClientError(await post(over(BODY_LIMIT + 10)), "request_too_large");
    expectClientError(await post(over(BODY_LIMIT * 4)), "request_too_large");

    // Chunked (no content-length): the limit is enforced while reading.
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    for (const total of [BODY_LIMIT + 64 * 1024, BODY_LIMIT * 4]) {
      let sent = 0;
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('{"model":"x","max_tokens":1,"messages":[{"role":"user","content":"'));
        },
        pull(c) {
          if (sent >= total) return c.close();
          sent += chunk.byteLength;
          c.enqueue(chunk);
        },
      });
      expectClientError(await post(body), "request_too_large");
    }
  });

  test("100,000 levels of nesting (whole body, metadata, tool input, tool schema) → 4xx or an answer, never a 5xx", async () => {
    const deep = nested(100_000);
    const bodies = [
      deep,
      `{"model":"${MODEL}","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"metadata":{"user_id":${deep}}}`,
      `{"model":"${MODEL}","max_tokens":16,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{"x":${deep}}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}],"tools":[{"name":"f","input_schema":{"type":"object"}}]}`,
      `{"model":"${MODEL}","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":{"type":"object","properties":{"x":${"{\"type\":\"array\",\"items\":".repeat(100_000)}{"type":"string"}${"}".repeat(100_000)}}}}]}`,
    ];
    const outcomes = [];
    for (const body of bodies) {
      const answer = await post(body);
      expect(judge(answer, false)).toBeNull();
      outcomes.push(answer.status);
    }
    // Not a JSON object; a user_id that is not a string; an input too deep to send upstream.
    expect(outcomes.slice(0, 3)).toEqual([400, 400, 400]);
  });

  test("invalid UTF-8 → 400 saying so", async () => {
    const prefix = new TextEncoder().encode(`{"model":"${MODEL}","max_tokens":16,"messages":[{"role":"user","content":"`);
    const suffix = new TextEncoder().encode('"}]}');
    for (const bad of [[0xff], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80]]) {
      const bytes = new Uint8Array([...prefix, ...bad, ...suffix]);
      const answer = await post(bytes);
      expectClientError(answer, "invalid_request_error");
      expect(answer.text).toContain("UTF-8");
    }
  });

  test("unknown content block types → 400 naming the type", async () => {
    for (const block of [{ type: "hologram", text: "x" }, { type: "" }, { text: "no type" }, { type: 5 }]) {
      const answer = await post(JSON.stringify(valid({ messages: [{ role: "user", content: [block] }] })));
      expectClientError(answer, "invalid_request_error");
    }
  });

  test("10,000 tools: an answer (or a 4xx) in bounded time, never a 5xx", async () => {
    const tools = Array.from({ length: 10_000 }, (_, i) => ({
      name: `tool_${i}`,
      description: `Tool number ${i}.`,
      input_schema: { type: "object", properties: { arg: { type: "string" } }, required: ["arg"] },
    }));
    const started = performance.now();
    const answer = await post(JSON.stringify(valid({ tools })));
    expect(performance.now() - started).toBeLessThan(ANSWER_MS);
    if (answer.status === 200) expect(isAnthropicMessage(JSON.parse(answer.text))).toBe(true);
    else expectClientError(answer);
  });
});

// ---- fuzz ----------------------------------------------------------------------------------


/** A request using most of the schema: system blocks, tools, a tool round trip, sampling options. */
function richRequest(stream: boolean): { [key: string]: Json } {
  return {
    model: MODEL,
    max_tokens: 128,
    stream,
    system: [{ type: "text", text: "Be brief." }],
    temperature: 0.5,
    top_p: 0.9,
    top_k: 40,
    stop_sequences: ["\n\nHuman:"],
    metadata: { user_id: "fuzz-user" },
    tool_choice: { type: "auto" },
    tools: [
      {
        name: "lookup",
        description: "Look something up.",
        input_schema: { type: "object", properties: { q: { type: "string" }, n: { type: "integer", minimum: 1 } }, required: ["q"] },
      },
    ],
    messages: [
      { role: "user", content: [{ type: "text", text: "Find the answer." }] },
      { role: "assistant", content: [{ type: "text", text: "Looking." }, { type: "tool_use", id: "toolu_1", name: "lookup", input: { q: "answer" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "42" }] }] },
      { role: "assistant", content: "It is 42." },
      { role: "user", content: "Thanks, and why?" },
    ],
  };
}

const FUZZ_CASES = 300;

test(`fuzz: ${FUZZ_CASES} mutated requests (seed 20261126) → each a well-formed answer or a 4xx Anthropic error`, async () => {
  const rnd = mulberry32(20261126);
  const problems: string[] = [];
  const statuses: Record<number, number> = {};
  for (let i = 0; i < FUZZ_CASES; i++) {
    const req = richRequest(rnd() < 0.4);
    const mutations = 1 + Math.floor(rnd() * 3);
    for (let m = 0; m < mutations; m++) mutate(req, rnd);
    const body = JSON.stringify(req);
    const answer = await post(body);
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    const problem = judge(answer, req.stream === true);
    if (problem) problems.push(`#${i} ${problem}: ${body.slice(0, 300)}`);
  }
  expect(problems).toEqual([]);
  // The loop explored both sides of the schema: some requests were still valid, many were not.
  expect(statuses[200] ?? 0).toBeGreaterThan(10);
  expect(statuses[400] ?? 0).toBeGreaterThan(10);
}, 60_000);

/** Why an answer is not acceptable, or null when it is. */
function judge(answer: Answer, stream: boolean): string | null {
  if (answer.status >= 500) return `status ${answer.status} ${answer.text.slice(0, 200)}`;
  if (answer.status >= 400) {
    try {
      return isAnthropicError(JSON.parse(answer.text)) ? null : `4xx body not an Anthropic error: ${answer.text.slice(0, 200)}`;
    } catch {
      return `4xx body not JSON: ${answer.text.slice(0, 200)}`;
    }
  }
  if (answer.status !== 200) return `status ${answer.status}`;
  if (answer.text.startsWith("event:")) {
    const events = sseEvents(answer.text);
    const last = events.at(-1);
    if (events[0]?.event !== "message_start") return `stream starts with ${events[0]?.event}`;
    if (last?.event !== "message_stop") return `stream ends with ${last?.event}: ${JSON.stringify(last?.data).slice(0, 200)}`;
    return null;
  }
  if (stream) return "asked for a stream, got JSON";
  return isAnthropicMessage(JSON.parse(answer.text)) ? null : `200 body not a message: ${answer.text.slice(0, 200)}`;
}
