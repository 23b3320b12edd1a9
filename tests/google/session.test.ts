import { describe, expect, test } from "bun:test";
import type { MessagesRequest } from "../../src/anthropic/types.ts";
import { deriveSessionId } from "../../src/google/session.ts";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function turn(messages: MessagesRequest["messages"], extra: Partial<MessagesRequest> = {}): MessagesRequest {
  return { model: "m", max_tokens: 1, system: [{ type: "text", text: "You are Claude Code." }], messages, ...extra };
}

describe("deriveSessionId", () => {
  const first = turn([{ role: "user", content: [{ type: "text", text: "<system-reminder>ctx</system-reminder>" }, { type: "text", text: "fix the bug" }] }]);
  const second = turn([
    ...first.messages,
    { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: {} }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "file" }] },
  ]);
  const third = turn([...second.messages, { role: "assistant", content: "done" }, { role: "user", content: "thanks" }]);

  test("is stable across the turns of one conversation", () => {
    const id = deriveSessionId(first);
    expect(id).toMatch(UUID_RE);
    expect(deriveSessionId(second)).toBe(id);
    expect(deriveSessionId(third)).toBe(id);
  });

  test("differs between conversations", () => {
    const other = turn([{ role: "user", content: "write a poem" }]);
    expect(deriveSessionId(other)).not.toBe(deriveSessionId(first));
    const otherSystem = turn(first.messages, { system: "You are a subagent." });
    expect(deriveSessionId(otherSystem)).not.toBe(deriveSessionId(first));
  });

  test("a per-request billing header block does not change the id", () => {
    const withHeader = turn(first.messages, {
      system: [{ type: "text", text: "x-anthropic-billing-header: cch=123" }, { type: "text", text: "You are Claude Code." }],
    });
    expect(deriveSessionId(withHeader)).toBe(deriveSessionId(first));
  });

  const userIds: Array<[string, string | null, string | undefined]> = [
    ["Claude Code format", "user_abc123_account_11111111-2222-3333-4444-555555555555_session_0f0e0d0c-0b0a-4909-8807-060504030201", "0f0e0d0c-0b0a-4909-8807-060504030201"],
    ["JSON format", '{"device_id":"d","session_id":"ABCDEF01-2345-6789-ABCD-EF0123456789"}', "abcdef01-2345-6789-abcd-ef0123456789"],
    ["no session inside", "user_abc", undefined],
    ["null", null, undefined],
  ];
  for (const [name, userId, expected] of userIds) {
    test(`metadata.user_id: ${name}`, () => {
      const id = deriveSessionId(turn(first.messages, { metadata: { user_id: userId } }));
      expect(id).toBe(expected ?? deriveSessionId(first));
    });
  }
});
