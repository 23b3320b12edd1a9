import { afterEach, describe, expect, test } from "bun:test";
import { createUpstreamClient, readAvailableModels } from "../../src/upstream/client.ts";
import { UpstreamError } from "../../src/upstream/errors.ts";
import { DEFAULT_IDENTITY, goArch, goOs } from "../../src/upstream/identity.ts";
import {
  closedPortUrl,
  errorInfo,
  GEMINI_OK,
  optionsFor,
  rpcError,
  startFakeHost,
  tokenHandler,
  type FakeHost,
  type Handler,
} from "./fake-upstream.ts";

const ACCOUNT = { id: "a@example.com", refreshToken: "1//refresh-secret-for-a-0123456789", projectId: "proj-a" };
const ENVELOPE = { model: "claude-sonnet-4-6", requestType: "agent", request: { contents: [] } };

const running: FakeHost[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
});

function host(handle: Handler): FakeHost {
  const h = startFakeHost(handle);
  running.push(h);
  return h;
}

/** Token endpoint + one Cloud Code host on one server. */
function oneHost(generate: Handler, tokens = { hits: 0 }) {
  const issue = tokenHandler(tokens);
  const h = host((req, seen) => (seen.path === "/token" ? issue(req, seen) : generate(req, seen)));
  return { h, tokens, client: createUpstreamClient(optionsFor([h.url], h.url)) };
}

function generations(h: FakeHost) {
  return h.seen.filter((s) => s.path.startsWith("/v1internal:"));
}

/** Header names besides the transport ones (Accept, Accept-Encoding, Connection, Content-Length, Host) fetch adds. */
function identityHeaderNames(headers: Headers): string[] {
  const transport = new Set(["accept", "accept-encoding", "connection", "content-length", "host", "transfer-encoding"]);
  return [...headers.keys()].filter((k) => !transport.has(k)).sort();
}

async function rejection(promise: Promise<unknown>): Promise<UpstreamError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  const upstream = err as UpstreamError;
  // Whatever went wrong, no credential may ride along in the message.
  expect(upstream.message).not.toMatch(/ya29\.token-\d/);
  expect(upstream.message).not.toContain(ACCOUNT.refreshToken);
  expect(upstream.message).not.toContain("test-secret-value");
  return upstream;
}

describe("generate", () => {
  test("non-streaming: method, identification headers, bearer, envelope with project", async () => {
    const { h, client } = oneHost(() => Response.json(GEMINI_OK));
    const res = await client.generate(ACCOUNT, ENVELOPE, { stream: false });
    expect(res.ok).toBe(true);
    expect(((await res.json()) as typeof GEMINI_OK).response.candidates[0]!.finishReason).toBe("STOP");
    const [seen] = generations(h);
    expect(seen!.path).toBe("/v1internal:generateContent");
    expect(seen!.headers.get("authorization")).toBe("Bearer ya29.token-1");
    expect(seen!.headers.get("user-agent")).toBe(
      `antigravity/cli/1.2.0 (aidev_client; os_type=${goOs()}; arch=${goArch()}; cl=978750357; auth_method=consumer)`,
    );
    expect(seen!.headers.get("content-type")).toBe("application/json");
    // Only what agy sends; the rest is HTTP plumbing the runtime adds to every request.
    expect(identityHeaderNames(seen!.headers)).toEqual(["authorization", "content-type", "user-agent"]);
    expect(JSON.parse(seen!.body)).toEqual({ ...ENVELOPE, project: "proj-a" });
  });

  test("streaming: SSE path, and no header the official clients do not send (no thinking beta)", async () => {
    const { h, client } = oneHost(
      () => new Response(`data: ${JSON.stringify(GEMINI_OK)}\n\n`, { headers: { "Content-Type": "text/event-stream" } }),
    );
    const res = await client.generate(ACCOUNT, ENVELOPE, { stream: true, thinking: true });
    expect(await res.text()).toContain("data: ");
    await client.generate(ACCOUNT, { ...ENVELOPE, model: "gemini-3-flash" }, { stream: true, thinking: true });
    const [claude, gemini] = generations(h);
    expect(claude!.path).toBe("/v1internal:streamGenerateContent?alt=sse");
    expect(identityHeaderNames(claude!.headers)).toEqual(["authorization", "content-type", "user-agent"]);
    expect(identityHeaderNames(gemini!.headers)).toEqual(["authorization", "content-type", "user-agent"]);
  });

  test("identity comes from options (version is configuration)", async () => {
    const tokens = { hits: 0 };
    const issue = tokenHandler(tokens);
    const h = host((req, seen) => (seen.path === "/token" ? issue(req, seen) : Response.json(GEMINI_OK)));
    const client = createUpstreamClient(
      optionsFor([h.url], h.url, {
        identity: { ...DEFAULT_IDENTITY, family: "hub", version: "2.13.0", os: "darwin", arch: "arm64", headers: { "X-Client-Name": "antigravity" } },
      }),
    );
    await client.generate(ACCOUNT, ENVELOPE, { stream: false });
    expect(generations(h)[0]!.headers.get("user-agent")).toBe("antigravity/hub/2.13.0 darwin/arm64");
    // Extra headers only when configured.
    expect(generations(h)[0]!.headers.get("x-client-name")).toBe("antigravity");
  });

  test("the access token is reused across calls", async () => {
    const { client, tokens } = oneHost(() => Response.json(GEMINI_OK));
    await client.generate(ACCOUNT, ENVELOPE, { stream: false });
    await client.generate(ACCOUNT, ENVELOPE, { stream: false });
    expect(tokens.hits).toBe(1);
  });
});

describe("host fallback", () => {
  async function twoHosts(first: Handler | "closed") {
    const tokens = { hits: 0 };
    const issue = tokenHandler(tokens);
    const second = host((req, seen) => (seen.path === "/token" ? issue(req, seen) : Response.json(GEMINI_OK)));
    const firstHost = first === "closed" ? undefined : host(first);
    const firstUrl = firstHost?.url ?? (await closedPortUrl());
    const client = createUpstreamClient(optionsFor([firstUrl, second.url], second.url));
    return { client, first: firstHost, second };
  }

  for (const [name, handler] of [
    ["503", () => rpcError(503, "UNAVAILABLE", "unavailable")],
    ["500", () => rpcError(500, "INTERNAL", "internal")],
    ["404", () => rpcError(404, "NOT_FOUND", "not found")],
    ["403 without an account reason", () => rpcError(403, "PERMISSION_DENIED", "denied")],
  ] as Array<[string, Handler]>) {
    test(`${name} on the first host → second host answers`, async () => {
      const { client, first, second } = await twoHosts(handler);
      const res = await client.generate(ACCOUNT, ENVELOPE, { stream: false });
      expect(res.status).toBe(200);
      expect(generations(first!).length).toBe(1);
      expect(generations(second).length).toBe(1);
    });
  }

  test("a closed first host (connection refused) → second host answers", async () => {
    const { client, second } = await twoHosts("closed");
    const res = await client.generate(ACCOUNT, ENVELOPE, { stream: false });
    expect(res.status).toBe(200);
    expect(generations(second).length).toBe(1);
  });

  test("a first host that never sends headers times out → second host answers", async () => {
    const tokens = { hits: 0 };
    const issue = tokenHandler(tokens);
    const hanging = host(() => new Promise<Response>(() => {}));
    const second = host((req, seen) => (seen.path === "/token" ? issue(req, seen) : Response.json(GEMINI_OK)));
    const client = createUpstreamClient(optionsFor([hanging.url, second.url], second.url, { requestTimeoutMs: 100 }));
    const started = performance.now();
    const res = await client.generate(ACCOUNT, ENVELOPE, { stream: false });
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(generations(hanging).length).toBe(1);
  });

  for (const [name, handler, kind] of [
    [
      "403 VALIDATION_REQUIRED",
      () =>
        rpcError(403, "PERMISSION_DENIED", "verify", [
          errorInfo("VALIDATION_REQUIRED", { validation_url: "https://accounts.google.com/verify" }),
        ]),
      "verification_required",
    ],
    [
      "403 ToS ban",
      () => rpcError(403, "PERMISSION_DENIED", "This account has been disabled for violation of Terms of Service."),
      "banned",
    ],
    ["429 quota", () => rpcError(429, "RESOURCE_EXHAUSTED", "quota", [errorInfo("QUOTA_EXHAUSTED")]), "quota_exhausted"],
    ["400", () => rpcError(400, "INVALID_ARGUMENT", "bad schema"), "bad_request"],
  ] as Array<[string, Handler, string]>) {
    test(`${name} is the account's (or request's) answer: no other host is tried`, async () => {
      const { client, first, second } = await twoHosts(handler);
      const err = await rejection(client.generate(ACCOUNT, ENVELOPE, { stream: false }));
      expect(err.kind).toBe(kind as UpstreamError["kind"]);
      expect(generations(first!).length).toBe(1);
      expect(generations(second).length).toBe(0);
    });
  }

  test("verification carries the validation url", async () => {
    const { client } = await twoHosts(() =>
      rpcError(403, "PERMISSION_DENIED", "verify", [
        errorInfo("VALIDATION_REQUIRED", { validation_url: "https://accounts.google.com/verify" }),
      ]),
    );
    const err = await rejection(client.generate(ACCOUNT, ENVELOPE, { stream: false }));
    expect(err.validationUrl).toBe("https://accounts.google.com/verify");
  });

  test("every host failing → the last host's classified answer", async () => {
    const tokens = { hits: 0 };
    const issue = tokenHandler(tokens);
    const first = host(() => rpcError(500, "INTERNAL", "boom"));
    const second = host((req, seen) =>
      seen.path === "/token" ? issue(req, seen) : rpcError(503, "UNAVAILABLE", "The model is overloaded."),
    );
    const client = createUpstreamClient(optionsFor([first.url, second.url], second.url));
    const err = await rejection(client.generate(ACCOUNT, ENVELOPE, { stream: false }));
    expect(err.kind).toBe("capacity");
    expect(err.status).toBe(503);
  });

  test("every host unreachable → network", async () => {
    const tokens = { hits: 0 };
    const tokenHost = host(tokenHandler(tokens));
    const client = createUpstreamClient(optionsFor([await closedPortUrl(), await closedPortUrl()], tokenHost.url));
    const err = await rejection(client.generate(ACCOUNT, ENVELOPE, { stream: false }));
    expect(err.kind).toBe("network");
  });
});

describe("401 handling", () => {
  test("401 → invalidate, refresh once, retry with the new token", async () => {
    const { h, client, tokens } = oneHost((_req, seen) =>
      seen.headers.get("authorization") === "Bearer ya29.token-1"
        ? rpcError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        : Response.json(GEMINI_OK),
    );
    const res = await client.generate(ACCOUNT, ENVELOPE, { stream: false });
    expect(res.status).toBe(200);
    expect(tokens.hits).toBe(2);
    expect(generations(h).map((s) => s.headers.get("authorization"))).toEqual([
      "Bearer ya29.token-1",
      "Bearer ya29.token-2",
    ]);
  });

  test("401 twice → unauthenticated after exactly one refresh", async () => {
    const { h, client, tokens } = oneHost(() =>
      rpcError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."),
    );
    const err = await rejection(client.generate(ACCOUNT, ENVELOPE, { stream: false }));
    expect(err.kind).toBe("unauthenticated");
    expect(tokens.hits).toBe(2);
    expect(generations(h).length).toBe(2);
  });

  test("a revoked refresh token → auth_revoked, nothing sent upstream", async () => {
    const tokens = { hits: 0 };
    const issue = tokenHandler(tokens, { revoked: true });
    const h = host((req, seen) => (seen.path === "/token" ? issue(req, seen) : Response.json(GEMINI_OK)));
    const client = createUpstreamClient(optionsFor([h.url], h.url));
    const err = await rejection(client.generate(ACCOUNT, ENVELOPE, { stream: false }));
    expect(err.kind).toBe("auth_revoked");
    expect(generations(h).length).toBe(0);
  });

  test("an upstream that echoes the bearer token does not leak it", async () => {
    const { client } = oneHost((_req, seen) =>
      rpcError(400, "INVALID_ARGUMENT", `bad request with ${seen.headers.get("authorization")} attached`),
    );
    const err = await rejection(client.generate(ACCOUNT, ENVELOPE, { stream: false }));
    expect(err.kind).toBe("bad_request");
    expect(err.message).toContain("[redacted]");
  });
});

describe("timeouts and aborts", () => {
  test("the time-to-headers limit does not cut a long stream", async () => {
    const tokens = { hits: 0 };
    const issue = tokenHandler(tokens);
    const h = host((req, seen) => {
      if (seen.path === "/token") return issue(req, seen);
      let n = 0;
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await Bun.sleep(60);
          controller.enqueue(new TextEncoder().encode(`data: {"n":${n}}\n\n`));
          if (++n === 5) controller.close();
        },
      });
      return new Response(stream, { headers: { "Content-Type": "text/event-stream" } });
    });
    // 5 chunks x 60 ms = 300 ms of stream against a 100 ms header deadline.
    const client = createUpstreamClient(optionsFor([h.url], h.url, { requestTimeoutMs: 100 }));
    const res = await client.generate(ACCOUNT, ENVELOPE, { stream: true });
    const text = await res.text();
    expect(text.match(/data:/g)?.length).toBe(5);
  });

  test("abort before headers rejects with the abort reason and cancels the upstream request", async () => {
    let upstreamAborted: () => void = () => {};
    const aborted = new Promise<void>((resolve) => (upstreamAborted = resolve));
    const { client } = oneHost((req) => {
      req.signal.addEventListener("abort", () => upstreamAborted());
      return new Promise<Response>(() => {});
    });
    const controller = new AbortController();
    const started = performance.now();
    const pending = client.generate(ACCOUNT, ENVELOPE, { stream: true, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const err = await pending.catch((e: unknown) => e);
    // Well under the 2 s header deadline: the abort itself ended the call.
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(err).not.toBeInstanceOf(UpstreamError);
    expect((err as Error).name).toBe("AbortError");
    await Promise.race([aborted, Bun.sleep(1_000).then(() => Promise.reject(new Error("upstream never saw the abort")))]);
  });

  test("abort mid-stream cancels the upstream body", async () => {
    let cancelled: () => void = () => {};
    const wasCancelled = new Promise<void>((resolve) => (cancelled = resolve));
    const { client } = oneHost(() => {
      const stream = new ReadableStream<Uint8Array>({
        async pull(controller) {
          await Bun.sleep(20);
          controller.enqueue(new TextEncoder().encode("data: {}\n\n"));
        },
        cancel() {
          cancelled();
        },
      });
      return new Response(stream, { headers: { "Content-Type": "text/event-stream" } });
    });
    const controller = new AbortController();
    const res = await client.generate(ACCOUNT, ENVELOPE, { stream: true, signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const drained = (async () => {
      for (;;) if ((await reader.read()).done) return "ended";
    })().catch(() => "aborted");
    expect(await Promise.race([drained, Bun.sleep(1_000).then(() => "still streaming")])).toBe("aborted");
    await Promise.race([wasCancelled, Bun.sleep(1_000).then(() => Promise.reject(new Error("stream kept running")))]);
  });

  test("an already-aborted signal sends nothing", async () => {
    const { h, client } = oneHost(() => Response.json(GEMINI_OK));
    const controller = new AbortController();
    controller.abort();
    await expect(client.generate(ACCOUNT, ENVELOPE, { stream: false, signal: controller.signal })).rejects.toThrow();
    expect(generations(h).length).toBe(0);
  });
});

describe("fetchModels", () => {
  test("parses quota per model; resetTime without remainingFraction means exhausted", async () => {
    const { h, client } = oneHost(() =>
      Response.json({
        models: {
          "claude-sonnet-4-6": {
            displayName: "Claude Sonnet 4.6",
            quotaInfo: { remainingFraction: 0.8, resetTime: "2026-11-26T15:00:00Z" },
          },
          "claude-opus-4-6-thinking": { displayName: "Claude Opus 4.6", quotaInfo: { resetTime: "2026-11-26T17:00:00Z" } },
          "gemini-3-flash": { displayName: "Gemini 3 Flash", quotaInfo: { remainingFraction: 1 } },
          "chat_internal": { displayName: "internal" },
        },
      }),
    );
    const models = await client.fetchModels(ACCOUNT);
    expect(models).toEqual({
      "claude-sonnet-4-6": { fraction: 0.8, resetAt: Date.parse("2026-11-26T15:00:00Z"), displayName: "Claude Sonnet 4.6" },
      "claude-opus-4-6-thinking": {
        fraction: 0,
        // Marked: 0 is only inferred; the quota summary may know better (free tier).
        inferred: true,
        resetAt: Date.parse("2026-11-26T17:00:00Z"),
        displayName: "Claude Opus 4.6",
      },
      "gemini-3-flash": { fraction: 1, displayName: "Gemini 3 Flash" },
    });
    const [seen] = generations(h);
    expect(seen!.path).toBe("/v1internal:fetchAvailableModels");
    expect(JSON.parse(seen!.body)).toEqual({ project: "proj-a" });
  });

  test("readAvailableModels tolerates junk and clamps fractions", () => {
    expect(readAvailableModels(null)).toEqual({});
    expect(readAvailableModels({ models: [] })).toEqual({});
    expect(readAvailableModels({ models: { m: { quotaInfo: { remainingFraction: 1.7 } }, n: 5 } })).toEqual({
      m: { fraction: 1 },
    });
  });
});

describe("discovery through the client", () => {
  test("loadCodeAssist once per account, shared by concurrent generates", async () => {
    const { h, client } = oneHost((_req, seen) =>
      seen.path === "/v1internal:loadCodeAssist"
        ? Response.json({ cloudaicompanionProject: "discovered-1", currentTier: { id: "standard-tier" } })
        : Response.json(GEMINI_OK),
    );
    const account = { id: "b@example.com", refreshToken: ACCOUNT.refreshToken };
    await Promise.all([1, 2, 3].map(() => client.generate(account, ENVELOPE, { stream: false })));
    expect(await client.discover(account)).toEqual({ projectId: "discovered-1", tier: "pro" });
    const loads = h.seen.filter((s) => s.path === "/v1internal:loadCodeAssist");
    expect(loads.length).toBe(1);
    expect(JSON.parse(loads[0]!.body)).toEqual({
      metadata: { ideType: "ANTIGRAVITY", platform: "PLATFORM_UNSPECIFIED", pluginType: "GEMINI" },
    });
    const gens = h.seen.filter((s) => s.path === "/v1internal:generateContent");
    expect(gens.map((s) => JSON.parse(s.body).project)).toEqual(["discovered-1", "discovered-1", "discovered-1"]);
  });

  test("an explicit envelope project wins over discovery", async () => {
    const { h, client } = oneHost(() => Response.json(GEMINI_OK));
    await client.generate({ id: "c", refreshToken: "1//x-refresh-token-c" }, { ...ENVELOPE, project: "given" }, { stream: false });
    expect(h.seen.some((s) => s.path === "/v1internal:loadCodeAssist")).toBe(false);
    expect(JSON.parse(generations(h)[0]!.body).project).toBe("given");
  });
});

describe("oauth endpoints", () => {
  test("exchangeCode posts an authorization_code grant with the PKCE verifier", async () => {
    const forms: URLSearchParams[] = [];
    const h = host((_req, seen) => {
      forms.push(new URLSearchParams(seen.body));
      return Response.json({ access_token: "ya29.fresh", refresh_token: "1//new-refresh", expires_in: 3599 });
    });
    const client = createUpstreamClient(optionsFor([h.url], h.url));
    expect(await client.exchangeCode("the-code", "the-verifier", "http://localhost:51121/oauth-callback")).toEqual({
      accessToken: "ya29.fresh",
      refreshToken: "1//new-refresh",
      expiresIn: 3599,
    });
    const form = forms[0]!;
    expect(form.get("grant_type")).toBe("authorization_code");
    expect(form.get("code")).toBe("the-code");
    expect(form.get("code_verifier")).toBe("the-verifier");
    expect(form.get("redirect_uri")).toBe("http://localhost:51121/oauth-callback");
    expect(form.get("client_id")).toBe("test-client");
  });

  test("exchangeCode without a refresh token fails clearly", async () => {
    const h = host(() => Response.json({ access_token: "ya29.fresh", expires_in: 3599 }));
    const client = createUpstreamClient(optionsFor([h.url], h.url));
    const err = await rejection(client.exchangeCode("c", "v", "http://localhost/cb"));
    expect(err.message).toContain("no refresh token");
  });

  test("userinfo sends the bearer and returns the email", async () => {
    const h = host((_req, seen) =>
      seen.headers.get("authorization") === "Bearer ya29.user"
        ? Response.json({ email: "a@example.com", name: "A" })
        : rpcError(401, "UNAUTHENTICATED", "bad token"),
    );
    const client = createUpstreamClient(optionsFor([h.url], h.url));
    expect(await client.userinfo("ya29.user")).toEqual({ email: "a@example.com", name: "A" });
    expect(h.seen[0]!.path).toBe("/oauth2/v1/userinfo");
    const err = await rejection(client.userinfo("ya29.token-9"));
    expect(err.kind).toBe("unauthenticated");
  });
});

describe("bodies that die after the headers", () => {
  test("a fetchAvailableModels answer cut mid-body → network", async () => {
    const { client } = oneHost(() => {
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"models": {"a": '));
        },
        async pull(controller) {
          await Bun.sleep(10);
          controller.error(new Error("cut"));
        },
      });
      return new Response(stream, { headers: { "Content-Type": "application/json" } });
    });
    const err = await rejection(client.fetchModels(ACCOUNT));
    expect(err.kind).toBe("network");
  });
});
