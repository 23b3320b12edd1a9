/**
 * The one deadline policy for upstream waits: upstream may stay silent at most
 * `upstream.requestTimeoutMs` at a time, wherever agcp waits for it —
 * - for the response headers (`fetchWithDeadline`; error bodies read here share that deadline),
 * - between two reads of an answer body read whole (`readBodyWithin`: non-streaming answers, JSON
 *   methods),
 * - between two chunks of a stream (the SSE parser's `idleMs`, given the same value).
 * A long answer that keeps arriving is never cut; a silent one always ends, as an UpstreamError with
 * `timedOut` set. A caller abort is rethrown as-is: it is nobody's failure, so it must not become an
 * UpstreamError.
 */
import { UpstreamError } from "./errors.ts";

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

export interface BodyReadOptions {
  /** Longest silence between two reads. */
  idleMs: number;
  /** Aborting (client went away) cancels the read and rethrows the abort reason. */
  signal?: AbortSignal;
}

/**
 * Reads a whole answer body, allowing at most `idleMs` between reads (Response.json() would wait
 * for ever on an upstream that sends part of a body and stalls). Silence becomes a timed-out network
 * UpstreamError, a broken connection a plain one.
 */
export async function readBodyWithin(res: Response, options: BodyReadOptions): Promise<Uint8Array> {
  const { idleMs, signal } = options;
  signal?.throwIfAborted();
  const body = res.body;
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  let silent = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      silent = true;
      reader.cancel().catch(() => {});
    }, idleMs);
  };
  const onAbort = () => reader.cancel().catch(() => {});
  signal?.addEventListener("abort", onAbort, { once: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    arm();
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted) throw signal.reason;
      if (silent) throw new UpstreamError({ kind: "network", timedOut: true, message: `upstream sent nothing for ${idleMs} ms in the middle of its answer` });
      if (done) break;
      arm();
      chunks.push(value);
      size += value.byteLength;
    }
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    if (error instanceof UpstreamError) throw error;
    throw new UpstreamError({ kind: "network", message: `upstream answer broke off: ${(error as Error).message}` });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
