// One quota read = catalog quotaInfo + quota summary; the summary is best effort.
import { expect, test } from "bun:test";
import type { QuotaWindow } from "../../src/google/quota-pools.ts";
import type { ModelQuota } from "../../src/upstream/client.ts";
import { UpstreamError } from "../../src/upstream/errors.ts";
import { readAccountQuota } from "../../src/upstream/quota-read.ts";

const ACCOUNT = { id: "a", refreshToken: "rt" };
const MODELS: Record<string, ModelQuota> = {
  "claude-sonnet-4-6": { fraction: 0, resetAt: 2_000, inferred: true },
  "gemini-3-flash": { fraction: 0, resetAt: 3_000, inferred: true },
  "chat_20706": { fraction: 0, inferred: true },
};

function upstream(summary: () => Promise<QuotaWindow[]>) {
  return { fetchModels: async () => structuredClone(MODELS), fetchQuotaSummary: summary };
}

test("a model upstream left without a fraction takes its pool's tightest window from the summary", async () => {
  const windows: QuotaWindow[] = [
    { pool: "claude", window: "weekly", remaining: 0.4, resetAt: 9_000 },
    // Gemini really is empty: the 0 stands, now from the window.
    { pool: "gemini", window: "weekly", remaining: 0, resetAt: 5_000 },
  ];
  const read = await readAccountQuota(upstream(async () => windows), ACCOUNT);
  expect(read.windows).toEqual(windows);
  expect(read.models).toEqual({
    "claude-sonnet-4-6": { fraction: 0.4, resetAt: 9_000 },
    "gemini-3-flash": { fraction: 0, resetAt: 5_000 },
    chat_20706: { fraction: 0, inferred: true },
  });
});

test("a summary the account may not read (403 SUBSCRIPTION_REQUIRED) leaves windows unknown, not the read failed", async () => {
  const denied = new UpstreamError({ kind: "server", status: 403, message: "SUBSCRIPTION_REQUIRED" });
  const read = await readAccountQuota(upstream(async () => { throw denied; }), ACCOUNT);
  expect(read.windows).toBeUndefined();
  expect(read.summaryProblem).toContain("SUBSCRIPTION_REQUIRED");
  expect(read.models).toEqual(MODELS);
});
