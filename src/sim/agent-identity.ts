/**
 * A fault Cloud Code really has (cloudcode-protocol.md, "Errors (additions)"): on Gemini 3.7/3.8
 * Flash, a system instruction containing the Claude Agent SDK identity sentence — the first line of
 * `claude -p`'s system prompt — is answered with a detail-less 429 "Resource has been exhausted
 * (e.g. check quota).", as if the account were out of quota. Claude models are unaffected, and the
 * same request without the sentence succeeds.
 */
import { rpcError } from "./rpc-error.ts";
import type { SimModel } from "./types.ts";
import { isRecord } from "./wire.ts";

export const AGENT_SDK_IDENTITY_SENTENCE = "You are a Claude agent, built on Anthropic's Claude Agent SDK.";

const AFFECTED_MODEL = /^gemini-3\.[78]-flash/;

/** The 429 to answer instead of generating, or null when the request is not affected. */
export function agentIdentityRefusal(model: SimModel, request: unknown): Response | null {
  if (!AFFECTED_MODEL.test(model.id)) return null;
  if (!isRecord(request) || !systemText(request.systemInstruction).includes(AGENT_SDK_IDENTITY_SENTENCE)) return null;
  return rpcError("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).");
}

function systemText(instruction: unknown): string {
  if (!isRecord(instruction) || !Array.isArray(instruction.parts)) return "";
  return instruction.parts.map((p) => (isRecord(p) && typeof p.text === "string" ? p.text : "")).join("\n");
}
