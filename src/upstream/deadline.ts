/**
 * fetch with a deadline on the response headers only: long streams must not be cut off, yet a
 * host that never answers must not hold a request forever. Bodies we read here (error bodies,
 * small JSON answers) are read under the same deadline. A caller abort is rethrown as-is: it is
 * nobody's failure, so it must not become an UpstreamError.
 */
export type Attempt =
  | { kind: "answered"; res: Response; /** Empty when the body was left unread for the caller. */ bodyText: string }
  | { kind: "failed"; error: unknown; /** Set when our own deadline ended it. */ timeoutMs?: number };

export interface DeadlineOptions {
  timeoutMs: number;
  /** Aborts the request before or after headers (client went away). */
  signal?: AbortSignal;
  /** "errors": leave an ok body unread (streams); "always": read it too (small answers). */
  readBody?: "errors" | "always";
}

/** fetch's init plus Bun's `proxy`: a URL, or false for a direct connection whatever the environment says. */
export type UpstreamRequestInit = RequestInit & { proxy?: string | false };

export async function fetchWithDeadline(
  doFetch: typeof fetch,
  url: string,
  init: UpstreamRequestInit,
  options: DeadlineOptions,
): Promise<Attempt> {
  const { timeoutMs, signal: callerSignal } = options;
  callerSignal?.throwIfAborted();
  // One controller that both the deadline and the caller abort: cheaper than AbortSignal.any per
  // request. The caller's link stays while a body is left unread here (a stream must still end
  // when the caller goes away) and is dropped otherwise, so a long-lived caller signal collects nothing.
  const deadline = new AbortController();
  const signal = deadline.signal;
  const forward = () => deadline.abort(callerSignal?.reason);
  callerSignal?.addEventListener("abort", forward, { once: true });
  let linked = false;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    deadline.abort(new DOMException(`no response within ${timeoutMs} ms`, "TimeoutError"));
  }, timeoutMs);
  const fail = (error: unknown): Attempt => {
    if (callerSignal?.aborted) throw callerSignal.reason;
    return { kind: "failed", error, timeoutMs: timedOut ? timeoutMs : undefined };
  };
  try {
    const res = await doFetch(url, { ...init, signal } as RequestInit);
    if (res.ok && options.readBody !== "always") {
      linked = true;
      return { kind: "answered", res, bodyText: "" };
    }
    return { kind: "answered", res, bodyText: await res.text() };
  } catch (error) {
    return fail(error);
  } finally {
    clearTimeout(timer);
    if (!linked) callerSignal?.removeEventListener("abort", forward);
  }
}
