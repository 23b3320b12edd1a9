import { describe, expect, test } from "bun:test";
import {
  classifyNetworkError,
  classifyTokenError,
  classifyUpstreamError,
} from "../../src/upstream/classify.ts";
import type { UpstreamErrorKind } from "../../src/upstream/errors.ts";
import { UpstreamError } from "../../src/upstream/errors.ts";

const NOW = Date.parse("2026-11-26T12:00:00Z");

function rpcBody(code: number, status: string, message: string, details: unknown[] = []): string {
  return JSON.stringify({ error: { code, status, message, details } });
}
const info = (reason: string, metadata: Record<string, string> = {}) => ({
  "@type": "type.googleapis.com/google.rpc.ErrorInfo",
  reason,
  domain: "cloudcode-pa.googleapis.com",
  metadata,
});
const retry = (delay: string) => ({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: delay });

interface Case {
  name: string;
  status: number;
  body: string;
  headers?: Headers;
  kind: UpstreamErrorKind;
  resetAt?: number;
  reason?: string;
  model?: string;
  validationUrl?: string;
  message?: string;
}

const cases: Case[] = [
  {
    name: "429 QUOTA_EXHAUSTED",
    status: 429,
    body: rpcBody(429, "RESOURCE_EXHAUSTED", "You have exhausted your capacity on this model.", [
      info("QUOTA_EXHAUSTED", { model: "claude-sonnet-4-6", quotaResetDelay: "2h0m0s" }),
      retry("7200s"),
    ]),
    kind: "quota_exhausted",
    resetAt: NOW + 7_200_000,
    reason: "QUOTA_EXHAUSTED",
    model: "claude-sonnet-4-6",
  },
  {
    name: "429 RATE_LIMIT_EXCEEDED",
    status: 429,
    body: rpcBody(429, "RESOURCE_EXHAUSTED", "Rate limit exceeded.", [info("RATE_LIMIT_EXCEEDED"), retry("3.5s")]),
    kind: "rate_limited",
    resetAt: NOW + 3_500,
    reason: "RATE_LIMIT_EXCEEDED",
  },
  {
    name: "429 MODEL_CAPACITY_EXHAUSTED",
    status: 429,
    body: rpcBody(429, "RESOURCE_EXHAUSTED", "No capacity available for model claude-opus-4-6-thinking on the server", [
      info("MODEL_CAPACITY_EXHAUSTED", { model: "claude-opus-4-6-thinking" }),
    ]),
    kind: "capacity",
    reason: "MODEL_CAPACITY_EXHAUSTED",
    model: "claude-opus-4-6-thinking",
  },
  {
    name: "429 overloaded prose without reason",
    status: 429,
    body: rpcBody(429, "RESOURCE_EXHAUSTED", "The model is overloaded. Please try again later."),
    kind: "capacity",
  },
  { name: "503", status: 503, body: rpcBody(503, "UNAVAILABLE", "The service is currently unavailable."), kind: "capacity" },
  { name: "529", status: 529, body: "overloaded", kind: "capacity" },
  { name: "500 overloaded", status: 500, body: rpcBody(500, "INTERNAL", "Model is overloaded"), kind: "capacity" },
  {
    name: "unknown 429 with long reset → quota",
    status: 429,
    body: rpcBody(429, "RESOURCE_EXHAUSTED", "Your quota will reset after 3h10m5s."),
    kind: "quota_exhausted",
    resetAt: NOW + (3 * 3600 + 10 * 60 + 5) * 1000,
  },
  {
    name: "unknown 429 with short reset → rate limit",
    status: 429,
    headers: new Headers({ "Retry-After": "20" }),
    body: rpcBody(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."),
    kind: "rate_limited",
    resetAt: NOW + 20_000,
  },
  {
    name: "unknown 429 without any hint → rate limit",
    status: 429,
    body: "Too Many Requests",
    kind: "rate_limited",
    resetAt: undefined,
  },
  {
    name: "401",
    status: 401,
    body: rpcBody(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
    kind: "unauthenticated",
    reason: "UNAUTHENTICATED",
  },
  {
    name: "403 VALIDATION_REQUIRED with url",
    status: 403,
    body: rpcBody(403, "PERMISSION_DENIED", "Verify your account to continue.", [
      info("VALIDATION_REQUIRED", { validation_url: "https://accounts.google.com/signin/continue?x=1" }),
    ]),
    kind: "verification_required",
    reason: "VALIDATION_REQUIRED",
    validationUrl: "https://accounts.google.com/signin/continue?x=1",
  },
  {
    name: "403 ACCOUNT_DISABLED",
    status: 403,
    body: rpcBody(403, "PERMISSION_DENIED", "Account disabled", [info("ACCOUNT_DISABLED")]),
    kind: "verification_required",
    reason: "ACCOUNT_DISABLED",
  },
  {
    name: "403 USER_DISABLED",
    status: 403,
    body: rpcBody(403, "PERMISSION_DENIED", "User disabled", [info("USER_DISABLED")]),
    kind: "verification_required",
    reason: "USER_DISABLED",
  },
  {
    name: "403 ToS ban",
    status: 403,
    body: rpcBody(
      403,
      "PERMISSION_DENIED",
      "This account has been disabled in this service for violation of Terms of Service.",
    ),
    kind: "banned",
  },
  {
    name: "403 generic permission denied",
    status: 403,
    body: rpcBody(403, "PERMISSION_DENIED", "The caller does not have permission"),
    kind: "server",
  },
  {
    name: "400 keeps upstream message",
    status: 400,
    body: rpcBody(400, "INVALID_ARGUMENT", "messages.1.content.0.thinking: Invalid signature in thinking block"),
    kind: "bad_request",
    reason: "INVALID_ARGUMENT",
    message: "messages.1.content.0.thinking: Invalid signature in thinking block",
  },
  {
    name: "outdated client version",
    status: 403,
    body: rpcBody(403, "PERMISSION_DENIED", "This version of Antigravity is no longer supported. Please update."),
    kind: "bad_request",
  },
  { name: "404", status: 404, body: rpcBody(404, "NOT_FOUND", "Requested entity was not found."), kind: "bad_request" },
  { name: "500", status: 500, body: rpcBody(500, "INTERNAL", "Internal error encountered."), kind: "server" },
  { name: "502 html", status: 502, body: "<html><body>Bad Gateway</body></html>", kind: "server" },
];

describe("classifyUpstreamError", () => {
  for (const c of cases) {
    test(c.name, () => {
      const err = classifyUpstreamError({ status: c.status, headers: c.headers, bodyText: c.body, now: NOW });
      expect(err).toBeInstanceOf(UpstreamError);
      expect(err.kind).toBe(c.kind);
      expect(err.status).toBe(c.status);
      if ("resetAt" in c) expect(err.resetAt).toBe(c.resetAt as number);
      if (c.reason) expect(err.reason).toBe(c.reason);
      if (c.model) expect(err.model).toBe(c.model);
      if (c.validationUrl) expect(err.validationUrl).toBe(c.validationUrl);
      if (c.message) expect(err.message).toBe(c.message);
      expect(err.message.length).toBeGreaterThan(0);
    });
  }

  test("model falls back to the requested model", () => {
    const err = classifyUpstreamError({ status: 429, bodyText: "", now: NOW, model: "gemini-3-flash" });
    expect(err.model).toBe("gemini-3-flash");
    expect(err.message).toContain("429");
  });

  test("bad_request does not count against the account; quota does", () => {
    expect(classifyUpstreamError({ status: 400, bodyText: "", now: NOW }).countsAgainstAccount).toBe(false);
    const quota = classifyUpstreamError({
      status: 429,
      bodyText: rpcBody(429, "RESOURCE_EXHAUSTED", "x", [info("QUOTA_EXHAUSTED")]),
      now: NOW,
    });
    expect(quota.countsAgainstAccount).toBe(true);
  });

  test("echoed tokens are redacted from messages", () => {
    const access = "ya29.a0AfH6SMBx-very-secret-access-token";
    const refresh = "1//0gVerySecretRefreshTokenValue";
    const err = classifyUpstreamError({
      status: 400,
      bodyText: rpcBody(400, "INVALID_ARGUMENT", `bad header Authorization: Bearer ${access} refresh=${refresh} custom-secret-xyz`),
      now: NOW,
      secrets: ["custom-secret-xyz"],
    });
    expect(err.message).not.toContain(access);
    expect(err.message).not.toContain(refresh);
    expect(err.message).not.toContain("custom-secret-xyz");
    expect(err.message).toContain("[redacted]");
  });
});

describe("classifyTokenError", () => {
  test("invalid_grant → auth_revoked", () => {
    const err = classifyTokenError({
      status: 400,
      bodyText: JSON.stringify({ error: "invalid_grant", error_description: "Token has been expired or revoked." }),
    });
    expect(err.kind).toBe("auth_revoked");
    expect(err.reason).toBe("invalid_grant");
    expect(err.message).toContain("revoked");
  });
  test("invalid_client is a configuration problem, not the account's", () => {
    const err = classifyTokenError({ status: 401, bodyText: JSON.stringify({ error: "invalid_client" }) });
    expect(err.kind).toBe("bad_request");
    expect(err.message).toContain("clientId");
  });
  test("5xx → server, 429 → rate_limited, other → unauthenticated", () => {
    expect(classifyTokenError({ status: 503, bodyText: "" }).kind).toBe("server");
    expect(classifyTokenError({ status: 429, bodyText: "" }).kind).toBe("rate_limited");
    expect(classifyTokenError({ status: 400, bodyText: JSON.stringify({ error: "invalid_request" }) }).kind).toBe(
      "unauthenticated",
    );
  });
});

describe("classifyNetworkError", () => {
  test("connection refused", () => {
    const cause = Object.assign(new Error("Unable to connect. Is the computer able to access the url?"), {
      code: "ConnectionRefused",
    });
    const err = classifyNetworkError(cause, { url: "http://127.0.0.1:1/v1internal:generateContent" });
    expect(err.kind).toBe("network");
    expect(err.reason).toBe("ConnectionRefused");
    expect(err.message).toContain("http://127.0.0.1:1");
    expect(err.message).not.toContain("v1internal");
  });
  test("timeout", () => {
    const err = classifyNetworkError(new DOMException("x", "TimeoutError"), { timeoutMs: 1234 });
    expect(err.kind).toBe("network");
    expect(err.message).toContain("1234 ms");
  });
  test("an UpstreamError passes through unchanged", () => {
    const original = new UpstreamError({ kind: "banned", message: "x" });
    expect(classifyNetworkError(original)).toBe(original);
  });
});

describe("redaction happens before shortening", () => {
  test("a token cut by the length limit leaves no prefix behind", () => {
    // Not shaped like a Google token, so only the exact-secret redaction can catch it.
    const token = "opaque-secret-" + "z".repeat(200);
    const message = "y".repeat(990) + " " + token;
    const err = classifyUpstreamError({
      status: 500,
      bodyText: JSON.stringify({ error: { code: 500, status: "INTERNAL", message } }),
      now: 0,
      secrets: [token],
    });
    expect(err.message).not.toContain("opaque");
  });
});
