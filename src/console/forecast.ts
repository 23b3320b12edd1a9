/**
 * When will a quota window run out at the current pace? Each (account, pool, window) keeps the
 * remaining fractions it was seen at over the last hour; the burn rate is the drop from the
 * oldest sample of the current window to the newest, per hour. A window that reset (remaining
 * went up, or the reset time moved) starts over. Pure: the caller passes the time.
 */
export interface ForecastSample {
  at: number;
  remaining: number;
  resetAt?: number;
}

export interface WindowForecast {
  pool: string;
  window: string;
  remaining: number;
  /** Fraction of the window used per hour at the recent pace; 0 when idle or unknown. */
  burnPerHour: number;
  /** When the window empties at that pace (ISO), or null when it is not being used up. */
  runOutAt: string | null;
  resetAt: string | null;
  /** True when it empties before it resets: the pool goes dry for this account until then. */
  runsOutBeforeReset: boolean;
  /** The same in words, e.g. "at this pace the claude 5h window runs out in 1h40, 1h20 before its reset". */
  text: string;
}

/** Samples kept per window, and how far back the pace is measured. */
const KEEP_MS = 60 * 60_000;
/** Less than this between first and last sample says nothing about a pace. */
const MIN_SPAN_MS = 1_000;

export interface Forecaster {
  observe(account: string, pool: string, window: string, sample: ForecastSample): void;
  forecast(account: string, pool: string, window: string, now: number): WindowForecast | undefined;
  forget(account: string): void;
}

export function createForecaster(): Forecaster {
  const series = new Map<string, ForecastSample[]>();
  const key = (a: string, p: string, w: string) => `${a}\u0000${p}\u0000${w}`;
  return {
    observe(account, pool, window, sample) {
      const k = key(account, pool, window);
      let list = series.get(k);
      if (!list) series.set(k, (list = []));
      const last = list.at(-1);
      // A reset (more left than before, or a later reset time) begins a new window: old pace is void.
      if (last && (sample.remaining > last.remaining + 1e-9 || (sample.resetAt ?? 0) > (last.resetAt ?? 0) + 60_000)) list.length = 0;
      if (last && list.length > 0 && last.remaining === sample.remaining && sample.at - last.at < 1_000) return;
      list.push(sample);
      while (list.length > 2 && (list[0] as ForecastSample).at < sample.at - KEEP_MS) list.shift();
      if (list.length > 240) list.splice(0, list.length - 240);
    },
    forecast(account, pool, window, now) {
      const list = series.get(key(account, pool, window));
      const last = list?.at(-1);
      if (!list || !last) return undefined;
      const first = list[0] as ForecastSample;
      const span = last.at - first.at;
      const burnPerMs = span >= MIN_SPAN_MS ? Math.max(0, (first.remaining - last.remaining) / span) : 0;
      const resetAt = last.resetAt;
      const runOut = burnPerMs > 0 ? last.at + last.remaining / burnPerMs : undefined;
      const before = runOut !== undefined && resetAt !== undefined ? runOut < resetAt : runOut !== undefined;
      return {
        pool,
        window,
        remaining: last.remaining,
        burnPerHour: burnPerMs * 3_600_000,
        runOutAt: runOut !== undefined ? new Date(runOut).toISOString() : null,
        resetAt: resetAt !== undefined ? new Date(resetAt).toISOString() : null,
        runsOutBeforeReset: before,
        text: describe(account, pool, window, runOut, resetAt, now),
      };
    },
    forget(account) {
      for (const k of series.keys()) if (k.startsWith(`${account}\u0000`)) series.delete(k);
    },
  };
}

function describe(account: string, pool: string, window: string, runOut: number | undefined, resetAt: number | undefined, now: number): string {
  const name = `the ${pool} pool's ${window} window of ${account}`;
  if (runOut === undefined) return `${name} is not being used up`;
  const left = `runs out in ${span(runOut - now)}`;
  if (resetAt === undefined) return `at this pace ${name} ${left}`;
  if (runOut < resetAt) return `at this pace ${name} ${left}, ${span(resetAt - runOut)} before its reset`;
  return `at this pace ${name} lasts until its reset in ${span(resetAt - now)}`;
}

/** 1h40, 12m, 45s, 3d04h. */
function span(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d${String(h).padStart(2, "0")}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}
