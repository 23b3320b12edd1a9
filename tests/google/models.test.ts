import { describe, expect, test } from "bun:test";
import { DEFAULT_MODEL_MAPPING, globMatch, isThinkingModel, modelFamily, resolveModel } from "../../src/google/models.ts";

describe("resolveModel with the default mapping", () => {
  const known = ["claude-sonnet-4-6", "claude-opus-4-6-thinking", "gemini-3-flash", "gemini-3.1-pro-high", "gemini-9-experimental"];
  const cases: Array<[string, string | undefined, "claude" | "gemini" | undefined, boolean | undefined]> = [
    ["claude-opus-4-5-20251101", "claude-opus-4-6-thinking", "claude", true],
    ["claude-opus-4-1", "claude-opus-4-6-thinking", "claude", true],
    ["claude-sonnet-4-5-20250929", "claude-sonnet-4-6", "claude", false],
    ["claude-sonnet-4-5-20250929[1m]", "claude-sonnet-4-6", "claude", false],
    ["claude-haiku-4-5-20251001", "gemini-3-flash", "gemini", true],
    ["claude-3-5-haiku-20241022", "gemini-3-flash", "gemini", true],
    ["claude-3-7-sonnet-latest", "claude-sonnet-4-6", "claude", false],
    ["claude-sonnet-4-6", "claude-sonnet-4-6", "claude", false],
    ["gemini-3.1-pro-high", "gemini-3.1-pro-high", "gemini", true],
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
    ["claude-sonnet-4-6", "claude", false],
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
