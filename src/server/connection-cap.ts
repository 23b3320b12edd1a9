/**
 * The most requests agcp serves at once (limits.maxConcurrentRequests). Every request holds a
 * socket, memory and often an upstream slot; ≈20,000 slow connections once exhausted the process's
 * file descriptors. Past the cap a request is answered at once — 529 overloaded_error, retry-after,
 * connection closed — and the log says so, once per episode rather than once per request.
 */
import type { ConsolaInstance } from "consola";
import { ApiError } from "../anthropic/errors.ts";
import { errorResponse } from "./errors.ts";

/** An episode ends when no request was refused for this long; the next refusal is logged again. */
const QUIET_MS = 10_000;

export function createConnectionCap(limit: number, log: ConsolaInstance): { refuse(): Response } {
  let lastRefusal = Number.NEGATIVE_INFINITY;
  return {
    refuse() {
      const now = Date.now();
      if (now - lastRefusal > QUIET_MS) {
        log.warn(`Connection cap reached: ${limit} requests in progress (limits.maxConcurrentRequests); refusing new ones with 529 until some finish.`);
      }
      lastRefusal = now;
      const err = new ApiError("overloaded_error", `agcp is serving its maximum of ${limit} requests at once (limits.maxConcurrentRequests); try again shortly.`, {
        headers: { "retry-after": "1", connection: "close" },
      });
      return errorResponse(err);
    },
  };
}
