import { describe, expect, test } from "bun:test";
import { parseDuration, parseResetTime } from "../../src/upstream/reset-time.ts";

const NOW = Date.parse("2026-11-26T12:00:00Z");

describe("parseDuration", () => {
  const cases: Array<[string, number | undefined]> = [
    ["1h2m3s", 3_723_000],
    ["1h2m3.5s", 3_723_500],
    ["754.4ms", 754.4],
    ["1.5s", 1_500],
    ["3723.5s", 3_723_500],
    ["2m", 120_000],
    ["1h", 3_600_000],
    ["0s", 0],
    ["500us", 0.5],
    ["2000000ns", 2],
    ["1d", 86_400_000],
    ["30 seconds", 30_000],
    ["2 minutes 5 seconds", 125_000],
    ["1 hour, 2 minutes and 3 seconds", 3_723_000],
    [" 1H2M ", 3_720_000],
    ["", undefined],
    ["30", undefined],
    ["soon", undefined],
    ["5x", undefined],
    ["1h garbage", undefined],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => {
      expect(parseDuration(input)).toBe(expected as number);
    });
  }
});

function rpc(details: unknown[], message = "Resource has been exhausted") {
  return { error: { code: 429, status: "RESOURCE_EXHAUSTED", message, details } };
}
const errorInfo = (metadata: Record<string, string>) => ({
  "@type": "type.googleapis.com/google.rpc.ErrorInfo",
  reason: "QUOTA_EXHAUSTED",
  domain: "cloudcode-pa.googleapis.com",
  metadata,
});
const retryInfo = (retryDelay: unknown) => ({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay });

describe("parseResetTime", () => {
  const cases: Array<{ name: string; hints: Parameters<typeof parseResetTime>[0]; expected: number | undefined }> = [
    { name: "Retry-After seconds", hints: { headers: new Headers({ "Retry-After": "120" }), now: NOW }, expected: NOW + 120_000 },
    {
      name: "Retry-After HTTP date",
      hints: { headers: new Headers({ "Retry-After": "Thu, 26 Nov 2026 13:00:00 GMT" }), now: NOW },
      expected: Date.parse("2026-11-26T13:00:00Z"),
    },
    {
      name: "x-ratelimit-reset unix seconds",
      hints: { headers: new Headers({ "x-ratelimit-reset": String(NOW / 1000 + 90) }), now: NOW },
      expected: NOW + 90_000,
    },
    {
      name: "x-ratelimit-reset-after seconds",
      hints: { headers: new Headers({ "x-ratelimit-reset-after": "42.5" }), now: NOW },
      expected: NOW + 42_500,
    },
    { name: "quotaResetDelay ms", hints: { body: rpc([errorInfo({ quotaResetDelay: "754.4ms" })]), now: NOW }, expected: NOW + 755 },
    { name: "quotaResetDelay s", hints: { body: rpc([errorInfo({ quotaResetDelay: "1.5s" })]), now: NOW }, expected: NOW + 1_500 },
    {
      name: "quotaResetDelay h/m/s",
      hints: { body: rpc([errorInfo({ quotaResetDelay: "1h2m3s" })]), now: NOW },
      expected: NOW + 3_723_000,
    },
    {
      name: "quotaResetTimeStamp",
      hints: { body: rpc([errorInfo({ quotaResetTimeStamp: "2026-11-26T15:00:00Z" })]), now: NOW },
      expected: Date.parse("2026-11-26T15:00:00Z"),
    },
    { name: "RetryInfo.retryDelay", hints: { body: rpc([retryInfo("3723.5s")]), now: NOW }, expected: NOW + 3_723_500 },
    {
      name: "RetryInfo object form",
      hints: { body: rpc([retryInfo({ seconds: 10, nanos: 500_000_000 })]), now: NOW },
      expected: NOW + 10_500,
    },
    {
      name: "prose in the RPC message",
      hints: { body: rpc([], "You have exhausted your capacity on this model. Your quota will reset after 1h2m3s."), now: NOW },
      expected: NOW + 3_723_000,
    },
    { name: "prose in a plain message", hints: { message: "Please retry in 12.5s.", now: NOW }, expected: NOW + 12_500 },
    { name: "prose in words", hints: { message: "quota resets after 2 minutes", now: NOW }, expected: NOW + 120_000 },
    {
      name: "inner error object accepted",
      hints: { body: rpc([retryInfo("5s")]).error, now: NOW },
      expected: NOW + 5_000,
    },
    { name: "array-wrapped body accepted", hints: { body: [rpc([retryInfo("5s")])], now: NOW }, expected: NOW + 5_000 },
    {
      name: "timestamp beats delay (most specific first)",
      hints: {
        body: rpc([errorInfo({ quotaResetDelay: "10s", quotaResetTimeStamp: "2026-11-26T12:00:11Z" }), retryInfo("99s")]),
        now: NOW,
      },
      expected: NOW + 11_000,
    },
    {
      name: "stale timestamp falls through to the next hint",
      hints: {
        body: rpc([errorInfo({ quotaResetTimeStamp: "2026-11-26T11:00:00Z" })]),
        headers: new Headers({ "Retry-After": "7" }),
        now: NOW,
      },
      expected: NOW + 7_000,
    },
    { name: "no hints", hints: { headers: new Headers(), body: rpc([]), now: NOW }, expected: undefined },
    { name: "garbage header", hints: { headers: new Headers({ "Retry-After": "whenever" }), now: NOW }, expected: undefined },
    { name: "non-RPC body", hints: { body: "<html>", now: NOW }, expected: undefined },
  ];
  for (const { name, hints, expected } of cases) {
    test(name, () => {
      expect(parseResetTime(hints)).toBe(expected as number);
    });
  }
});
