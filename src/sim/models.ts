import { LATE_2026_MODELS } from "./lineup.ts";
import type { ModelFamily, SimModel } from "./types.ts";

/** The lineup every simulated account is entitled to unless told otherwise. */
export const DEFAULT_SIM_MODELS: readonly SimModel[] = LATE_2026_MODELS;

export function modelFamily(model: Pick<SimModel, "id" | "family">): ModelFamily {
  return model.family ?? (model.id.startsWith("claude") ? "claude" : "gemini");
}

/** Gemini 2.5 refuses thinking budgets above this. */
export const GEMINI_25_MAX_THINKING_BUDGET = 24576;
