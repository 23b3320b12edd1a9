/**
 * Folds the chunks of one streamed Cloud Code answer into the single response a non-streaming
 * call would have returned: neighbouring text of the same kind joins, a trailing signature-only
 * part signs the part before it, calls and images stay whole. `usageMetadata` is cumulative
 * upstream, so the last one wins.
 */
import type { CloudCodeResponse, GooglePart, GoogleUsageMetadata } from "./types.ts";

export class ChunkMerger {
  private readonly parts: GooglePart[] = [];
  private finishReason: string | undefined;
  private usage: GoogleUsageMetadata | undefined;
  private modelVersion: string | undefined;
  private responseId: string | undefined;
  private extra: Record<string, unknown> = {};

  push(chunk: CloudCodeResponse): void {
    if (chunk.usageMetadata) this.usage = chunk.usageMetadata;
    if (chunk.modelVersion) this.modelVersion = chunk.modelVersion;
    if (chunk.responseId) this.responseId = chunk.responseId;
    const candidate = chunk.candidates?.[0];
    if (!candidate) return;
    if (candidate.finishReason) this.finishReason = candidate.finishReason;
    // Grounding and similar candidate fields: the latest wins.
    for (const [k, v] of Object.entries(candidate)) if (k !== "content" && k !== "finishReason" && k !== "index") this.extra[k] = v;
    for (const part of candidate.content?.parts ?? []) this.add(part);
  }

  private add(part: GooglePart): void {
    const last = this.parts[this.parts.length - 1];
    const isText = typeof part.text === "string" && !part.functionCall && !part.inlineData;
    if (isText && last && typeof last.text === "string" && !last.functionCall && !last.inlineData && (last.thought === true) === (part.thought === true) && !last.thoughtSignature) {
      last.text += part.text ?? "";
      if (part.thoughtSignature) last.thoughtSignature = part.thoughtSignature;
      return;
    }
    if (isText && part.text === "" && part.thoughtSignature && last && !last.thoughtSignature && !last.functionCall) {
      last.thoughtSignature = part.thoughtSignature;
      return;
    }
    this.parts.push({ ...part });
  }

  /** Text, a call or an image: something a client can use. Thoughts alone are not an answer. */
  get hasContent(): boolean {
    return this.parts.some((p) => p.functionCall !== undefined || p.inlineData !== undefined || (typeof p.text === "string" && p.text !== "" && p.thought !== true));
  }

  get complete(): boolean {
    return this.finishReason !== undefined;
  }

  get usageMetadata(): GoogleUsageMetadata | undefined {
    return this.usage;
  }

  result(): CloudCodeResponse {
    const candidate: Record<string, unknown> = { content: { role: "model", parts: this.parts }, ...this.extra };
    if (this.finishReason) candidate.finishReason = this.finishReason;
    candidate.index = 0;
    const out: CloudCodeResponse = { candidates: [candidate] };
    if (this.usage) out.usageMetadata = this.usage;
    if (this.modelVersion) out.modelVersion = this.modelVersion;
    if (this.responseId) out.responseId = this.responseId;
    return out;
  }
}
