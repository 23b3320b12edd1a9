/**
 * A tiny loopback stand-in for Google used by the client's unit tests: each test scripts the
 * answers it needs and reads back what the client sent. (The full simulator lives in src/sim.)
 */
import type { Server } from "bun";
import { DEFAULT_UPSTREAM, type UpstreamOptions } from "../../src/upstream/options.ts";

export interface SeenRequest {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

export type Handler = (req: Request, seen: SeenRequest) => Response | Promise<Response>;

export interface FakeHost {
  url: string;
  seen: SeenRequest[];
  handle: Handler;
  stop(): Promise<void>;
}

export function startFakeHost(handle: Handler): FakeHost {
  const host: FakeHost = {
    url: "",
    seen: [],
    handle,
    stop: async () => {
      await server.stop(true);
    },
  };
  const server: Server<undefined> = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const seen: SeenRequest = {
        method: req.method,
        path: url.pathname + url.search,
        headers: req.headers,
        body: req.method === "GET" ? "" : await req.text(),
      };
      host.seen.push(seen);
      return host.handle(req, seen);
    },
  });
  host.url = `http://127.0.0.1:${server.port}`;
  return host;
}

/** A port nobody listens on: bind, note the port, close. */
export async function closedPortUrl(): Promise<string> {
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("") });
  const url = `http://127.0.0.1:${server.port}`;
  await server.stop(true);
  return url;
}

export function rpcError(code: number, status: string, message: string, details: unknown[] = []): Response {
  return Response.json({ error: { code, status, message, details } }, { status: code });
}

export function errorInfo(reason: string, metadata: Record<string, string> = {}) {
  return { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "cloudcode-pa.googleapis.com", metadata };
}

export const GEMINI_OK = {
  response: {
    candidates: [{ content: { role: "model", parts: [{ text: "hi" }] }, finishReason: "STOP" }],
    usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1, totalTokenCount: 4 },
  },
  traceId: "t",
};

/** Token endpoint that hands out ya29.token-N and counts calls. */
export function tokenHandler(counter: { hits: number }, opts: { revoked?: boolean } = {}): Handler {
  return () => {
    counter.hits++;
    if (opts.revoked) {
      return Response.json({ error: "invalid_grant", error_description: "Token has been expired or revoked." }, { status: 400 });
    }
    return Response.json({ access_token: `ya29.token-${counter.hits}`, expires_in: 3599, token_type: "Bearer" });
  };
}

export function optionsFor(hosts: string[], tokenBase: string, overrides: Partial<UpstreamOptions> = {}): UpstreamOptions {
  return {
    ...DEFAULT_UPSTREAM,
    hosts,
    oauth: {
      ...DEFAULT_UPSTREAM.oauth,
      tokenUrl: `${tokenBase}/token`,
      userinfoUrl: `${tokenBase}/oauth2/v1/userinfo`,
      authorizeUrl: `${tokenBase}/o/oauth2/v2/auth`,
      clientId: "test-client",
      clientSecret: "test-secret-value",
    },
    requestTimeoutMs: 2_000,
    ...overrides,
  };
}
