import { rpcError } from "./rpc-error.ts";
import type { SimAccount, SimState } from "./state.ts";

/** What every route handler gets. */
export interface SimContext {
  state: SimState;
  req: Request;
  url: URL;
  /** True when the request arrived through the sim's own Bun.serve listener. */
  served: boolean;
}

export type Handler = (ctx: SimContext) => Response | Promise<Response>;

export async function readJson(req: Request): Promise<{ ok: true; value: unknown } | { ok: false }> {
  const text = await req.text();
  if (text.trim() === "") return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export function invalidJson(): Response {
  return rpcError("INVALID_ARGUMENT", "Invalid JSON payload received. Unexpected token.");
}

export function countRequest(account: SimAccount, method: string): void {
  account.counters.requests[method] = (account.counters.requests[method] ?? 0) + 1;
}

/** Resolves the Bearer token to an account, or answers 401 as Google does. */
export function authenticate(ctx: SimContext): { account: SimAccount } | { response: Response } {
  const header = ctx.req.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) {
    ctx.state.unattributed++;
    return {
      response: rpcError(
        "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
        [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "CREDENTIALS_MISSING", domain: "googleapis.com" }],
      ),
    };
  }
  const resolved = ctx.state.resolveAccessToken(match[1]);
  if ("account" in resolved) {
    resolved.account.counters.lastRequestHeaders = visibleHeaders(ctx.req.headers);
    return { account: resolved.account };
  }
  const entry = ctx.state.accessTokens.get(match[1]);
  const account = entry ? ctx.state.accounts.get(entry.email) : undefined;
  if (account) account.counters.unauthorized++;
  else ctx.state.unattributed++;
  return {
    response: rpcError(
      "UNAUTHENTICATED",
      "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
      [
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: resolved.problem === "expired" ? "ACCESS_TOKEN_EXPIRED" : "ACCESS_TOKEN_TYPE_UNSUPPORTED",
          domain: "googleapis.com",
        },
      ],
    ),
  };
}

/** What a client sent, for tests that check its identity; the bearer token is never kept. */
export function visibleHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (name.toLowerCase() !== "authorization") out[name.toLowerCase()] = value;
  });
  return out;
}

/** Resolves after ms, or early when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
