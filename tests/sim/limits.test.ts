import { describe, expect, test } from "bun:test";
import { ACCOUNT, envelope, startSim, userText } from "./helpers.ts";

interface RpcBody {
  error: {
    code: number;
    status: string;
    message: string;
    details?: ({ "@type": string; reason?: string; metadata?: Record<string, string>; retryDelay?: string })[];
  };
}

const BODY = envelope("proj-a", "claude-sonnet-4-6", { contents: [userText("hello")] });

function errorInfoOf(body: RpcBody) {
  return body.error.details?.find((d) => d["@type"] === "type.googleapis.com/google.rpc.ErrorInfo");
}
function retryInfoOf(body: RpcBody) {
  return body.error.details?.find((d) => d["@type"] === "type.googleapis.com/google.rpc.RetryInfo");
}

describe("quota", () => {
  test("each generate consumes 1/requestsPerQuota; at zero a 429 carries every reset hint", async () => {
    let now = Date.parse("2026-03-01T10:00:00Z");
    const h = await startSim({ accounts: [ACCOUNT], requestsPerQuota: 2, quotaWindowMs: 3_723_500, now: () => now });
    const token = await h.token(ACCOUNT.refreshToken);
    for (let i = 0; i < 2; i++) {
      const res = await h.call("generateContent", BODY, token);
      expect(res.status).toBe(200);
      await res.text();
    }
    expect(h.sim.state.remainingFraction(h.sim.state.accounts.get(ACCOUNT.email)!, "claude-sonnet-4-6")).toBe(0);

    const res = await h.call("generateContent", BODY, token);
    expect(res.status).toBe(429);
    const body = (await res.json()) as RpcBody;
    expect(body.error.status).toBe("RESOURCE_EXHAUSTED");
    expect(body.error.code).toBe(429);
    expect(body.error.message).toContain("reset after 1h2m3s");
    const info = errorInfoOf(body);
    expect(info?.reason).toBe("QUOTA_EXHAUSTED");
    expect(info?.metadata).toEqual({
      model: "claude-sonnet-4-6",
      quotaResetDelay: "1h2m3.5s",
      quotaResetTimeStamp: new Date(now + 3_723_500).toISOString(),
    });
    expect(retryInfoOf(body)?.retryDelay).toBe("3723.5s");
    expect(h.sim.state.accounts.get(ACCOUNT.email)?.counters.rateLimited.QUOTA_EXHAUSTED).toBe(1);

    // Other models are untouched.
    const other = await h.call("generateContent", envelope("proj-a", "gemini-3-flash", { contents: [userText("hi")] }), token);
    expect(other.status).toBe(200);

    // The reset restores the quota.
    now += 3_723_500;
    const fresh = await h.token(ACCOUNT.refreshToken);
    expect((await h.call("generateContent", BODY, fresh)).status).toBe(200);
  });

  test("setting quota 0 through the control API makes the next generate a 429 with the given delay", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const token = await h.token(ACCOUNT.refreshToken);
    const patched = await h.control("PATCH", `accounts/${ACCOUNT.email}`, { quota: { "claude-sonnet-4-6": 0 }, resetInMs: 90_000 });
    expect(patched.status).toBe(200);
    const res = await h.call("streamGenerateContent", BODY, token, "?alt=sse");
    expect(res.status).toBe(429);
    const body = (await res.json()) as RpcBody;
    const delay = errorInfoOf(body)?.metadata?.quotaResetDelay ?? "";
    expect(delay).toMatch(/^1m(29|30)(\.\d+)?s$/);
    expect(body.error.message).toMatch(/reset after 1m(29|30)s/);
  });
});

describe("rate limit", () => {
  test("over the per-minute limit answers 429 RATE_LIMIT_EXCEEDED with Retry-After, then recovers", async () => {
    let now = 5_000_000;
    const h = await startSim({ accounts: [{ ...ACCOUNT, rateLimitPerMinute: 2 }], now: () => now });
    const token = await h.token(ACCOUNT.refreshToken);
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);
    now += 10_000;
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);
    now += 5_000;
    const limited = await h.call("generateContent", BODY, token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("45");
    const body = (await limited.json()) as RpcBody;
    expect(body.error.status).toBe("RESOURCE_EXHAUSTED");
    expect(errorInfoOf(body)?.reason).toBe("RATE_LIMIT_EXCEEDED");
    expect(retryInfoOf(body)?.retryDelay).toBe("45s");
    // Rate limiting does not spend quota.
    expect(h.sim.state.remainingFraction(h.sim.state.accounts.get(ACCOUNT.email)!, "claude-sonnet-4-6")).toBe(0.998);
    now += 45_000;
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);
    expect(h.sim.state.accounts.get(ACCOUNT.email)?.counters.rateLimited.RATE_LIMIT_EXCEEDED).toBe(1);
  });
});

describe("account states", () => {
  test("validationRequired answers 403 VALIDATION_REQUIRED with a validation_url that clears it", async () => {
    const h = await startSim({ accounts: [{ ...ACCOUNT, validationRequired: true }] });
    const token = await h.token(ACCOUNT.refreshToken);
    const res = await h.call("streamGenerateContent", BODY, token, "?alt=sse");
    expect(res.status).toBe(403);
    const body = (await res.json()) as RpcBody;
    expect(body.error.status).toBe("PERMISSION_DENIED");
    const info = errorInfoOf(body);
    expect(info?.reason).toBe("VALIDATION_REQUIRED");
    const url = info?.metadata?.validation_url ?? "";
    expect(url).toStartWith(h.url);
    expect((await fetch(url)).status).toBe(200);
    expect((await h.call("streamGenerateContent", BODY, token, "?alt=sse")).status).toBe(200);
    expect(h.sim.state.accounts.get(ACCOUNT.email)?.counters.forbidden).toBe(1);
  });

  test("banned answers 403 with the Terms of Service prose", async () => {
    const h = await startSim({ accounts: [{ ...ACCOUNT, banned: true }] });
    const res = await h.call("generateContent", BODY, await h.token(ACCOUNT.refreshToken));
    expect(res.status).toBe(403);
    const body = (await res.json()) as RpcBody;
    expect(body.error.status).toBe("PERMISSION_DENIED");
    expect(body.error.message).toMatch(/has been disabled.*violation of Terms of Service/);
  });
});

describe("capacity and server faults", () => {
  test("capacity 503, capacity 429 and server error, each for failNext requests only", async () => {
    const h = await startSim({ accounts: [ACCOUNT] });
    const token = await h.token(ACCOUNT.refreshToken);

    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { fault: { capacity: "503", failNext: 1 } });
    const unavailable = await h.call("generateContent", BODY, token);
    expect(unavailable.status).toBe(503);
    expect(((await unavailable.json()) as RpcBody).error.status).toBe("UNAVAILABLE");
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);

    await h.control("PATCH", `accounts/${ACCOUNT.email}`, { fault: { capacity: "429", failNext: 2 } });
    for (let i = 0; i < 2; i++) {
      const res = await h.call("generateContent", BODY, token);
      expect(res.status).toBe(429);
      const body = (await res.json()) as RpcBody;
      expect(body.error.status).toBe("RESOURCE_EXHAUSTED");
      expect(errorInfoOf(body)?.reason).toBe("MODEL_CAPACITY_EXHAUSTED");
    }
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);

    await h.control("PATCH", "faults", { serverError: true, failNext: 1 });
    const broken = await h.call("generateContent", BODY, token);
    expect(broken.status).toBe(500);
    expect(((await broken.json()) as RpcBody).error.status).toBe("INTERNAL");
    expect((await h.call("generateContent", BODY, token)).status).toBe(200);
    expect(h.sim.state.accounts.get(ACCOUNT.email)?.counters.rateLimited.MODEL_CAPACITY_EXHAUSTED).toBe(2);
  });
});
