/**
 * What newer Claude Code sends — adaptive thinking with `display: "omitted"`, `output_config.effort`,
 * `context_management`, mid-conversation system messages, `[1m]` names, beta headers, fields agcp
 * does not know — reaches upstream as each model's own control, read back from what the simulator
 * received. Real HTTP; the official SDK where its types allow, raw fetch where they do not.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type Anthropic from "@anthropic-ai/sdk";
import { DEFAULT_SIM_MODELS, type SimModel } from "../../src/sim/index.ts";
import { startStack, type Stack } from "../support/stack.ts";
import { fullAccounts, parseEvents, simAccounts } from "./helpers.ts";

const TIERED: SimModel[] = ["low", "medium", "high"].flatMap((tier) => [
  { id: `gemini-3.8-flash-${tier}`, displayName: `Gemini 3.8 Flash (${tier})` },
  { id: `claude-opus-5-5-${tier}`, displayName: `Claude Opus 5.5 (${tier})`, maxOutputTokens: 128_000 },
]);
// The simulator's own entries win (they carry the catalog details); ours only fill gaps.
const byId = new Map(DEFAULT_SIM_MODELS.map((m) => [m.id, m]));
for (const m of [...TIERED, { id: "claude-opus-4-6-thinking", displayName: "Claude Opus 4.6 (Thinking)" }]) if (!byId.has(m.id)) byId.set(m.id, m);

const BETAS = [
  "claude-code-20250219",
  "interleaved-thinking-2025-05-14",
  "thinking-token-count-2026-05-13",
  "context-management-2025-06-27",
  "prompt-caching-scope-2026-01-05",
  "mid-conversation-system-2026-04-07",
  "effort-2025-11-24",
  "some-future-feature-2027-01-01",
].join(",");

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    accounts: fullAccounts(1),
    sim: { models: [...byId.values()] },
    config: { models: { exact: { "claude-haiku-4-5": "gemini-3.8-flash-low", "claude-opus-4-1": "claude-opus-5-5-high" } } },
  });
});
afterAll(() => stack.close());

async function lastSent(): Promise<any> {
  const [account] = await simAccounts(stack);
  return account!.counters.lastGenerateBody;
}

/** POST /v1/messages the way Claude Code does (beta query and headers), body as given. */
async function post(body: Record<string, unknown>): Promise<Response> {
  return fetch(`${stack.url}/v1/messages?beta=true`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "anthropic-beta": BETAS, "x-api-key": "test-key" },
    body: JSON.stringify(body),
  });
}

function adaptive(model: string, effort: string, extra: Record<string, unknown> = {}) {
  return {
    model,
    max_tokens: 32_000,
    thinking: { type: "adaptive", display: "omitted" },
    output_config: { effort },
    messages: [{ role: "user", content: "Say hello" }],
    ...extra,
  };
}

describe("effort", () => {
  test.each([
    ["high", "gemini-3.8-flash-high", -1],
    ["medium", "gemini-3.8-flash-medium", 4000],
    ["low", "gemini-3.8-flash-low", 1000],
  ] as const)("a name mapped to Gemini Flash with effort %s goes to %s with its budget", async (effort, id, budget) => {
    const res = await post(adaptive("claude-haiku-4-5", effort));
    expect(res.status).toBe(200);
    const sent = await lastSent();
    expect(sent.model).toBe(id);
    expect(sent.request.generationConfig.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: budget });
  });

  test("a name mapped to Claude 5.5 picks the tier and sends thinkingLevel with budget 0", async () => {
    const res = await post(adaptive("claude-opus-4-1", "medium"));
    expect(res.status).toBe(200);
    const sent = await lastSent();
    expect(sent.model).toBe("claude-opus-5-5-medium");
    expect(sent.request.generationConfig.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: 0, thinkingLevel: "MEDIUM" });
    const max = await post(adaptive("claude-opus-4-1", "max"));
    expect(max.status).toBe(200);
    expect((await lastSent()).request.generationConfig.thinkingConfig.thinkingLevel).toBe("HIGH");
  });

  test("Claude Code 2.1.280's default name, claude-opus-5-5[1m], maps and takes the effort's tier", async () => {
    const res = await post(adaptive("claude-opus-5-5[1m]", "low"));
    expect(res.status).toBe(200);
    const sent = await lastSent();
    expect(sent.model).toBe("claude-opus-5-5-low");
    expect(sent.request.generationConfig.thinkingConfig.thinkingLevel).toBe("LOW");
  });

  test("an id the client named itself is not moved by the effort", async () => {
    expect((await post(adaptive("gemini-3.8-flash-low", "high"))).status).toBe(200);
    expect((await lastSent()).model).toBe("gemini-3.8-flash-low");
  });

  test("Claude 4.6 takes the effort as a budget below maxOutputTokens", async () => {
    expect((await post(adaptive("claude-opus-4-6-thinking", "low"))).status).toBe(200);
    const config = (await lastSent()).request.generationConfig;
    expect(config.thinkingConfig).toEqual({ include_thoughts: true, thinking_budget: 4096 });
    expect(config.maxOutputTokens).toBe(32_000);
  });
});

describe('display: "omitted"', () => {
  test("thinking blocks come back empty with their signature, and go back upstream whole", async () => {
    const first = await stack.client.messages.create({
      model: "claude-opus-4-1",
      max_tokens: 16_000,
      thinking: { type: "adaptive", display: "omitted" } as never,
      messages: [{ role: "user", content: "Think about it" }],
    });
    const thinking = first.content.find((b): b is Anthropic.ThinkingBlock => b.type === "thinking")!;
    expect(thinking).toBeDefined();
    expect(thinking.thinking).toBe("");
    expect(thinking.signature.length).toBeGreaterThan(0);

    // Streaming: no thinking_delta, a signature_delta.
    const res = await post({ ...adaptive("claude-opus-4-1", "high"), stream: true });
    const events = parseEvents(await res.text());
    expect(events.some((e) => e.data?.delta?.type === "thinking_delta")).toBe(false);
    expect(events.some((e) => e.data?.delta?.type === "signature_delta")).toBe(true);

    // The client sends the empty block back; upstream checks the signature against the text.
    const second = await post(
      adaptive("claude-opus-4-1", "high", {
        messages: [
          { role: "user", content: "Think about it" },
          { role: "assistant", content: first.content },
          { role: "user", content: "And now?" },
        ],
      }),
    );
    expect(second.status).toBe(200);
    const thought = (await lastSent()).request.contents[1].parts.find((p: any) => p.thought === true);
    expect(thought.text.length).toBeGreaterThan(0);
    expect(thought.thoughtSignature).toBe(thinking.signature);
  });
});

describe("context_management", () => {
  test("clear_thinking drops the thinking of earlier turns from what goes upstream", async () => {
    const history: Anthropic.MessageParam[] = [];
    for (const question of ["First question", "Second question"]) {
      history.push({ role: "user", content: question });
      const answer = await stack.client.messages.create({ model: "claude-opus-4-1", max_tokens: 16_000, thinking: { type: "adaptive" }, messages: [...history] });
      expect(answer.content.some((b) => b.type === "thinking")).toBe(true);
      history.push({ role: "assistant", content: answer.content });
    }
    history.push({ role: "user", content: "Third question" });
    const thoughtTurns = async (edits: unknown[]) => {
      const res = await post({ model: "claude-opus-4-1", max_tokens: 32_000, thinking: { type: "adaptive" }, context_management: { edits }, messages: history });
      expect(res.status).toBe(200);
      const contents: any[] = (await lastSent()).request.contents;
      return contents.flatMap((c, i) => (c.parts.some((p: any) => p.thought === true) ? [i] : []));
    };
    expect(await thoughtTurns([{ type: "clear_thinking_20251015", keep: "all" }])).toEqual([1, 3]);
    expect(await thoughtTurns([{ type: "clear_thinking_20251015" }])).toEqual([3]);
    expect(await thoughtTurns([{ type: "clear_tool_uses_20250919" }])).toEqual([1, 3]);
  });
});

describe("what newer clients send is accepted", () => {
  test("every beta of the sheet, an unknown beta, unknown top-level fields, [1m] and a mid-conversation system message", async () => {
    const res = await post({
      ...adaptive("claude-opus-4-1[1m]", "high"),
      stream: true,
      context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }, { type: "some_future_edit", whatever: 1 }] },
      output_config: { effort: "high", format: { type: "json_schema" } },
      speed: "fast",
      diagnostics: { trace: true },
      messages: [
        { role: "user", content: "Say hello" },
        { role: "system", content: "The user prefers short answers." },
      ],
    });
    expect(res.status).toBe(200);
    const events = parseEvents(await res.text());
    expect(events.at(-1)?.event).toBe("message_stop");
    const sent = await lastSent();
    expect(sent.model).toBe("claude-opus-5-5-high");
    expect(JSON.stringify(sent.request.systemInstruction)).toContain("The user prefers short answers.");
    expect(JSON.stringify(sent)).not.toContain("speed");
  });

  test("count_tokens accepts the same body", async () => {
    const res = await fetch(`${stack.url}/v1/messages/count_tokens?beta=true`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "anthropic-beta": BETAS, "x-api-key": "test-key" },
      body: JSON.stringify({ ...adaptive("claude-opus-4-1[1m]", "low"), context_management: { edits: [{ type: "clear_thinking_20251015" }] }, speed: "fast" }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
  });

  test("truly invalid input is still a 400", async () => {
    const res = await post({ ...adaptive("claude-opus-4-1", "high"), thinking: { type: "sometimes" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.type).toBe("invalid_request_error");
  });
});

describe("a thinking model, and a client that did not ask for thinking", () => {
  const tools: Anthropic.Tool[] = [
    { name: "Read", description: "Read a file from disk.", input_schema: { type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"] } },
  ];

  test("sees no thinking block, streaming or not; a tool loop still sends the model's signed thinking back upstream", async () => {
    // claude-opus-4-6-thinking thinks whatever the client says; this client never mentions thinking.
    const question: Anthropic.MessageParam = { role: "user", content: "Use the Read tool to read src/server/app.ts" };
    const first = await stack.client.messages.create({ model: "claude-opus-4-6-thinking", max_tokens: 16_000, tools, messages: [question] });
    expect(first.content.some((b) => b.type === "thinking")).toBe(false);
    expect(first.content.at(-1)?.type).toBe("tool_use");
    const sent = (await lastSent()).request;
    expect(sent.generationConfig.thinkingConfig).toBeDefined();

    const res = await post({ model: "claude-opus-4-6-thinking", max_tokens: 16_000, stream: true, messages: [{ role: "user", content: "Say hello" }] });
    const events = parseEvents(await res.text());
    expect(events.some((e) => e.data?.content_block?.type === "thinking" || e.data?.delta?.type === "thinking_delta")).toBe(false);
    expect(events.find((e) => e.event === "content_block_start")?.data.index).toBe(0);

    // The client sends back only what it saw: the tool call, then its result.
    const call = first.content.at(-1) as Anthropic.ToolUseBlock;
    const second = await stack.client.messages.create({
      model: "claude-opus-4-6-thinking",
      max_tokens: 16_000,
      tools,
      messages: [question, { role: "assistant", content: first.content }, { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: "export function createApp() {}" }] }],
    });
    expect(second.content.some((b) => b.type === "thinking")).toBe(false);
    const upstream = (await lastSent()).request;
    // The model turn goes back as the model wrote it: its thinking (with signature) before the call.
    const modelTurn = upstream.contents.find((c: any) => c.role === "model");
    expect(modelTurn.parts[0].thought).toBe(true);
    expect(modelTurn.parts[0].text.length).toBeGreaterThan(0);
    expect(modelTurn.parts[0].thoughtSignature.length).toBeGreaterThan(0);
    expect(modelTurn.parts.at(-1).functionCall.name).toBe("Read");
    // And the loop kept thinking on (it would be dropped for a call whose thinking was lost).
    expect(upstream.generationConfig.thinkingConfig).toBeDefined();
  });
});

