/**
 * One Cloud Code session id per conversation, so upstream sees every turn of a Claude Code
 * conversation as the same session. Claude Code puts its session uuid in metadata.user_id;
 * otherwise the id is derived from what never changes between turns: the system prompt and the
 * first user message.
 */
import type { MessagesRequest } from "../anthropic/types.ts";

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
// "user_<hash>_account_<uuid>_session_<uuid>", or JSON such as {"session_id":"<uuid>"}.
const SESSION_IN_USER_ID = new RegExp(`session[_-]?(?:id)?["']?\\s*[:=_]?\\s*["']?(${UUID})`, "i");

export function deriveSessionId(req: Pick<MessagesRequest, "system" | "messages" | "metadata">): string {
  const userId = req.metadata?.user_id;
  if (userId) {
    const match = SESSION_IN_USER_ID.exec(userId);
    if (match?.[1]) return match[1].toLowerCase();
  }
  // One string hashed in one native call: a hasher object fed piece by piece costs twice as much.
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
  return asUuid(Bun.CryptoHasher.hash("sha256", text, "hex"));
}

/** Formats 128 bits of the hash as a version-4-shaped uuid, the form upstream's own clients send. */
function asUuid(hex: string): string {
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
