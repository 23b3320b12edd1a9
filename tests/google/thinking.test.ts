import { describe, expect, test } from "bun:test";
import {
  builtinThinkingInfo,
  effortTierId,
  planThinking,
  requestedEffort,
  thinksByDefault,
  type ThinkingInput,
} from "../../src/google/thinking.ts";

function plan(model: string, over: Partial<ThinkingInput> = {}) {
  return planThinking({
    model,
    family: model.startsWith("claude") ? "claude" : "gemini",
    info: builtinThinkingInfo(model),
    thinking: { type: "adaptive" },
    effort: undefined,
    maxTokens: 32_000,
    ...over,
  });
}

describe("the effort picks the tier id", () => {
  const offered = new Set(["gemini-3.8-flash-low", "gemini-3.8-flash-medium", "gemini-3.8-flash-high", "claude-opus-5-5-low", "claude-opus-5-5-medium", "claude-opus-5-5-high", "gemini-3.7-flash-low"]);
  const exists = (id: string) => offered.has(id);
  test.each([
    ["gemini-3.8-flash-low", "high", "gemini-3.8-flash-high"],
    ["gemini-3.8-flash-low", "max", "gemini-3.8-flash-high"],
    ["gemini-3.8-flash-high", "medium", "gemini-3.8-flash-medium"],
    ["claude-opus-5-5-high", "low", "claude-opus-5-5-low"],
    ["claude-opus-5-5-high", "medium", "claude-opus-5-5-medium"],
  ] as const)("%s with effort %s → %s", (model, effort, want) => {
    expect(effortTierId(model, effort, exists)).toBe(want);
  });
  test("a tier the account does not offer, no effort, or an untiered model: unchanged", () => {
    expect(effortTierId("gemini-3.7-flash-low", "high", exists)).toBe("gemini-3.7-flash-low");
    expect(effortTierId("gemini-3.8-flash-low", undefined, exists)).toBe("gemini-3.8-flash-low");
    expect(effortTierId("claude-opus-4-6-thinking", "low", exists)).toBe("claude-opus-4-6-thinking");
    expect(effortTierId("gemini-3.1-pro-low", "high", () => true)).toBe("gemini-3.1-pro-low");
  });
});

describe("thinking config per model", () => {
  test("Gemini Flash tiers send their catalog budget whatever the effort (1000 / 4000 / −1)", () => {
    expect(plan("gemini-3.8-flash-low", { effort: "high" })?.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: 1000 });
    expect(plan("gemini-3.8-flash-medium")?.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: 4000 });
    expect(plan("gemini-3.8-flash-high")?.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: -1 });
    // The catalog has the last word over the sheet's values.
    expect(plan("gemini-3.8-flash-low", { info: { thinkingBudget: 1234 } })?.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: 1234 });
  });

  test("other Gemini models follow the effort matrix, else their catalog budget", () => {
    expect(plan("gemini-3-flash", { effort: "low" })?.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: 1000 });
    expect(plan("gemini-3-flash", { effort: "max" })?.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: -1 });
    expect(plan("gemini-pro-agent")?.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: 10001 });
    expect(plan("gemini-2.5-flash", { thinking: { type: "enabled", budget_tokens: 30_000 } })?.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: 24_576 });
  });

  test("Claude 5.5: thinkingLevel from the tier in the id, budget 0, output up to 128k", () => {
    expect(plan("claude-opus-5-5-medium", { maxTokens: 200_000 })).toEqual({
      thinkingConfig: { includeThoughts: true, thinkingBudget: 0, thinkingLevel: "MEDIUM" },
      maxOutputTokens: 128_000,
    });
    expect(plan("claude-sonnet-5-5-low")?.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: 0, thinkingLevel: "LOW" });
    // An untiered 5.x id takes the level from the effort.
    expect(plan("claude-opus-5-5", { effort: "low" })?.thinkingConfig).toEqual({ includeThoughts: true, thinkingBudget: 0, thinkingLevel: "LOW" });
  });

  test("Claude 4.6: the effort becomes a budget below maxOutputTokens", () => {
    expect(plan("claude-opus-4-6-thinking", { effort: "low" })).toEqual({ thinkingConfig: { include_thoughts: true, thinking_budget: 4096 }, maxOutputTokens: 32_000 });
    expect(plan("claude-opus-4-6-thinking", { effort: "medium" })).toEqual({ thinkingConfig: { include_thoughts: true, thinking_budget: 16_384 }, maxOutputTokens: 32_000 });
    // high asks for more than max_tokens leaves: max_tokens rises, within the model's 64k limit.
    expect(plan("claude-opus-4-6-thinking", { effort: "high" })).toEqual({ thinkingConfig: { include_thoughts: true, thinking_budget: 32_768 }, maxOutputTokens: 64_000 });
    // max takes all the limit allows, leaving room for the answer.
    expect(plan("claude-opus-4-6-thinking", { effort: "max" })).toEqual({ thinkingConfig: { include_thoughts: true, thinking_budget: 62_976 }, maxOutputTokens: 64_000 });
  });

  test("Claude 4.6: a budget that cannot fit under the model's limit shrinks; under 1024 thinking is dropped", () => {
    const small = { ...builtinThinkingInfo("claude-sonnet-4-6"), maxOutputTokens: 3000 };
    expect(plan("claude-sonnet-4-6", { info: small, effort: "high" })).toEqual({ thinkingConfig: { include_thoughts: true, thinking_budget: 1976 }, maxOutputTokens: 3000 });
    const tiny = { ...small, maxOutputTokens: 1500 };
    expect(plan("claude-sonnet-4-6", { info: tiny, effort: "high" })).toBeUndefined();
  });

  test("thinking models think unasked; Claude 5.5 tiers are thinking models", () => {
    expect(thinksByDefault("claude-opus-5-5-high")).toBe(true);
    expect(thinksByDefault("gemini-3.8-flash-low")).toBe(true);
    expect(thinksByDefault("gemini-2.0-flash")).toBe(false);
  });
});

test("effort words: the four Anthropic levels, tolerant of neighbours, unknown ignored", () => {
  expect(requestedEffort({ output_config: { effort: "high" } })).toBe("high");
  expect(requestedEffort({ output_config: { effort: "MAX" } })).toBe("max");
  expect(requestedEffort({ output_config: { effort: "xhigh" } })).toBe("max");
  expect(requestedEffort({ output_config: { effort: "turbo" } })).toBeUndefined();
  expect(requestedEffort({})).toBeUndefined();
});
