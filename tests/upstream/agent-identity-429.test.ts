/**
 * The bare 429 Gemini 3.7/3.8 Flash give the Claude Agent SDK identity sentence is the request's
 * problem, not the account's: classified so the pool does not cool anyone.
 */
import { expect, test } from "bun:test";
import { createPool } from "../../src/pool/pool.ts";
import { classifyUpstreamError } from "../../src/upstream/classify.ts";

const NOW = Date.parse("2026-11-26T12:00:00Z");
const BARE = JSON.stringify({ error: { code: 429, status: "RESOURCE_EXHAUSTED", message: "Resource has been exhausted (e.g. check quota)." } });

test("a detail-less 429 on a request carrying the sentence is a bad request that names the cause", () => {
  const err = classifyUpstreamError({ status: 429, bodyText: BARE, now: NOW, model: "gemini-3.8-flash-low", agentSdkIdentity: true });
  expect(err.kind).toBe("bad_request");
  expect(err.countsAgainstAccount).toBe(false);
  expect(err.status).toBe(429);
  expect(err.message).toContain("Claude Agent SDK identity sentence");
  expect(err.message).toContain("agentSdkIdentity.rewrite");
});

test("the same 429 without the sentence stays a rate limit", () => {
  expect(classifyUpstreamError({ status: 429, bodyText: BARE, now: NOW }).kind).toBe("rate_limited");
  expect(classifyUpstreamError({ status: 429, bodyText: BARE, now: NOW, agentSdkIdentity: false }).kind).toBe("rate_limited");
});

test("a 429 that gives a reason or a reset is believed even with the sentence present", () => {
  const quota = JSON.stringify({
    error: {
      code: 429,
      status: "RESOURCE_EXHAUSTED",
      message: "You have exhausted your capacity on this model.",
      details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "QUOTA_EXHAUSTED", metadata: { quotaResetDelay: "3h0m0s" } }],
    },
  });
  expect(classifyUpstreamError({ status: 429, bodyText: quota, now: NOW, agentSdkIdentity: true }).kind).toBe("quota_exhausted");
  const withRetryAfter = classifyUpstreamError({ status: 429, bodyText: BARE, headers: new Headers({ "retry-after": "30" }), now: NOW, agentSdkIdentity: true });
  expect(withRetryAfter.kind).toBe("rate_limited");
});

test("the pool does not cool the account for it, but would for the plain 429", () => {
  const pool = createPool({ accounts: [{ id: "a", label: "a", enabled: true }], globalFloor: 0, now: () => NOW });
  const identity = classifyUpstreamError({ status: 429, bodyText: BARE, now: NOW, agentSdkIdentity: true });
  expect(pool.reportFailure("a", "gemini-3.8-flash-low", identity).action).toBe("ignored");
  expect(pool.select("gemini-3.8-flash-low").ok).toBe(true);
  const plain = classifyUpstreamError({ status: 429, bodyText: BARE, now: NOW });
  expect(pool.reportFailure("a", "gemini-3.8-flash-low", plain).action).not.toBe("ignored");
});
