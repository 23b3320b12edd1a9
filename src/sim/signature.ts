import { createHmac } from "node:crypto";
import type { ModelFamily } from "./types.ts";

/**
 * Thought signatures the sim issues and later checks. The key is fixed on purpose: a history
 * signed by one sim process must still verify after a restart (demo sessions survive restarts).
 */
const SIGNING_KEY = "agcp-simulator-thought-signature";

/** Placeholder Gemini clients may send for function calls they did not get a signature for. */
export const SKIP_SIGNATURE_SENTINEL = "skip_thought_signature_validator";

export type SignedKind = "thought" | "call";

export function signThought(family: ModelFamily, kind: SignedKind, content: string): string {
  const mac = createHmac("sha256", SIGNING_KEY).update(`${family}\n${kind}\n${content}`).digest("base64url");
  return `sim-${family}-${mac.slice(0, 43)}`;
}

export function verifyThought(family: ModelFamily, kind: SignedKind, content: string, signature: unknown): boolean {
  return typeof signature === "string" && signature === signThought(family, kind, content);
}

/** The family a sim signature was issued for, or null if it is not one of ours. */
export function signatureFamily(signature: unknown): ModelFamily | null {
  if (typeof signature !== "string") return null;
  if (signature.startsWith("sim-claude-")) return "claude";
  if (signature.startsWith("sim-gemini-")) return "gemini";
  return null;
}
