/**
 * How failures that reach the client are logged: a bug (an error agcp did not expect) with its
 * stack; an expected condition (every account invalid, upstream unreachable, a key refused) as
 * one plain line; rejected keys counted always and logged at most once a minute, so a scan
 * cannot flood the log.
 */
import type { ApiError } from "../anthropic/errors.ts";
import { UpstreamError } from "../upstream/errors.ts";
import type { Runtime } from "./runtime.ts";

const AUTH_LOG_EVERY_MS = 60_000;

export function createFailureLog(rt: Runtime) {
  let authLoggedAt = 0;
  let authSince = 0;
  return (error: unknown, apiError: ApiError, req: { method: string; path: string; from?: string }) => {
    if (apiError.status === 401 || apiError.status === 403) {
      rt.metrics.authFailures.inc({ status: String(apiError.status) });
      authSince++;
      const now = Date.now();
      if (now - authLoggedAt >= AUTH_LOG_EVERY_MS) {
        const more = authSince > 1 ? ` (${authSince} refused since the last such line)` : "";
        rt.log.warn(`${apiError.status} on ${req.method} ${req.path}${req.from ? ` from ${req.from}` : ""}: ${apiError.message}${more}`);
        authLoggedAt = now;
        authSince = 0;
      }
      return;
    }
    if (apiError.status < 500) return;
    const cause = (error as { cause?: unknown }).cause ?? error;
    const expected = apiError.status !== 500 || cause instanceof UpstreamError || (cause as { name?: string })?.name === "ApiError";
    if (expected) rt.log.warn(`${apiError.status} on ${req.method} ${req.path}: ${apiError.message}`);
    else rt.log.error(cause);
  };
}
