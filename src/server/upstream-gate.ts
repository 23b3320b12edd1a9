/**
 * How many requests agcp has in flight upstream at once. Waiting here is agcp's own queue: it
 * happens before an account is chosen and before any upstream deadline starts, so no account is
 * ever blamed for it. When the wait would pass `queueMs`, the client hears that agcp itself is
 * overloaded (529 overloaded_error with retry-after) — no account's health is touched.
 */
import { ApiError } from "../anthropic/errors.ts";

export interface UpstreamGate {
  readonly size: number;
  readonly inFlight: number;
  readonly waiting: number;
  /** Resolves with a release function once a slot is free; rejects after `queueMs`, or with the abort reason. */
  acquire(signal?: AbortSignal): Promise<() => void>;
}

interface Waiter {
  grant(): void;
}

export function createUpstreamGate(size: number, queueMs: number, onSaturated?: () => void): UpstreamGate {
  let inFlight = 0;
  const queue: Waiter[] = [];

  const release = () => {
    const next = queue.shift();
    if (next) next.grant();
    else inFlight--;
  };
  const once = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
    };
  };

  return {
    size,
    get inFlight() {
      return inFlight;
    },
    get waiting() {
      return queue.length;
    },
    acquire(signal) {
      signal?.throwIfAborted();
      if (inFlight < size) {
        inFlight++;
        return Promise.resolve(once());
      }
      onSaturated?.();
      return new Promise((resolve, reject) => {
        const leave = () => {
          const i = queue.indexOf(waiter);
          if (i !== -1) queue.splice(i, 1);
          clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        };
        const waiter: Waiter = {
          // The slot passes straight from the releasing request to this one (inFlight unchanged).
          grant() {
            leave();
            resolve(once());
          },
        };
        const onAbort = () => {
          leave();
          reject(signal!.reason);
        };
        const timer = setTimeout(() => {
          leave();
          const seconds = Math.max(1, Math.min(30, Math.ceil(queueMs / 1000)));
          reject(
            new ApiError(
              "overloaded_error",
              `agcp is overloaded: all ${size} upstream slots (limits.upstreamConcurrency) stayed busy for ${queueMs} ms. Try again shortly.`,
              { headers: { "retry-after": String(seconds) } },
            ),
          );
        }, queueMs);
        signal?.addEventListener("abort", onAbort, { once: true });
        queue.push(waiter);
      });
    },
  };
}

/**
 * Bun's own cap on fetches in flight, fixed when the process started (256 unless
 * BUN_CONFIG_MAX_HTTP_REQUESTS says otherwise; `agcp start` raises it, see src/cli/fetch-limit.ts).
 * The gate stays below it, with room for token refreshes and quota reads, so that no upstream
 * request ever waits inside Bun with its deadline already running.
 */
export function gateSize(configured: number, env: Record<string, string | undefined>): { size: number; bunLimit: number } {
  const n = Number(env.BUN_CONFIG_MAX_HTTP_REQUESTS);
  const bunLimit = Number.isInteger(n) && n >= 1 && n <= 65_535 ? n : 256;
  const reserve = Math.min(32, Math.floor(bunLimit / 8));
  return { size: Math.max(1, Math.min(configured, bunLimit - reserve)), bunLimit };
}
