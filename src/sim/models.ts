import { SIM_IMAGE_MODEL } from "./image-gen.ts";
import type { ModelFamily, SimModel } from "./types.ts";

export const DEFAULT_SIM_MODELS: readonly SimModel[] = Object.freeze([
  { id: "claude-sonnet-4-6", displayName: "Claude Sonnet 4.6" },
  { id: "claude-sonnet-4-6-thinking", displayName: "Claude Sonnet 4.6 (Thinking)" },
  { id: "claude-opus-4-6-thinking", displayName: "Claude Opus 4.6 (Thinking)" },
  { id: "gemini-3-flash", displayName: "Gemini 3 Flash" },
  { id: "gemini-3.1-pro-high", displayName: "Gemini 3.1 Pro (High)" },
  { id: "gemini-2.5-flash", displayName: "Gemini 2.5 Flash" },
  SIM_IMAGE_MODEL,
  // The web search model (catalog webSearchModelIds); also what checkpoint calls use.
  { id: "gemini-3.1-flash-lite", displayName: "Gemini 3.1 Flash Lite" },
]);

export function modelFamily(model: Pick<SimModel, "id" | "family">): ModelFamily {
  return model.family ?? (model.id.startsWith("claude") ? "claude" : "gemini");
}

/** Gemini 2.5 refuses thinking budgets above this. */
export const GEMINI_25_MAX_THINKING_BUDGET = 24576;
