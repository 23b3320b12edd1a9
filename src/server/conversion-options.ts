/**
 * What every door passes to `toCloudCodeRequest` from config, so Anthropic and OpenAI clients get
 * the same envelope forms and output limits (README "Requests upstream accepts").
 */
import type { EnvelopeOptions } from "../google/envelope.ts";
import { outputLimitFor } from "../google/output-limits.ts";
import type { Runtime } from "./runtime.ts";

export function conversionOptions(rt: Runtime, upstreamModel: string): { envelope: EnvelopeOptions; maxOutputTokens?: number } {
  const { envelope, maxOutputTokens } = rt.config.upstream;
  // The configured limit; the account's catalog entry (thinkingInfo) wins once a door passes one.
  const limit = outputLimitFor(upstreamModel, maxOutputTokens);
  return limit === undefined ? { envelope } : { envelope, maxOutputTokens: limit };
}
