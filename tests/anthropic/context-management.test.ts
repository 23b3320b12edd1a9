import { expect, test } from "bun:test";
import { applyContextManagement } from "../../src/anthropic/context-management.ts";
import { parseMessagesRequest } from "../../src/anthropic/schema.ts";
import type { MessageParam } from "../../src/anthropic/types.ts";

const turn = (n: number): MessageParam[] => [
  { role: "user", content: `question ${n}` },
  { role: "assistant", content: [{ type: "thinking", thinking: `thought ${n}`, signature: `sig${n}` }, { type: "text", text: `answer ${n}` }] },
];
const messages: MessageParam[] = [...turn(1), ...turn(2), ...turn(3), { role: "user", content: "question 4" }];

function thoughtsLeft(edits: unknown[]): string[] {
  const req = parseMessagesRequest({ model: "m", max_tokens: 10, messages, context_management: { edits } });
  return applyContextManagement(req).messages.flatMap((m) => (typeof m.content === "string" ? [] : m.content.flatMap((b) => (b.type === "thinking" ? [b.thinking] : []))));
}

test("clear_thinking keeps the last turn's thinking by default", () => {
  expect(thoughtsLeft([{ type: "clear_thinking_20251015" }])).toEqual(["thought 3"]);
});

test("keep thinking_turns N keeps the last N; keep all keeps everything", () => {
  expect(thoughtsLeft([{ type: "clear_thinking_20251015", keep: { type: "thinking_turns", value: 2 } }])).toEqual(["thought 2", "thought 3"]);
  expect(thoughtsLeft([{ type: "clear_thinking_20251015", keep: "all" }])).toEqual(["thought 1", "thought 2", "thought 3"]);
});

test("the latest thinking always stays (a tool loop needs it), even when asked to keep none", () => {
  expect(thoughtsLeft([{ type: "clear_thinking_20251015", keep: { type: "thinking_turns", value: 0 } }])).toEqual(["thought 3"]);
});

test("other edits and no edits change nothing; the text of every turn stays", () => {
  expect(thoughtsLeft([{ type: "clear_tool_uses_20250919", trigger: { type: "input_tokens", value: 1000 } }])).toEqual(["thought 1", "thought 2", "thought 3"]);
  expect(thoughtsLeft([])).toEqual(["thought 1", "thought 2", "thought 3"]);
  const req = parseMessagesRequest({ model: "m", max_tokens: 10, messages, context_management: { edits: [{ type: "clear_thinking_20251015" }] } });
  const texts = applyContextManagement(req).messages.flatMap((m) => (typeof m.content === "string" ? [m.content] : m.content.flatMap((b) => (b.type === "text" ? [b.text] : []))));
  expect(texts).toEqual(["question 1", "answer 1", "question 2", "answer 2", "question 3", "answer 3", "question 4"]);
});
