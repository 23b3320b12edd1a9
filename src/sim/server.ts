import { handleFetchAvailableModels, handleGetOperation, handleLoadCodeAssist, handleOnboardUser } from "./code-assist.ts";
import { CONTROL_PREFIX, handleControl } from "./control.ts";
import { handleCountTokens } from "./count-tokens.ts";
import { handleGenerate } from "./generate-route.ts";
import { handleRetrieveUserQuotaSummary } from "./quota-pools.ts";
import type { SimContext } from "./http.ts";
import { DEFAULT_SIM_MODELS } from "./models.ts";
import { handleAuthorize, handleToken, handleUserinfo } from "./oauth.ts";
import { rpcError } from "./rpc-error.ts";
import { LATE_2026_CATALOG } from "./lineup.ts";
import { SimState } from "./state.ts";
import type { SimOptions } from "./types.ts";
import { resolveGates } from "./version-gate.ts";

export interface Simulator {
  /** Handles one request in-process; usable as Bun.serve's fetch. */
  fetch(req: Request): Promise<Response>;
  /** Serves on loopback (port 0 picks a free port). */
  listen(opts?: { port?: number; hostname?: string }): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
  /** Live state, for in-process inspection and changes. */
  state: SimState;
}

const DEFAULTS = {
  chunkDelayMs: 0,
  requestsPerQuota: 1000,
  quotaWindowMs: 5 * 60 * 60 * 1000,
  weeklyWindowMs: 7 * 24 * 60 * 60 * 1000,
  accessTokenTtlSec: 3599,
};

export function createSimulator(opts: SimOptions): Simulator {
  const state = new SimState(
    {
      models: [...(opts.models ?? DEFAULT_SIM_MODELS)],
      chunkDelayMs: opts.chunkDelayMs ?? DEFAULTS.chunkDelayMs,
      requestsPerQuota: opts.requestsPerQuota ?? DEFAULTS.requestsPerQuota,
      quotaWindowMs: opts.quotaWindowMs ?? DEFAULTS.quotaWindowMs,
      requestsPerWeek: opts.requestsPerWeek ?? 10 * (opts.requestsPerQuota ?? DEFAULTS.requestsPerQuota),
      weeklyWindowMs: opts.weeklyWindowMs ?? DEFAULTS.weeklyWindowMs,
      accessTokenTtlSec: opts.accessTokenTtlSec ?? DEFAULTS.accessTokenTtlSec,
      clientId: opts.clientId,
      clientSecret: opts.clientSecret,
      gates: resolveGates(opts.versionGates),
      catalog: { ...LATE_2026_CATALOG, ...opts.catalog },
      now: opts.now ?? Date.now,
    },
    opts.accounts,
  );
  let server: ReturnType<typeof Bun.serve> | null = null;

  async function handle(req: Request, served: boolean): Promise<Response> {
    const ctx: SimContext = { state, req, url: new URL(req.url), served };
    try {
      return await route(ctx);
    } catch (error) {
      return rpcError("INTERNAL", `Simulator failure: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  const fetch = (req: Request) => handle(req, false);

  return {
    fetch,
    state,
    async listen(listenOpts = {}) {
      if (server) throw new Error("simulator already listening");
      server = Bun.serve({
        hostname: listenOpts.hostname ?? "127.0.0.1",
        port: listenOpts.port ?? 0,
        // Long streams with chunk pacing must not hit Bun's default idle timeout.
        idleTimeout: 0,
        fetch: (req) => handle(req, true),
        error() {
          return rpcError("INTERNAL", "Simulator failure.");
        },
      });
      const port = server.port ?? 0;
      const host = server.hostname?.includes(":") ? `[${server.hostname}]` : server.hostname;
      return { url: `http://${host}:${port}`, port };
    },
    async close() {
      const running = server;
      server = null;
      await running?.stop(true);
    },
  };
}

async function route(ctx: SimContext): Promise<Response> {
  const { pathname } = ctx.url;
  const method = ctx.req.method;
  if (pathname.startsWith(CONTROL_PREFIX)) return handleControl(ctx);
  if (method === "POST") {
    switch (pathname) {
      case "/v1internal:streamGenerateContent":
        return handleGenerate(ctx, true);
      case "/v1internal:generateContent":
        return handleGenerate(ctx, false);
      case "/v1internal:loadCodeAssist":
        return handleLoadCodeAssist(ctx);
      case "/v1internal:onboardUser":
        return handleOnboardUser(ctx);
      case "/v1internal:fetchAvailableModels":
        return handleFetchAvailableModels(ctx);
      case "/v1internal:retrieveUserQuotaSummary":
        return handleRetrieveUserQuotaSummary(ctx);
      case "/v1internal:countTokens":
        return handleCountTokens(ctx);
      case "/token":
        return handleToken(ctx);
    }
  }
  if (method === "GET") {
    if (pathname === "/o/oauth2/v2/auth") return handleAuthorize(ctx);
    if (pathname === "/oauth2/v1/userinfo" || pathname === "/oauth2/v2/userinfo") return handleUserinfo(ctx);
    if (pathname.startsWith("/v1internal/operations/")) return handleGetOperation(ctx, pathname.slice("/v1internal/".length));
  }
  return rpcError("NOT_FOUND", `The requested URL ${pathname} was not found on this server.`);
}
