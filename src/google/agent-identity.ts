/**
 * `claude -p` (and anything built on the Claude Agent SDK) opens its system prompt with "You are a
 * Claude agent, built on Anthropic's Claude Agent SDK." Gemini 3.7/3.8 Flash refuse that sentence
 * with a bare 429 that looks like an exhausted quota (cloudcode-protocol.md, "Errors (additions)").
 * Like Antigravity-Manager, agcp rewrites it to the interactive CLI's identity before sending;
 * `agentSdkIdentity.rewrite` says where ("gemini" by default, "all", "off").
 */
import { AGENT_SDK_IDENTITY_SENTENCE } from "../upstream/agent-identity.ts";
import type { GoogleRequest, ModelFamily } from "./types.ts";

export interface AgentIdentityPolicy {
  rewrite: "gemini" | "all" | "off";
  replacement: string;
}

export interface AgentIdentityOutcome {
  /** The sentence is (still) in what goes upstream. */
  present: boolean;
  rewritten: boolean;
}

/** Rewrites the sentence in the request's system instruction in place, as the policy says. */
export function applyAgentIdentityPolicy(request: GoogleRequest, family: ModelFamily, policy: AgentIdentityPolicy): AgentIdentityOutcome {
  const parts = request.systemInstruction?.parts;
  if (!parts?.some((p) => p.text.includes(AGENT_SDK_IDENTITY_SENTENCE))) return { present: false, rewritten: false };
  const rewrite = policy.rewrite === "all" || (policy.rewrite === "gemini" && family === "gemini");
  if (!rewrite) return { present: true, rewritten: false };
  for (const part of parts) part.text = part.text.replaceAll(AGENT_SDK_IDENTITY_SENTENCE, policy.replacement);
  return { present: false, rewritten: true };
}
