/**
 * Replays the request shapes of the newest Claude Code the sheet describes (2.1.204 capture; the
 * `[1m]` default model of 2.1.280) and of the installed 2.1.332 (recorded against agcp, rebuilt
 * here with our own text): `?beta=true`, the beta header list, adaptive thinking with
 * `display: "omitted"`, `context_management` edits, `output_config.effort`, the billing-header
 * system block, a mid-conversation `system` message carrying the environment, a tool loop with
 * the thinking block replayed, and WebSearch's own sub-request (only the web_search tool).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startStack, type Stack } from "../support/stack.ts";
import { parseEvents, simAccounts } from "../e2e/helpers.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const HEADERS = {
  "content-type": "application/json",
  "anthropic-version": "2023-06-01",
  "x-api-key": "sk-ant-dummy",
  "user-agent": "claude-cli/2.1.332 (external, sdk-cli)",
  "anthropic-beta": [
    "claude-code-20250219",
    "interleaved-thinking-2025-05-14",
    "context-management-2025-06-27",
    "per-turn-control-2026-07-01",
    "mid-conversation-tool-changes-2026-07-01",
    "thinking-token-count-2026-05-13",
    "prompt-caching-scope-2026-01-05",
    "mid-conversation-system-2026-04-07",
    "effort-2025-11-24",
  ].join(","),
};
const SESSION = "10c10379-4b1f-4f00-88ae-7327c438d396";
const ENVIRONMENT = "# Environment\nYou have been invoked in the following environment:\n - Primary working directory: /home/dev/app\n - Platform: linux";

const STRING = { type: "string" };
const TOOLS = [
  {
    name: "Bash",
    description: "Executes a given bash command.",
    input_schema: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", properties: { command: STRING, timeout: { type: "number" } }, required: ["command"], additionalProperties: false },
  },
  {
    name: "Read",
    description: "Reads a file from the local filesystem.",
    input_schema: {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { file_path: { type: "string", description: "The absolute path to the file to read" }, limit: { type: "integer", exclusiveMinimum: 0 } },
      required: ["file_path"],
      additionalProperties: false,
    },
  },
  {
    name: "WebSearch",
    description: "Search the web.",
    input_schema: { $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", properties: { query: { type: "string", minLength: 2 } }, required: ["query"], additionalProperties: false },
  },
];

function mainLoop(messages: unknown[], extra: Record<string, unknown> = {}) {
  return {
    model: "claude-opus-5-5[1m]",
    max_tokens: 32000,
    stream: true,
    thinking: { type: "adaptive", display: "omitted" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    output_config: { effort: "high" },
    metadata: { user_id: JSON.stringify({ device_id: "d", account_uuid: "", session_id: SESSION }) },
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.332.b0e; cc_entrypoint=sdk-cli;" },
      { type: "text", text: "You are an agent working with the user toward their goals.", cache_control: { type: "ephemeral" } },
    ],
    tools: TOOLS,
    messages,
    ...extra,
  };
}

async function post(body: unknown): Promise<Response> {
  return fetch(`${stack.url}/v1/messages?beta=true`, { method: "POST", headers: HEADERS, body: JSON.stringify(body) });
}

/** The assistant message a streamed answer amounts to, the way Claude Code rebuilds it. */
async function streamed(body: unknown): Promise<{ content: any[]; stop_reason: string; model: string }> {
  const res = await post(body);
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(200);
  const events = parseEvents(text);
  const content: any[] = [];
  let stop_reason = "";
  let model = "";
  for (const { data } of events) {
    if (data?.type === "message_start") model = data.message.model;
    if (data?.type === "content_block_start") content[data.index] = structuredClone(data.content_block);
    if (data?.type === "content_block_delta") {
      const block = content[data.index];
      const d = data.delta;
      if (d.type === "text_delta") block.text += d.text;
      if (d.type === "thinking_delta") block.thinking += d.thinking;
      if (d.type === "signature_delta") block.signature = d.signature;
      if (d.type === "input_json_delta") block.partial = (block.partial ?? "") + d.partial_json;
      if (d.type === "citations_delta") (block.citations ??= []).push(d.citation);
    }
    if (data?.type === "content_block_stop") {
      const block = content[data.index];
      if (block.partial !== undefined) {
        block.input = JSON.parse(block.partial);
        delete block.partial;
      }
    }
    if (data?.type === "message_delta") stop_reason = data.delta.stop_reason;
  }
  return { content, stop_reason, model };
}

describe("Claude Code 2.1.2xx–2.1.332 request shapes", () => {
  test("a tool loop: Read from the mid-conversation environment, the thinking replayed, a final answer", async () => {
    const ask = { role: "user", content: [{ type: "text", text: "<system-reminder>Today is a good day.</system-reminder>" }, { type: "text", text: "read package.json" }] };
    const system = { role: "system", content: ENVIRONMENT };
    const first = await streamed(mainLoop([ask, system]));
    expect(first.model).toBe("claude-opus-5-5[1m]");
    expect(first.stop_reason).toBe("tool_use");
    const call = first.content.find((b) => b.type === "tool_use");
    // The working directory came from the mid-conversation system message.
    expect(call).toMatchObject({ name: "Read", input: { file_path: "/home/dev/app/package.json" } });
    // display "omitted": the block comes without its words, signed (the sheet puts Claude's
    // signature on the part after the thought), and goes back whole below.
    const thinking = first.content.find((b) => b.type === "thinking");
    expect(thinking?.thinking).toBe("");
    expect(thinking?.signature).toStartWith("sim-claude-");

    // Upstream got the environment as system instruction, not as the user's words.
    const sent = (await simAccounts(stack)).map((a) => a.counters.lastGenerateBody).find((b) => JSON.stringify(b?.request?.systemInstruction ?? "").includes("Primary working directory"));
    expect(sent).toBeDefined();
    expect(JSON.stringify(sent.request.contents)).not.toContain("Primary working directory");

    const second = await streamed(
      mainLoop([
        ask,
        system,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call.id, content: '{"name": "app", "version": "4.2.0"}' }] },
      ]),
    );
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content.filter((b) => b.type === "text").map((b) => b.text).join("")).toContain('"version": "4.2.0"');
  });

  test("WebSearch's sub-request (only the web_search tool, tool_choice auto, no thinking) gets a search answer", async () => {
    const body = {
      model: "claude-opus-5-5[1m]",
      max_tokens: 128000,
      stream: true,
      output_config: { effort: "medium" },
      metadata: { user_id: JSON.stringify({ device_id: "d", account_uuid: "", session_id: SESSION }) },
      system: [
        { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.332.b11; cc_entrypoint=sdk-cli;" },
        { type: "text", text: "You are a Claude agent, built on Anthropic's Claude Agent SDK." },
        { type: "text", text: "You run a web search for another Claude model. Search once, then reply with a brief summary of the results." },
      ],
      messages: [{ role: "user", content: [{ type: "text", text: "Perform a web search for the query: vitest vs bun test" }] }],
      tools: [{ type: "web_search_20250305", name: "web_search", max_uses: 8 }],
      tool_choice: { type: "auto" },
    };
    const answer = await streamed(body);
    expect(answer.content.map((b) => b.type).slice(0, 3)).toEqual(["server_tool_use", "web_search_tool_result", "text"]);
    expect(answer.content[0].input).toEqual({ query: "vitest vs bun test" });
    expect(answer.content[1].content.length).toBeGreaterThan(0);
    expect(answer.content.some((b) => b.type === "text" && b.citations?.length)).toBe(true);
  });

  test("non-streaming with the [1m] suffix and every beta: a 200 message, never a 400 for what the API added", async () => {
    const res = await post(mainLoop([{ role: "user", content: "Say hi" }], { stream: false }));
    const body = (await res.json()) as { type: string; model: string; content: { type: string; text?: string }[] };
    expect(res.status).toBe(200);
    expect(body.type).toBe("message");
    expect(body.model).toBe("claude-opus-5-5[1m]");
    expect(body.content.some((b) => b.type === "text" && b.text?.includes("reply to: Say hi"))).toBe(true);
  });
});
