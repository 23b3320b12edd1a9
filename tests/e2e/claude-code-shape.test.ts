/**
 * The request shape Claude Code 2.1 sends (captured from the real CLI against agcp, then rebuilt
 * here with our own text): beta query string, billing-header system block, a role:"system"
 * message, cache_control everywhere, adaptive thinking, context_management/output_config,
 * JSON-Schema 2020-12 tool schemas, and metadata.user_id as JSON carrying the session id.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { upstreamSessionId } from "../../src/google/envelope.ts";
import { startStack, type Stack } from "../support/stack.ts";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.close());

const SESSION = "cc540ded-d4cf-4a59-84a9-eae87e6ddb96";

function claudeCodeRequest(prompt: string) {
  return {
    model: "claude-opus-4-8",
    max_tokens: 64000,
    stream: true,
    thinking: { type: "adaptive" },
    context_management: { edits: [{ type: "clear_thinking_20251015", keep: "all" }] },
    output_config: { effort: "high" },
    metadata: { user_id: JSON.stringify({ device_id: "d", account_uuid: "", session_id: SESSION }) },
    system: [
      { type: "text", text: "x-anthropic-billing-header: cc_version=test;" },
      { type: "text", text: "You are a coding agent.", cache_control: { type: "ephemeral" } },
    ],
    tools: [
      {
        name: "Read",
        description: "Reads a file.",
        input_schema: {
          $schema: "https://json-schema.org/draft/2020-12/schema",
          type: "object",
          properties: {
            file_path: { type: "string", description: "Absolute path" },
            limit: { type: "integer", exclusiveMinimum: 0, maximum: 9007199254740991 },
            mode: { anyOf: [{ type: "string", enum: ["text", "bytes"] }, { type: "null" }] },
          },
          required: ["file_path"],
          additionalProperties: false,
        },
        cache_control: { type: "ephemeral" },
      },
    ],
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "<system-reminder>Context for the session.</system-reminder>" },
          { type: "text", text: prompt, cache_control: { type: "ephemeral" } },
        ],
      },
      { role: "system", content: "Agents available: general." },
    ],
  };
}

async function post(body: unknown) {
  return fetch(`${stack.url}/v1/messages?beta=true`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "anthropic-version": "2023-06-01",
      "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
      authorization: "Bearer anything",
    },
    body: JSON.stringify(body),
  });
}

test("a Claude Code turn streams back thinking and text, with the session id sent upstream", async () => {
  const res = await post(claudeCodeRequest("Say hello"));
  expect(res.status).toBe(200);
  const text = await res.text();
  const events = [...text.matchAll(/^event: (\S+)/gm)].map((m) => m[1]);
  expect(events[0]).toBe("message_start");
  expect(events.at(-1)).toBe("message_stop");
  expect(events).toContain("content_block_delta");
  expect(text).toContain('"type":"signature_delta"');
  const said = [...text.matchAll(/"text_delta","text":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`)).join("");
  expect(said).toContain("reply to: Say hello.");

  const account = res.headers.get("x-agcp-account")!;
  const sent = (await stack.control(`/accounts/${encodeURIComponent(account)}`)).counters.lastGenerateBody;
  // Claude Code's session uuid, in the official clients' form (a negative int64 string per conversation).
  expect(sent.request.sessionId).toBe(upstreamSessionId(SESSION, "official"));
  // One system part, as the official clients send it; the role:"system" message is in it.
  expect(sent.request.systemInstruction.parts).toHaveLength(1);
  expect(sent.request.systemInstruction.parts[0].text).toContain("Agents available: general.");
  expect(JSON.stringify(sent)).not.toContain("cache_control");
});

test("asking for a tool by name yields a tool_use the client can answer", async () => {
  const res = await post(claudeCodeRequest("Use the Read tool on /etc/hostname"));
  const text = await res.text();
  expect(text).toContain('"type":"tool_use"');
  expect(text).toContain('"name":"Read"');
  expect(text).toContain('"stop_reason":"tool_use"');
});
