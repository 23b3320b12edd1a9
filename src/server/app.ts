import { H3, type H3Event } from "h3";
import { ApiError } from "../anthropic/errors.ts";
import { presentedKey, scopeOf } from "./auth.ts";
import { setBodyBounds, type BodyBounds } from "./body.ts";
import { createBrowserGuard } from "./browser-guard.ts";
import { dialectOf, errorResponseIn } from "./error-shapes.ts";
import { toApiError } from "./errors.ts";
import { createFailureLog } from "./failure-log.ts";
import { editAccountHandler } from "./routes/account-edit.ts";
import { accountLimitsHandler } from "./routes/account-limits.ts";
import { accountActionHandler, listAccountsHandler, putStrategyHandler, refreshQuotaHandler } from "./routes/api.ts";
import { consoleHandler } from "./routes/console.ts";
import { countTokensHandler } from "./routes/count-tokens.ts";
import { registerGeminiRoutes } from "./routes/gemini-api.ts";
import { healthHandler } from "./routes/health.ts";
import { importLocalHandler, listImportSourcesHandler } from "./routes/local-sign-ins.ts";
import { createKeyHandler, keyActionHandler, listKeysHandler } from "./routes/keys.ts";
import { listRequestsHandler, liveRequestsHandler, usageHandler } from "./routes/requests.ts";
import { getSettingsHandler, putSettingsHandler } from "./routes/settings.ts";
import {
  CALLBACK_PATH,
  exportAccountsHandler,
  finishSignInHandler,
  importAccountsHandler,
  removeAccountHandler,
  signInCallbackHandler,
  startSignInHandler,
} from "./routes/sign-in.ts";
import { messagesHandler } from "./routes/messages.ts";
import { metricsHandler } from "./routes/metrics.ts";
import { registerModelRoutes } from "./routes/models-by-client.ts";
import { registerOpenAiRoutes } from "./routes/openai.ts";
import type { Runtime } from "./runtime.ts";

/**
 * Paths that answer without the API key: probes and the console page, which carry no data, and
 * the sign-in callback, which Google's redirect reaches without our header (its `state` ties it to a
 * sign-in the admin started).
 */
const OPEN_PATHS = new Set(["/health", "/", "/oauth-callback"]);

/** Builds the HTTP app. Every error, from any route, leaves through `onError` in the shape of the API the client spoke. */
export function createApp(rt: Runtime): H3 {
  const guard = createBrowserGuard({ host: rt.config.host, ...rt.config.security });
  const bodyBounds: BodyBounds = { timeoutMs: rt.config.limits.bodyTimeoutMs, maxDepth: rt.config.limits.maxJsonDepth };
  const logFailure = createFailureLog(rt);
  const app = new H3({
    silent: true,
    onRequest(event: H3Event) {
      // Before the key: a foreign page must not even learn whether a key is needed.
      guard(event.req, event.url.pathname);
      setBodyBounds(event, bodyBounds);
      if (event.req.method === "HEAD" || OPEN_PATHS.has(event.url.pathname)) return;
      event.context.caller = rt.keys.identify(presentedKey(event.req.headers, event.url), scopeOf(event.url.pathname));
    },
    onError(error, event) {
      const apiError = toApiError(error);
      // A client that hung up is not a server failure; logging it would flood the log under load.
      if (!event.req.signal.aborted) logFailure(error, apiError, { method: event.req.method, path: event.url.pathname });
      return errorResponseIn(dialectOf(event.url, event.req.headers), apiError);
    },
  });

  app.post("/v1/messages", messagesHandler(rt));
  app.post("/v1/messages/count_tokens", countTokensHandler(rt));
  registerModelRoutes(app, rt);
  // The other API doors: OpenAI (chat completions, responses, images) and the Gemini API.
  registerOpenAiRoutes(app, rt);
  registerGeminiRoutes(app, rt);
  app.get("/health", healthHandler(rt));
  // Claude Code probes its base URL and posts telemetry batches; both just need a 200.
  app.on("HEAD", "/", () => new Response(null, { status: 200 }));
  app.post("/api/event_logging/batch", () => ({ ok: true }));

  // Monitoring and management (docs/monitoring.md).
  app.get("/", consoleHandler());
  app.get("/account-limits", accountLimitsHandler(rt));
  app.get("/metrics", metricsHandler(rt));
  app.get("/api/accounts", listAccountsHandler(rt));
  app.put("/api/strategy", putStrategyHandler(rt));
  app.post("/api/accounts/:id/enable", accountActionHandler(rt, "enable"));
  app.post("/api/accounts/:id/disable", accountActionHandler(rt, "disable"));
  app.post("/api/accounts/:id/reset", accountActionHandler(rt, "reset"));
  app.post("/api/quota/refresh", refreshQuotaHandler(rt));
  app.post("/api/accounts/sign-in", startSignInHandler(rt));
  app.post("/api/accounts/sign-in/finish", finishSignInHandler(rt));
  app.get(CALLBACK_PATH, signInCallbackHandler(rt));
  app.post("/api/accounts/import", importAccountsHandler(rt));
  app.get("/api/accounts/export", exportAccountsHandler(rt));
  app.get("/api/accounts/import-sources", listImportSourcesHandler(rt));
  app.post("/api/accounts/import-local", importLocalHandler(rt));
  app.delete("/api/accounts/:id", removeAccountHandler(rt));
  app.patch("/api/accounts/:id", editAccountHandler(rt));
  app.get("/api/settings", getSettingsHandler(rt));
  app.put("/api/settings", putSettingsHandler(rt));
  app.get("/api/requests", listRequestsHandler(rt));
  app.get("/api/requests/live", liveRequestsHandler(rt));
  app.get("/api/usage", usageHandler(rt));
  app.get("/api/keys", listKeysHandler(rt));
  app.post("/api/keys", createKeyHandler(rt));
  app.post("/api/keys/:name/rotate", keyActionHandler(rt, "rotate"));
  app.post("/api/keys/:name/revoke", keyActionHandler(rt, "revoke"));
  app.delete("/api/keys/:name", keyActionHandler(rt, "delete"));

  app.all("/**", (event) => {
    throw new ApiError("not_found_error", `No route for ${event.req.method} ${event.url.pathname}.`);
  });
  return app;
}
