/**
 * The body of upstream's countTokens for an Anthropic count_tokens request: the same contents,
 * system instruction and tools a generate call would carry (so the count is of what upstream will
 * really see), and nothing else — countTokens rejects any key its proto lacks ("Unknown name").
 */
import type { CountTokensRequest } from "../anthropic/types.ts";
import { applyAgentIdentityPolicy, type AgentIdentityPolicy } from "./agent-identity.ts";
import type { EnvelopeOptions } from "./envelope.ts";
import { modelFamily } from "./models.ts";
import { toCloudCodeRequest } from "./request.ts";
import type { SignatureCache } from "./signatures.ts";
import type { GoogleRequest } from "./types.ts";

export type CountTokensBody = Pick<GoogleRequest, "contents" | "systemInstruction" | "tools">;

export interface CountRequestContext {
  upstreamModel: string;
  signatures: SignatureCache;
  identity: AgentIdentityPolicy;
  /** The envelope forms generate uses (tool entries, system parts), so the count is of the same text. */
  envelope?: EnvelopeOptions;
}

export function toCountTokensRequest(req: CountTokensRequest, ctx: CountRequestContext): CountTokensBody {
  // max_tokens only shapes generationConfig, which a count does not send.
  const { envelope } = toCloudCodeRequest(
    { ...req, max_tokens: 1 },
    { upstreamModel: ctx.upstreamModel, projectId: "", sessionId: "", requestId: "count", signatures: ctx.signatures, ...(ctx.envelope && { envelope: ctx.envelope }) },
  );
  const inner = envelope.request;
  applyAgentIdentityPolicy(inner, modelFamily(ctx.upstreamModel), ctx.identity);
  const body: CountTokensBody = { contents: inner.contents };
  if (inner.systemInstruction) body.systemInstruction = inner.systemInstruction;
  if (inner.tools) body.tools = inner.tools;
  return body;
}
