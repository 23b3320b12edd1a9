/**
 * When does a limit lift? Upstream says so in half a dozen ways (headers, RPC details, prose);
 * this turns whichever it gave into one absolute epoch-ms instant.
 */
import { isDetailType, isRecord, readRpcError, rpcMetadata } from "./rpc.ts";

const MS_PER_UNIT: Record<string, number> = {
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 0.001,
  ns: 0.000_001,
};

// Longest spellings first so `ms` is not read as minutes and `min` not as `m` + garbage.
const UNIT_PATTERN =
  "milliseconds?|msecs?|ms|microseconds?|us|µs|nanoseconds?|ns|days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s";

function unitMs(unit: string): number | undefined {
  if (unit.startsWith("mill") || unit.startsWith("msec") || unit === "ms") return MS_PER_UNIT.ms;
  if (unit.startsWith("micro") || unit === "us" || unit === "µs") return MS_PER_UNIT.us;
  if (unit.startsWith("nano") || unit === "ns") return MS_PER_UNIT.ns;
  if (unit.startsWith("d")) return MS_PER_UNIT.d;
  if (unit.startsWith("h")) return MS_PER_UNIT.h;
  if (unit.startsWith("m")) return MS_PER_UNIT.m;
  if (unit.startsWith("s")) return MS_PER_UNIT.s;
  return undefined;
}

/**
 * Go/protobuf-style durations and their spelled-out cousins: `1h2m3.5s`, `754.4ms`, `3723.5s`,
 * `2 minutes 5 seconds`. Returns milliseconds, or undefined if any part is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const input = text.trim().toLowerCase();
  if (!input) return undefined;
  const part = new RegExp(`(\\d+(?:\\.\\d+)?|\\.\\d+)\\s*(${UNIT_PATTERN})(?![a-zµ])[\\s,]*(?:and\\s+)?`, "y");
  let total = 0;
  let pos = 0;
  while (pos < input.length) {
    part.lastIndex = pos;
    const match = part.exec(input);
    if (!match) return undefined;
    const factor = unitMs(match[2]!);
    if (factor === undefined) return undefined;
    total += Number.parseFloat(match[1]!) * factor;
    pos = part.lastIndex;
  }
  // Round away float noise (0.1 + 0.2) without losing sub-millisecond inputs entirely.
  return Math.round(total * 1000) / 1000;
}

export interface ResetHints {
  headers?: Headers;
  /** Parsed RPC error body (whole body or its `error`). */
  body?: unknown;
  /** Free text that may say "reset after 1h2m3s"; the RPC message is also searched. */
  message?: string;
  now: number;
}

/** Epoch ms when the limit lifts, from the most specific hint present; undefined if none. */
export function parseResetTime(hints: ResetHints): number | undefined {
  const { now } = hints;
  const error = readRpcError(hints.body);
  const candidates: Array<() => number | undefined> = [
    () => {
      const stamp = rpcMetadata(error, "quotaResetTimeStamp", "quota_reset_time_stamp");
      return stamp === undefined ? undefined : parseInstant(stamp);
    },
    () => {
      const delay = rpcMetadata(error, "quotaResetDelay", "quota_reset_delay");
      return afterDelay(now, delay === undefined ? undefined : parseDuration(delay));
    },
    () => afterDelay(now, retryInfoDelay(error?.details ?? [])),
    () => retryAfterHeader(hints.headers?.get("retry-after"), now),
    () => unixResetHeader(hints.headers?.get("x-ratelimit-reset"), now),
    () => afterDelay(now, secondsToMs(hints.headers?.get("x-ratelimit-reset-after"))),
    () => afterDelay(now, proseDelay(error?.message)),
    () => afterDelay(now, proseDelay(hints.message)),
  ];
  for (const candidate of candidates) {
    const at = candidate();
    // A hint already in the past is stale (or clock skew); a later hint may still be useful.
    if (at !== undefined && Number.isFinite(at) && at >= now) return at;
  }
  return undefined;
}

function afterDelay(now: number, delayMs: number | undefined): number | undefined {
  return delayMs === undefined ? undefined : now + Math.ceil(delayMs);
}

function parseInstant(text: string): number | undefined {
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : at;
}

function secondsToMs(text: string | null | undefined): number | undefined {
  if (!text || !/^\s*\d+(\.\d+)?\s*$/.test(text)) return undefined;
  return Number.parseFloat(text) * 1000;
}

function retryAfterHeader(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = secondsToMs(value);
  if (seconds !== undefined) return now + Math.ceil(seconds);
  return parseInstant(value);
}

function unixResetHeader(value: string | null | undefined, now: number): number | undefined {
  const ms = secondsToMs(value);
  if (ms === undefined) return undefined;
  // Some servers put milliseconds here, some a relative delay; tell them apart by magnitude.
  if (ms >= 1e15) return ms / 1000;
  if (ms < 1e12) return now + ms;
  return ms;
}

function retryInfoDelay(details: readonly Record<string, unknown>[]): number | undefined {
  for (const detail of details) {
    if (!isDetailType(detail, "RetryInfo") && detail.retryDelay === undefined) continue;
    const delay = detail.retryDelay;
    if (typeof delay === "string") {
      const ms = parseDuration(delay);
      if (ms !== undefined) return ms;
    }
    // Proto JSON is a string, but tolerate the object form {seconds, nanos}.
    if (isRecord(delay)) {
      const seconds = Number(delay.seconds ?? 0);
      const nanos = Number(delay.nanos ?? 0);
      if (Number.isFinite(seconds) && Number.isFinite(nanos)) return seconds * 1000 + nanos / 1e6;
    }
  }
  return undefined;
}

const PROSE = new RegExp(
  `(?:reset|retry)\\w*\\s+(?:after|in)\\s+((?:\\d+(?:\\.\\d+)?\\s*(?:${UNIT_PATTERN})(?![a-zµ])[\\s,]*)+)`,
  "i",
);

function proseDelay(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const match = PROSE.exec(text);
  return match ? parseDuration(match[1]!) : undefined;
}
