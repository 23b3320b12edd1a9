/**
 * One Cloud Code session id per conversation, so upstream sees every turn of a Claude Code
 * conversation as the same session. Claude Code puts its session uuid in metadata.user_id;
 * otherwise the id is derived from what never changes between turns: the system prompt and the
 * first user message.
 *
 * The pool needs a finer key than that uuid: Claude Code's parallel subagents share their parent's
 * session uuid, but each is a conversation of its own (its own system prompt and task). Keyed by
 * conversation, the main conversation keeps its account (and its prompt cache) while a burst of
 * subagents spreads.
 */
import type { MessagesRequest } from "../anthropic/types.ts";

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
// "user_<hash>_account_<uuid>_session_<uuid>", or JSON such as {"session_id":"<uuid>"}.
const SESSION_IN_USER_ID = new RegExp(`session[_-]?(?:id)?["']?\\s*[:=_]?\\s*["']?(${UUID})`, "i");

type SessionInput = Pick<MessagesRequest, "system" | "messages" | "metadata">;

export interface SessionIds {
  /** What upstream is told (the client's own session uuid when it sent one). */
  sessionId: string;
  /** Which conversation this is, for account affinity. */
  conversation: string;
}

export function deriveSessionId(req: SessionInput): string {
  return deriveSession(req).sessionId;
}

export function deriveSession(req: SessionInput): SessionIds {
  const userId = req.metadata?.user_id;
  const match = userId ? SESSION_IN_USER_ID.exec(userId) : null;
  const text = conversationText(req);
  if (match?.[1]) {
    const sessionId = match[1].toLowerCase();
    // A fast non-cryptographic hash: the key only tells conversations of one session apart.
    return { sessionId, conversation: `${sessionId}/${Bun.hash(text).toString(36)}` };
  }
  // One string hashed in one native call: a hasher object fed piece by piece costs twice as much.
  const sessionId = asUuid(Bun.CryptoHasher.hash("sha256", text, "hex"));
  return { sessionId, conversation: sessionId };
}

/** The system prompt and the first user message: what stays the same on every turn. */
function conversationText(req: SessionInput): string {
  let text = "agcp-session\0";
  const system = req.system;
  if (typeof system === "string") text += system;
  else if (system) {
    // Some clients put per-request metadata in a system block of its own; it is not conversation identity.
    for (const b of system) if (!b.text.startsWith("x-anthropic-billing-header")) text += `${b.text}\0`;
  }
  text += "\0\0";
  const first = req.messages.find((m) => m.role === "user");
  if (first) {
    if (typeof first.content === "string") text += first.content;
    else for (const b of first.content) if (b.type === "text") text += `${b.text}\0`;
  }
  return text;
}

/** Formats 128 bits of the hash as a version-4-shaped uuid, the form upstream's own clients send. */
function asUuid(hex: string): string {
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
