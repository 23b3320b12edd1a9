/**
 * The last N requests, newest first, with why each went where it went: for the console's live
 * log, `GET /api/requests`, and (with --access-log) one JSON line per request on stdout. Holds
 * no prompt and no token: names, numbers and reasons only.
 */
import type { ApiName } from "./relay.ts";

export interface RequestAttempt {
  account: string;
  model: string;
  /** "ok", or the upstream error kind that made the relay move on. */
  outcome: string;
  message?: string;
  ms: number;
}

export interface RequestEntry {
  id: number;
  /** When the request arrived (ISO). */
  at: string;
  api: ApiName;
  stream: boolean;
  /** The model name the client sent, and the upstream id that served (or was last tried). */
  model: string;
  upstreamModel: string;
  /** The account that answered; null when none did. */
  account: string | null;
  /** Client key name, where keys are in use. */
  key?: string;
  /**
   * Opaque short hashes of the client's session and of the conversation within it (subagents share
   * their parent's session): enough for `agcp simulate --replay` to rebuild affinity and bursts.
   */
  session: string;
  conversation: string;
  attempts: RequestAttempt[];
  /** The pool's reasons: what was chosen and why, what was skipped and why, waits. */
  trace: string[];
  status: number;
  /** "ok", "client_abort", or the error type the client got. */
  outcome: string;
  error?: string;
  /** Time to the first byte the client received; for non-streaming answers, the whole answer. */
  ttfbMs: number | null;
  totalMs: number;
  tokens: { input: number; output: number; cached: number };
}

export interface RequestFilter {
  account?: string;
  model?: string;
  /** "ok", "error", or a status code. */
  status?: string;
  limit?: number;
}

export interface RequestLog {
  add(entry: Omit<RequestEntry, "id">): RequestEntry;
  list(filter?: RequestFilter): RequestEntry[];
  /** Called with every new entry; returns the unsubscribe. */
  subscribe(listener: (e: RequestEntry) => void): () => void;
  readonly size: number;
}

export function createRequestLog(opts: { size: number; accessLog?: (line: string) => void }): RequestLog {
  // A ring: bounded memory however long agcp runs.
  const ring: RequestEntry[] = [];
  let next = 0;
  let seq = 0;
  const listeners = new Set<(e: RequestEntry) => void>();
  return {
    get size() {
      return opts.size;
    },
    add(e) {
      const entry = { id: ++seq, ...e };
      if (opts.size > 0) {
        if (ring.length < opts.size) ring.push(entry);
        else ring[next] = entry;
        next = (next + 1) % opts.size;
      }
      opts.accessLog?.(JSON.stringify(entry));
      for (const l of listeners) l(entry);
      return entry;
    },
    list(filter = {}) {
      const newestFirst = [...ring].sort((a, b) => b.id - a.id);
      const wantStatus = filter.status;
      const out = newestFirst.filter(
        (e) =>
          (!filter.account || e.account === filter.account || e.attempts.some((a) => a.account === filter.account)) &&
          (!filter.model || e.model === filter.model || e.upstreamModel === filter.model) &&
          (!wantStatus || (wantStatus === "ok" ? e.outcome === "ok" : wantStatus === "error" ? e.outcome !== "ok" : String(e.status) === wantStatus)),
      );
      return filter.limit !== undefined ? out.slice(0, filter.limit) : out;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
