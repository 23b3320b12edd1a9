/**
 * `context_management.edits` (beta `context-management-2025-06-27`), applied before conversion.
 *
 * `clear_thinking_*` edits mean what Anthropic does with them: thinking blocks of earlier assistant
 * turns leave the context, except those of the last `keep.value` turns that have any (default 1;
 * `keep: "all"` keeps everything). The most recent thinking always stays, because a tool loop in
 * progress must send it back. Other edit types (clearing tool results, …) change nothing here: the
 * request goes upstream whole, which is what it would be without the beta.
 */
import type { ContentBlock, ContextEdit, MessageParam } from "./types.ts";

const CLEAR_THINKING = /^clear_thinking_/;

export function applyContextManagement<T extends { messages: MessageParam[]; context_management?: { edits?: ContextEdit[] } }>(req: T): T {
  const edits = req.context_management?.edits;
  if (!edits?.length) return req;
  let keep = Number.POSITIVE_INFINITY;
  for (const edit of edits) if (CLEAR_THINKING.test(edit.type)) keep = Math.min(keep, turnsToKeep(edit.keep));
  if (!Number.isFinite(keep)) return req;

  const withThinking: number[] = [];
  req.messages.forEach((m, i) => {
    if (m.role === "assistant" && typeof m.content !== "string" && m.content.some(isThinking)) withThinking.push(i);
  });
  const clear = new Set(withThinking.slice(0, Math.max(0, withThinking.length - keep)));
  if (clear.size === 0) return req;
  const messages = req.messages.map((m, i) =>
    clear.has(i) && typeof m.content !== "string" ? { ...m, content: m.content.filter((b) => !isThinking(b)) } : m,
  );
  return { ...req, messages };
}

function turnsToKeep(keep: unknown): number {
  if (keep === "all") return Number.POSITIVE_INFINITY;
  if (typeof keep === "object" && keep !== null) {
    const value = (keep as { value?: unknown }).value;
    if (typeof value === "number" && Number.isFinite(value)) return Math.max(1, Math.floor(value));
  }
  return 1;
}

function isThinking(b: ContentBlock): boolean {
  return b.type === "thinking" || b.type === "redacted_thinking";
}
