/** What reaches the log when a request fails: bugs with a stack, expected conditions as one line, refused keys counted and rate-limited. */
import { expect, test } from "bun:test";
import { ApiError } from "../../src/anthropic/errors.ts";
import { createAgcpMetrics } from "../../src/metrics/agcp-metrics.ts";
import { createFailureLog } from "../../src/server/failure-log.ts";
import type { Runtime } from "../../src/server/runtime.ts";
import { UpstreamError } from "../../src/upstream/errors.ts";

function fakeRuntime() {
  const lines: Array<{ level: string; value: unknown }> = [];
  const log = { warn: (v: unknown) => lines.push({ level: "warn", value: v }), error: (v: unknown) => lines.push({ level: "error", value: v }) };
  const metrics = createAgcpMetrics();
  return { rt: { log, metrics } as unknown as Runtime, lines, metrics };
}

const req = { method: "POST", path: "/v1/messages" };

test("every account invalid, or upstream unreachable: one warn line, no stack", () => {
  const { rt, lines } = fakeRuntime();
  const logFailure = createFailureLog(rt);
  logFailure(new ApiError("api_error", "None of the 3 accounts can serve requests", { status: 503 }), new ApiError("api_error", "None of the 3 accounts can serve requests", { status: 503 }), req);
  const dns = new UpstreamError({ kind: "network", message: "getaddrinfo ENOTFOUND cloudcode-pa.googleapis.com" });
  logFailure(dns, new ApiError("api_error", dns.message, { status: 500 }), req);
  expect(lines.map((l) => l.level)).toEqual(["warn", "warn"]);
  expect(lines.every((l) => typeof l.value === "string")).toBe(true);
  expect(String(lines[1]?.value)).toContain("ENOTFOUND");
});

test("an unexpected error is logged as the error itself (with its stack)", () => {
  const { rt, lines } = fakeRuntime();
  const bug = new TypeError("cannot read properties of undefined");
  createFailureLog(rt)(bug, new ApiError("api_error", "Internal error", { status: 500 }), req);
  expect(lines).toEqual([{ level: "error", value: bug }]);
});

test("refused keys are all counted, and logged at most once a minute", async () => {
  const { rt, lines, metrics } = fakeRuntime();
  const logFailure = createFailureLog(rt);
  for (let i = 0; i < 5; i++) logFailure(new ApiError("authentication_error", "Invalid API key."), new ApiError("authentication_error", "Invalid API key."), { method: "GET", path: "/api/accounts" });
  expect(lines).toHaveLength(1);
  expect(String(lines[0]?.value)).toContain("401 on GET /api/accounts");
  expect(metrics.registry.render()).toContain('agcp_auth_failures_total{status="401"} 5');
});
