import { describe, expect, test } from "bun:test";
import { DEFAULT_MODEL_MAPPING, globMatch, isThinkingModel, modelFamily, resolveModel } from "../../src/google/models.ts";

describe("resolveModel with the default mapping", () => {
  const known = ["claude-sonnet-4-6", "claude-opus-4-6-thinking", "claude-opus-5-5-high", "gemini-3.8-flash-low", "gemini-pro-agent", "gemini-9-experimental"];
  const cases: Array<[string, string | undefined, "claude" | "gemini" | undefined, boolean | undefined]> = [
    // Claude Code's names go to the best tier of their family (per-account fallback is the catalog's job).
    ["claude-opus-4-5-20251101", "claude-opus-5-5-high", "claude", true],
    ["claude-opus-4-1", "claude-opus-5-5-high", "claude", true],
    ["claude-opus-5-5[1m]", "claude-opus-5-5-high", "claude", true],
    ["claude-sonnet-4-5-20250929", "claude-sonnet-5-5-high", "claude", true],
    ["claude-sonnet-4-5-20250929[1m]", "claude-sonnet-5-5-high", "claude", true],
    ["claude-haiku-4-5-20251001", "gemini-3.8-flash-low", "gemini", true],
    ["claude-3-5-haiku-20241022", "gemini-3.8-flash-low", "gemini", true],
    ["claude-3-7-sonnet-latest", "claude-sonnet-5-5-high", "claude", true],
    // Upstream ids map to themselves; Sonnet 4.6 thinks although its id does not say so.
    ["claude-sonnet-4-6", "claude-sonnet-4-6", "claude", true],
    ["claude-opus-4-6-thinking", "claude-opus-4-6-thinking", "claude", true],
    ["gemini-pro-agent", "gemini-pro-agent", "gemini", true],
    // Not in the mapping but reported by upstream: passes through.
    ["gemini-9-experimental", "gemini-9-experimental", "gemini", true],
    ["gpt-4o", undefined, undefined, undefined],
    ["", undefined, undefined, undefined],
  ];
  for (const [requested, upstream, family, thinking] of cases) {
    test(`${requested || "(empty)"} → ${upstream ?? "none"}`, () => {
      const r = resolveModel(requested, DEFAULT_MODEL_MAPPING, known);
      expect(r?.upstream).toBe(upstream);
      expect(r?.family).toBe(family);
      expect(r?.thinkingModel).toBe(thinking);
    });
  }
});

describe("resolveModel precedence", () => {
  test("exact beats passthrough beats patterns, patterns in order", () => {
    const mapping = {
      exact: { "claude-sonnet-4-6": "gemini-3-flash" },
      patterns: [
        { match: "claude-*-4-6", to: "first" },
        { match: "claude-*", to: "second" },
      ],
    };
    expect(resolveModel("claude-sonnet-4-6", mapping, ["claude-sonnet-4-6"])?.upstream).toBe("gemini-3-flash");
    expect(resolveModel("claude-opus-4-6", mapping, ["claude-opus-4-6"])?.upstream).toBe("claude-opus-4-6");
    expect(resolveModel("claude-opus-4-6", mapping, [])?.upstream).toBe("first");
    expect(resolveModel("claude-opus-4-5", mapping, [])?.upstream).toBe("second");
  });
  test("exact lookups ignore inherited keys", () => {
    expect(resolveModel("constructor", { exact: {}, patterns: [] }, [])).toBeUndefined();
  });
});

describe("families and thinking models", () => {
  const cases: Array<[string, "claude" | "gemini", boolean]> = [
    ["claude-opus-4-6-thinking", "claude", true],
    ["claude-sonnet-4-6", "claude", true],
    ["claude-opus-5-5-low", "claude", true],
    ["claude-sonnet-5-5-high", "claude", true],
    // Older plain Claude ids do not think unless the id says so.
    ["claude-sonnet-4-5", "claude", false],
    ["claude-sonnet-4-5-thinking", "claude", true],
    ["gemini-3.8-flash-high", "gemini", true],
    ["gemini-3-flash", "gemini", true],
    ["gemini-2.5-flash", "gemini", true],
    ["gemini-2.0-flash", "gemini", false],
    ["gpt-oss-120b-medium", "gemini", false],
  ];
  for (const [id, family, thinking] of cases) {
    test(id, () => {
      expect(modelFamily(id)).toBe(family);
      expect(isThinkingModel(id)).toBe(thinking);
    });
  }
});

test("globMatch treats only * as special", () => {
  expect(globMatch("claude-3.5-*", "claude-3.5-x")).toBe(true);
  expect(globMatch("claude-3.5-*", "claude-305-x")).toBe(false);
  expect(globMatch("a*c", "abbbc")).toBe(true);
  expect(globMatch("a*c", "abbbcd")).toBe(false);
});
