/**
 * Anthropic's thinking settings → each upstream model's own control (cloudcode-protocol.md,
 * "Thinking config" and "Model lineup"). Pure: the caller passes the model's catalog entry (or
 * `builtinThinkingInfo`, the sheet's values, until an account's catalog says otherwise).
 *
 * Clients ask in three ways: `thinking: {type: "enabled", budget_tokens}` (a budget),
 * `thinking: {type: "adaptive"}` plus `output_config.effort` (low/medium/high/max; newer Claude
 * Code), or nothing (thinking models think anyway). Upstream models take one of three controls:
 *
 * - Tier in the id: Gemini Flash (`gemini-3.8-flash-{low,medium,high}`) and Claude 5.5
 *   (`claude-opus-5-5-medium`). The effort picks the tier id (`effortTierId`), when the account
 *   offers it; the id then fixes the rest.
 * - `thinkingLevel` (+ `thinkingBudget: 0`): Claude 5.5, level from the tier in its id.
 * - `thinkingBudget`: Claude 4.6 and the other Gemini models. Claude's budget stays below
 *   maxOutputTokens (raised within the model's limit when needed, else the budget shrinks) and
 *   thinking is dropped when less than Anthropic's 1024-token floor would fit. Gemini Flash tiers
 *   take their catalog budget (1000 / 4000 / −1, what official clients send).
 */
import type { Effort, MessagesRequest } from "../anthropic/types.ts";
import { isThinkingModel } from "./models.ts";
import type { GoogleThinkingConfig, ModelFamily } from "./types.ts";

export type { Effort };

/** The catalog fields thinking depends on (fetchAvailableModels `models[id]`). */
export interface ThinkingModelInfo {
  /** Default budget; −1 = dynamic, 0 with a level = level-controlled. */
  thinkingBudget?: number;
  /** "LOW" | "MEDIUM" | "HIGH" | "MINIMAL" for level-controlled models. */
  thinkingLevel?: string;
  maxOutputTokens?: number;
  supportsThinking?: boolean;
}

/** Budget when thinking is on but the client named none (thinking models asked for nothing). */
export const DEFAULT_THINKING_BUDGET = 16_384;
export const GEMINI_25_MAX_THINKING_BUDGET = 24_576;
/** Anthropic's floor for budget_tokens; upstream Claude rejects less. */
export const MIN_CLAUDE_THINKING_BUDGET = 1_024;

/** Claude budget per effort; `max` takes all the model's output limit allows. */
const CLAUDE_BUDGET_BY_EFFORT: Record<Effort, number> = { low: 4_096, medium: 16_384, high: 32_768, max: Number.POSITIVE_INFINITY };
/** Gemini budget per effort: the official clients' effort matrix (−1 = the model decides). */
const GEMINI_BUDGET_BY_EFFORT: Record<Effort, number> = { low: 1_000, medium: 4_000, high: -1, max: -1 };
const LEVEL_BY_TIER: Record<string, string> = { low: "LOW", medium: "MEDIUM", high: "HIGH" };
const TIER_BY_EFFORT: Record<Effort, string> = { low: "low", medium: "medium", high: "high", max: "high" };

/** Ids whose reasoning tier is the last word: Gemini Flash families and Claude 5.5. */
const TIERED_ID = /^(gemini-[\d.]+-flash|claude-(?:opus|sonnet)-\d+-\d+)-(low|medium|high)$/;
/** Claude ids controlled by thinkingLevel (5.x), as opposed to a budget (4.x). */
const LEVEL_CLAUDE_ID = /^claude-(?:opus|sonnet|haiku)-([5-9]|\d{2,})-\d+(?:-|$)/;

/**
 * The sheet's values for the late-2026 lineup, used until an account's catalog has the model.
 * Limits: Gemini 65 536 (Pro 65 535), Claude 4.6 64 000, Claude 5.5 128 000, gpt-oss 32 768.
 */
export function builtinThinkingInfo(model: string): ThinkingModelInfo {
  const id = model.toLowerCase();
  const tier = TIERED_ID.exec(id)?.[2];
  if (id.startsWith("claude")) {
    if (LEVEL_CLAUDE_ID.test(id)) return { thinkingBudget: 0, thinkingLevel: LEVEL_BY_TIER[tier ?? "high"], maxOutputTokens: 128_000, supportsThinking: true };
    return { thinkingBudget: MIN_CLAUDE_THINKING_BUDGET, maxOutputTokens: 64_000 };
  }
  if (id.startsWith("gpt-oss")) return { thinkingBudget: 8_192, maxOutputTokens: 32_768 };
  if (/^gemini-[\d.]+-flash-(low|medium|high)$/.test(id)) {
    return { thinkingBudget: tier === "low" ? 1_000 : tier === "medium" ? 4_000 : -1, maxOutputTokens: 65_536, supportsThinking: true };
  }
  if (id === "gemini-3.5-flash-extra-low") return { thinkingBudget: 1_000, maxOutputTokens: 65_536, supportsThinking: true };
  if (id === "gemini-3.5-flash-low") return { thinkingBudget: 4_000, maxOutputTokens: 65_536, supportsThinking: true };
  if (id === "gemini-3-flash-agent") return { thinkingBudget: -1, maxOutputTokens: 65_536, supportsThinking: true };
  if (id === "gemini-3.1-pro-low") return { thinkingBudget: 1_001, maxOutputTokens: 65_535, supportsThinking: true };
  if (id === "gemini-pro-agent" || id === "gemini-3.1-pro-high") return { thinkingBudget: 10_001, maxOutputTokens: 65_535, supportsThinking: true };
  return {};
}

/** Whether the model is controlled by thinkingLevel rather than a budget. */
export function usesThinkingLevel(model: string, info: ThinkingModelInfo): boolean {
  const claude = model.toLowerCase().startsWith("claude");
  return claude && (info.thinkingLevel !== undefined || LEVEL_CLAUDE_ID.test(model.toLowerCase()));
}

/** Thinking models get a thinking config even when the client did not ask (level models always). */
export function thinksByDefault(model: string, info: ThinkingModelInfo = builtinThinkingInfo(model)): boolean {
  return isThinkingModel(model) || usesThinkingLevel(model, info);
}

/**
 * The tier id the effort asks for, when the model is a tiered family and `exists` says the account
 * offers that id; otherwise the model unchanged. `max` is the highest tier.
 */
export function effortTierId(model: string, effort: Effort | undefined, exists: (id: string) => boolean): string {
  if (!effort) return model;
  const m = TIERED_ID.exec(model);
  if (!m) return model;
  const wanted = `${m[1]}-${TIER_BY_EFFORT[effort]}`;
  return wanted !== model && exists(wanted) ? wanted : model;
}

/** Whether the client asked for thinking (enabled or adaptive); `disabled` or nothing is no. */
export function thinkingRequested(req: Pick<MessagesRequest, "thinking">): boolean {
  return req.thinking?.type === "enabled" || req.thinking?.type === "adaptive";
}

/** Reads `output_config.effort`, tolerating spellings newer clients may add. */
export function requestedEffort(req: Pick<MessagesRequest, "output_config">): Effort | undefined {
  const raw = req.output_config?.effort?.toLowerCase();
  if (raw === "low" || raw === "medium" || raw === "high" || raw === "max") return raw;
  if (raw === "minimal") return "low";
  if (raw === "xhigh" || raw === "maximum") return "max";
  return undefined;
}

export interface ThinkingInput {
  model: string;
  family: ModelFamily;
  info: ThinkingModelInfo;
  thinking: MessagesRequest["thinking"];
  effort: Effort | undefined;
  /** The client's max_tokens. */
  maxTokens: number;
}

export interface ThinkingPlan {
  thinkingConfig: GoogleThinkingConfig;
  maxOutputTokens: number;
}

/** What to send for a request that thinks, or undefined when thinking cannot fit (drop it). */
export function planThinking(input: ThinkingInput): ThinkingPlan | undefined {
  const { model, family, info, thinking, effort } = input;
  const tier = TIERED_ID.exec(model)?.[2];
  const explicit = thinking?.type === "enabled" ? thinking.budget_tokens : undefined;

  if (family === "claude" && usesThinkingLevel(model, info)) {
    const level =
      (tier && LEVEL_BY_TIER[tier]) ?? (effort && LEVEL_BY_TIER[TIER_BY_EFFORT[effort]]) ?? info.thinkingLevel ?? "HIGH";
    const cap = info.maxOutputTokens ?? Number.POSITIVE_INFINITY;
    return {
      thinkingConfig: { includeThoughts: true, thinkingBudget: 0, thinkingLevel: level },
      maxOutputTokens: Math.min(input.maxTokens, cap),
    };
  }

  if (family === "claude") {
    let budget = explicit ?? (effort ? CLAUDE_BUDGET_BY_EFFORT[effort] : thinking?.type === "adaptive" ? CLAUDE_BUDGET_BY_EFFORT.high : DEFAULT_THINKING_BUDGET);
    return claudeBudgetPlan(Math.max(MIN_CLAUDE_THINKING_BUDGET, budget), input.maxTokens, info.maxOutputTokens);
  }

  let budget: number;
  if (explicit !== undefined) budget = explicit;
  else if (tier && info.thinkingBudget !== undefined) budget = info.thinkingBudget;
  else if (effort) budget = GEMINI_BUDGET_BY_EFFORT[effort];
  else budget = info.thinkingBudget ?? DEFAULT_THINKING_BUDGET;
  if (/gemini-2\.5/i.test(model) && budget > GEMINI_25_MAX_THINKING_BUDGET) budget = GEMINI_25_MAX_THINKING_BUDGET;
  return { thinkingConfig: { includeThoughts: true, thinkingBudget: budget }, maxOutputTokens: input.maxTokens };
}

/**
 * Claude counts thinking inside maxOutputTokens and needs room beyond the budget: raise
 * maxOutputTokens (never past the model's limit), else shrink the budget to leave room for the
 * answer; below Anthropic's floor there is no thinking to be had.
 */
function claudeBudgetPlan(budget: number, maxTokens: number, limit = Number.POSITIVE_INFINITY): ThinkingPlan | undefined {
  // `max` effort: everything the limit allows (the answer's room is taken off below).
  if (!Number.isFinite(budget)) budget = Number.isFinite(limit) ? limit : Math.max(maxTokens, 2 * MIN_CLAUDE_THINKING_BUDGET);
  let maxOut = Math.min(maxTokens, limit);
  if (maxOut <= budget) maxOut = Math.min(limit, budget + Math.max(maxTokens, MIN_CLAUDE_THINKING_BUDGET));
  if (maxOut <= budget) budget = maxOut - Math.min(MIN_CLAUDE_THINKING_BUDGET, Math.floor(maxOut / 2));
  if (budget < MIN_CLAUDE_THINKING_BUDGET) return undefined;
  return { thinkingConfig: { include_thoughts: true, thinking_budget: budget }, maxOutputTokens: maxOut };
}
