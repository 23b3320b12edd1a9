/**
 * Cloud Code answers are Gemini API answers inside `{response: …}`: streaming sends each chunk on
 * unwrapped, non-streaming sends the chunks merged into one GenerateContentResponse.
 */
import { ChunkMerger } from "../google/merge-chunks.ts";
import type { CloudCodeResponse } from "../google/types.ts";
import type { DoorTranslator } from "../server/door-relay.ts";

export function geminiTranslator(mode: "sse" | "json" | "json-array"): DoorTranslator<unknown> {
  const merger = new ChunkMerger();
  const chunks: CloudCodeResponse[] = [];
  return {
    start: () => "",
    push: (chunk) => {
      merger.push(chunk);
      if (mode === "json-array") chunks.push(chunk);
      return mode === "sse" ? `data: ${JSON.stringify(chunk)}\r\n\r\n` : "";
    },
    finish: () => "",
    result: () => (mode === "json-array" ? chunks : merger.result()),
    get hasContent() {
      return merger.hasContent;
    },
    get complete() {
      return merger.complete;
    },
    get usage() {
      const u = merger.usageMetadata;
      if (!u) return undefined;
      const cached = u.cachedContentTokenCount ?? 0;
      return { input: Math.max(0, (u.promptTokenCount ?? 0) - cached), output: u.candidatesTokenCount ?? 0, cacheRead: cached };
    },
  };
}
