import { describe, expect, test } from "bun:test";
import { bucketById, parseQuotaSummary, poolOfModel } from "../../src/google/quota-pools.ts";

// The payload observed upstream (Aug–Sep 2026), as the protocol sheet records it.
const OBSERVED = {
  groups: [
    {
      displayName: "Gemini Models",
      description: "Models within this group: Gemini Flash, Gemini Pro",
      buckets: [
        { bucketId: "gemini-weekly", displayName: "Weekly Limit Remaining", window: "weekly", remainingFraction: 0.98, resetTime: "2026-09-04T09:21:18Z" },
        { bucketId: "gemini-5h", displayName: "Five Hour Limit Remaining", window: "5h", remainingFraction: 0.65, resetTime: "2026-08-29T21:00:00Z" },
      ],
    },
    {
      displayName: "Claude and GPT models",
      description: "Models within this group: Claude Opus, Claude Sonnet, GPT-OSS",
      buckets: [
        { bucketId: "3p-weekly", displayName: "Weekly Limit Remaining", window: "weekly", remainingFraction: 0.72, resetTime: "2026-08-31T15:00:29Z" },
        { bucketId: "3p-5h", displayName: "Five Hour Limit Remaining", window: "5h", remainingFraction: 1.0, resetTime: "2026-08-29T21:00:00Z" },
      ],
    },
  ],
};

describe("poolOfModel", () => {
  test("gemini ids → gemini; claude and gpt-oss → claude; anything else → no pool", () => {
    for (const id of ["gemini-3.8-flash-high", "gemini-pro-agent", "gemini-3.1-flash-image"]) expect(poolOfModel(id)).toBe("gemini");
    for (const id of ["claude-opus-5-5-high", "claude-sonnet-4-6", "gpt-oss-120b-medium"]) expect(poolOfModel(id)).toBe("claude");
    for (const id of ["chat_20706", "tab_flash_lite_preview", "models/proactive-observer-v10", ""]) expect(poolOfModel(id)).toBeUndefined();
  });

  test("bucket ids name their pool and window", () => {
    expect(bucketById("3p-weekly")).toEqual({ pool: "claude", window: "weekly" });
    expect(bucketById("gemini-5h")).toEqual({ pool: "gemini", window: "5h" });
    expect(bucketById("claude-5h")).toBeUndefined();
  });
});

describe("parseQuotaSummary", () => {
  test("reads the observed payload: both pools, both windows", () => {
    expect(parseQuotaSummary(OBSERVED)).toEqual([
      { pool: "gemini", window: "5h", remaining: 0.65, resetAt: Date.parse("2026-08-29T21:00:00Z") },
      { pool: "gemini", window: "weekly", remaining: 0.98, resetAt: Date.parse("2026-09-04T09:21:18Z") },
      { pool: "claude", window: "5h", remaining: 1, resetAt: Date.parse("2026-08-29T21:00:00Z") },
      { pool: "claude", window: "weekly", remaining: 0.72, resetAt: Date.parse("2026-08-31T15:00:29Z") },
    ]);
  });

  test("a bucket without a fraction is empty; disabled and unknown buckets are left out; the language server's wrapper is accepted", () => {
    const answer = {
      response: {
        groups: [
          {
            displayName: "Claude and GPT models",
            buckets: [
              { bucketId: "3p-weekly", window: "weekly", resetTime: "2026-10-02T00:00:00Z" },
              { bucketId: "3p-5h", window: "5h", remainingFraction: 0.5, disabled: true },
              { bucketId: "3p-daily", window: "daily", remainingFraction: 0.5 },
            ],
          },
          // An unknown bucket id still lands by its group and window.
          { displayName: "Gemini Models", buckets: [{ bucketId: "gemini-new", window: "5h", remainingFraction: 2 }] },
        ],
      },
    };
    expect(parseQuotaSummary(answer)).toEqual([
      { pool: "gemini", window: "5h", remaining: 1 },
      { pool: "claude", window: "weekly", remaining: 0, resetAt: Date.parse("2026-10-02T00:00:00Z") },
    ]);
  });

  test("junk answers give no windows rather than throwing", () => {
    for (const junk of [null, "x", 3, [], {}, { groups: "no" }, { groups: [null, { buckets: [1, null] }] }]) expect(parseQuotaSummary(junk)).toEqual([]);
  });
});
