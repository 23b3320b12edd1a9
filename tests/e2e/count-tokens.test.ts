/**
 * count_tokens through agcp asks upstream's countTokens (exact), remembers it for the same content,
 * and answers the local estimate when upstream cannot; every stream's message_start carries a
 * non-zero input_tokens. Real HTTP on both sides, the official SDK as the client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { countTokens } from "../../src/anthropic/count-tokens.ts";
import { simCountTokens } from "../../src/sim/index.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, parseEvents, rawStream, simAccounts } from "./helpers.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ accounts: fullAccounts(1) });
});
afterAll(() => stack.close());

const TOOL = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: { type: "object" as const, properties: { city: { type: "string" } }, required: ["city"] },
};

function params(text: string): Anthropic.MessageCountTokensParams {
  return {
    model: "claude-sonnet-4-5",
    system: "You are terse.",
    tools: [TOOL],
    messages: [
      { role: "user", content: text },
      { role: "assistant", content: "Which city?" },
      { role: "user", content: [{ type: "text", text: "Paris, please." }] },
    ],
  };
}

async function countCalls(): Promise<{ calls: number; lastBody: any }> {
  const [account] = await simAccounts(stack);
  return { calls: account!.counters.requests.countTokens ?? 0, lastBody: account!.counters.lastRequestBody };
}

describe("count_tokens", () => {
  test("answers upstream's count for the content the simulator was sent, and says so", async () => {
    const before = await countCalls();
    const { data, response } = await stack.client.messages.countTokens(params("What is the weather like today in a city I will name?")).withResponse();
    expect(response.headers.get("x-agcp-token-count")).toBe("upstream");
    const after = await countCalls();
    expect(after.calls).toBe(before.calls + 1);
    // Exactly the body countTokens takes: `request` alone, holding contents, system and tools.
    expect(Object.keys(after.lastBody)).toEqual(["request"]);
    const sent = after.lastBody.request;
    expect(JSON.stringify(sent.contents)).toContain("What is the weather like today");
    expect(JSON.stringify(sent.systemInstruction)).toContain("You are terse.");
    expect(sent.tools[0].functionDeclarations[0].name).toBe("get_weather");
    expect(data.input_tokens).toBe(simCountTokens(sent));
  });

  test("the same content again is answered from the cache; other content asks again", async () => {
    const p = params("A question counted twice, word for word.");
    const first = await stack.client.messages.countTokens(p);
    const calls = (await countCalls()).calls;
    const { data, response } = await stack.client.messages.countTokens(p).withResponse();
    expect(data.input_tokens).toBe(first.input_tokens);
    expect(response.headers.get("x-agcp-token-count")).toBe("upstream");
    expect((await countCalls()).calls).toBe(calls);
    await stack.client.messages.countTokens(params("A different question this time."));
    expect((await countCalls()).calls).toBe(calls + 1);
  });

  test("a count takes no token from the account's bucket and no quota", async () => {
    const id = stack.agcp.runtime.pool.accounts()[0]!.id;
    const before = stack.agcp.runtime.pool.account(id)!;
    const [simBefore] = await simAccounts(stack);
    for (let i = 0; i < 5; i++) await stack.client.messages.countTokens(params(`Counting, round ${i}.`));
    const [simAfter] = await simAccounts(stack);
    expect(simAfter!.counters.requests.countTokens).toBe((simBefore!.counters.requests.countTokens ?? 0) + 5);
    expect(simAfter!.quotas).toEqual(simBefore!.quotas);
    const after = stack.agcp.runtime.pool.account(id)!;
    expect(after.tokens).toBeGreaterThanOrEqual(before.tokens);
    expect(after.lastUsedAt).toBe(before.lastUsedAt);
  });

  test("with upstream failing it answers the local estimate and says so; the account is not cooled", async () => {
    const p = params("Upstream is broken for this one.");
    await stack.control("/faults", { body: { fault: { serverError: true } } });
    try {
      const { data, response } = await stack.client.messages.countTokens(p).withResponse();
      expect(response.status).toBe(200);
      expect(response.headers.get("x-agcp-token-count")).toBe("estimate");
      expect(data.input_tokens).toBe(countTokens(p as never));
      expect(stack.agcp.runtime.pool.counts().available).toBe(1);
    } finally {
      await stack.control("/faults", { body: { fault: null } });
    }
    // Right after a failure upstream is left alone (tokenCount.backoffMs): the estimate answers at once.
    const calls = (await countCalls()).calls;
    const { response } = await stack.client.messages.countTokens(params("Upstream is fine again, but the backoff holds.")).withResponse();
    expect(response.headers.get("x-agcp-token-count")).toBe("estimate");
    expect((await countCalls()).calls).toBe(calls);
  });
});

describe("message_start", () => {
  const cases: Array<[string, Anthropic.MessageCreateParamsStreaming]> = [
    ["a plain Claude prompt", { model: "claude-sonnet-4-5", max_tokens: 200, stream: true, messages: [{ role: "user", content: "Hello there" }] }],
    [
      "Claude with thinking and tools",
      {
        model: "claude-opus-4-1",
        max_tokens: 4000,
        stream: true,
        thinking: { type: "enabled", budget_tokens: 1024 },
        tools: [TOOL],
        messages: [{ role: "user", content: "Use get_weather for Paris" }],
      },
    ],
    ["a Gemini model", { model: "gemini-3-flash", max_tokens: 200, stream: true, messages: [{ role: "user", content: "Hi" }] }],
  ];

  for (const [name, body] of cases) {
    test(`carries input_tokens > 0 for ${name}, and message_delta upstream's figure`, async () => {
      const res = await rawStream(stack.url, body);
      expect(res.status).toBe(200);
      const events = parseEvents(await res.text());
      const start = events.find((e) => e.event === "message_start")!.data;
      expect(start.message.usage.input_tokens).toBeGreaterThan(0);
      const delta = events.find((e) => e.event === "message_delta")!.data;
      expect(delta.usage.input_tokens + (delta.usage.cache_read_input_tokens ?? 0)).toBeGreaterThan(0);
    });
  }

  test("the SDK's accumulated message reports the input tokens too", async () => {
    const message = await stack.client.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 100, messages: [{ role: "user", content: "Count me" }] }).finalMessage();
    expect(message.usage.input_tokens).toBeGreaterThan(0);
  });
});
