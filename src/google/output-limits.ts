/**
 * The most output tokens each upstream model takes. Upstream answers 400 to a larger
 * `maxOutputTokens` ("max_tokens: 128000 > 64000 …" for Claude), and Claude Code asks for its own
 * model's limit (32 000–128 000), which is not the limit of the model agcp maps it to.
 *
 * The per-account catalog (`fetchAvailableModels` `maxOutputTokens`, passed to the conversion as
 * thinkingInfo) is the real source and wins; for a model it names no limit for (or before it is
 * read) these are the late-2026 sheet's limits, overridable in config (`upstream.maxOutputTokens`).
 */
import { globMatch } from "./models.ts";

/** Model glob → limit. The most specific matching glob wins (most literal characters). */
export type OutputLimits = Record<string, number>;

export const DEFAULT_OUTPUT_LIMITS: OutputLimits = {
  "claude-*": 64_000,
  "claude-*-5-5*": 128_000,
  "gpt-oss*": 32_768,
  "gemini-*": 65_536,
  "gemini-*pro*": 65_535,
};

/** The limit for an upstream model id, or undefined when no glob matches (then nothing is capped). */
export function outputLimitFor(model: string, limits: OutputLimits): number | undefined {
  let best: { specificity: number; limit: number } | undefined;
  for (const [glob, limit] of Object.entries(limits)) {
    if (!globMatch(glob, model)) continue;
    const specificity = glob.replaceAll("*", "").length;
    if (!best || specificity > best.specificity) best = { specificity, limit };
  }
  return best?.limit;
}
