/**
 * What instances tell each other over Redis pub/sub. Everything received is checked: another
 * instance may run a different agcp version.
 */
import { z } from "zod";
import type { AccountDelta } from "./delta.ts";

export const MESSAGE_VERSION = 1;

export type StateMessage =
  /** Accounts' shared facts changed (a coalesced batch). */
  | { v: 1; t: "state"; from: string; changes: Array<{ id: string; delta: AccountDelta }> }
  /** A shared bucket crossed empty/non-empty (sent by the Lua script itself). */
  | { v: 1; t: "bucket"; from: string; id: string; tokens: number; at: number }
  /** Stored accounts changed: read them again. */
  | { v: 1; t: "accounts"; from: string }
  /** Settings changed: read them again. */
  | { v: 1; t: "settings"; from: string }
  /** Client keys changed (added, revoked, limits): read them again. */
  | { v: 1; t: "keys"; from: string };

const n = z.number();
const cooldown = z.object({
  until: n,
  reason: z.string(),
  hits: n,
  since: n,
  last429At: n,
  checkedAt: n.optional(),
  window: z.enum(["5h", "weekly"]).optional(),
});
const quotaEntry = z.object({ fraction: n, resetAt: n.optional(), fetchedAt: n });
const delta = z.object({
  enabled: z.boolean().optional(),
  invalid: z.object({ kind: z.string(), reason: z.string(), url: z.string().optional(), at: n }).nullable().optional(),
  tier: z.string().nullable().optional(),
  health: z.object({ score: n, updatedAt: n }).optional(),
  consecutiveFailures: n.optional(),
  lastUsedAt: n.optional(),
  quota: z.record(z.string(), quotaEntry).optional(),
  cooldowns: z.record(z.string(), cooldown.nullable()).optional(),
});
const message = z.discriminatedUnion("t", [
  z.object({ v: z.literal(1), t: z.literal("state"), from: z.string(), changes: z.array(z.object({ id: z.string(), delta })) }),
  z.object({ v: z.literal(1), t: z.literal("bucket"), from: z.string(), id: z.string(), tokens: n, at: n }),
  z.object({ v: z.literal(1), t: z.literal("accounts"), from: z.string() }),
  z.object({ v: z.literal(1), t: z.literal("settings"), from: z.string() }),
  z.object({ v: z.literal(1), t: z.literal("keys"), from: z.string() }),
]);

/** The message, or undefined for anything malformed (including another schema's messages). */
export function parseMessage(text: string): StateMessage | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = message.safeParse(raw);
  // The loose string fields (reasons, kinds) are re-checked by the pool when applied.
  return parsed.success ? (parsed.data as StateMessage) : undefined;
}
