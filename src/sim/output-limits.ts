import type { SimModel } from "./types.ts";

/**
 * The most output tokens a model takes (`maxOutputTokens` in its catalog entry). A model that
 * names its own limit wins; otherwise the late-2026 sheet's limits by family: Claude 4.x 64 000
 * (a 128 000 Opus 4.6 request is a 400), Claude 5.5 128 000, Gemini Flash 65 536, Gemini Pro
 * 65 535, gpt-oss 32 768.
 */
export function outputLimitOf(model: Pick<SimModel, "id" | "maxOutputTokens">): number {
  if (model.maxOutputTokens !== undefined) return model.maxOutputTokens;
  const id = model.id.toLowerCase();
  if (id.startsWith("claude")) return /-5-5(-|$)/.test(id) ? 128_000 : 64_000;
  if (id.startsWith("gpt-oss")) return 32_768;
  if (id.includes("pro")) return 65_535;
  return 65_536;
}
