/**
 * Usage history: requests, tokens and errors per hour, per account × model and per client key,
 * buffered here and added to the state store every few seconds (30 days kept there), and read
 * back as hourly or daily buckets for the console's charts and `GET /api/usage`.
 */
import { addCell, emptyCell, HOUR_MS, hourOf, type UsageCell, type UsageTable } from "../keys/usage.ts";
import type { StateLog } from "../state/types.ts";
import type { UsageStore } from "../state/usage.ts";

export type UsageRange = "24h" | "7d" | "30d";

export interface UsageBucket extends UsageCell {
  /** Bucket start (ISO). */
  at: string;
}

export interface UsageSeriesTotal extends UsageCell {
  account: string;
  model: string;
}

export interface UsageReport {
  range: UsageRange;
  bucketMs: number;
  buckets: UsageBucket[];
  /** Per account and per model in the buckets (hourly or daily) … */
  byAccount: Record<string, UsageBucket[]>;
  byModel: Record<string, UsageBucket[]>;
  /** Per client key (by key id here; the API names them), where keys are in use. */
  byKey: Record<string, UsageBucket[]>;
  /** … and per account × model over the whole range. */
  totals: UsageSeriesTotal[];
}

export interface UsageRecorder {
  note(series: string, cell: Partial<UsageCell>): void;
  flush(): Promise<void>;
  report(range: UsageRange): Promise<UsageReport>;
  close(): Promise<void>;
}

const RANGES: Record<UsageRange, { spanMs: number; bucketMs: number }> = {
  "24h": { spanMs: 24 * HOUR_MS, bucketMs: HOUR_MS },
  "7d": { spanMs: 7 * 24 * HOUR_MS, bucketMs: 24 * HOUR_MS },
  "30d": { spanMs: 30 * 24 * HOUR_MS, bucketMs: 24 * HOUR_MS },
};

export const isUsageRange = (v: string): v is UsageRange => v in RANGES;

/** The series an account × model pair is counted under (account labels may hold any character but a tab). */
export const accountSeries = (account: string, model: string) => `acct:${account}\t${model}`;

export function createUsageRecorder(opts: { store: UsageStore; log: StateLog; now?: () => number; flushMs?: number }): UsageRecorder {
  const now = opts.now ?? Date.now;
  let pending: UsageTable = {};
  const merge = (into: UsageTable, from: UsageTable) => {
    for (const [s, hours] of Object.entries(from)) for (const [h, c] of Object.entries(hours)) addCell(((into[s] ??= {})[h] ??= emptyCell()), c);
  };
  const flush = async () => {
    if (Object.keys(pending).length === 0) return;
    const batch = pending;
    pending = {};
    try {
      await opts.store.add(batch);
    } catch (err) {
      // Kept for the next try: a store that is away briefly loses no counts.
      merge(pending, batch);
      opts.log.debug(`[usage] not saved yet: ${(err as Error).message}`);
    }
  };
  const timer = setInterval(() => void flush(), opts.flushMs ?? 5_000);
  timer.unref();

  return {
    note(series, cell) {
      addCell(((pending[series] ??= {})[String(hourOf(now()))] ??= emptyCell()), cell);
    },
    flush,
    async report(range) {
      await flush();
      const { spanMs, bucketMs } = RANGES[range];
      const t = now();
      // Buckets are aligned to whole hours (24h) or UTC days (7d, 30d); the last one is the current.
      const last = Math.floor(t / bucketMs) * bucketMs;
      const first = last - (Math.ceil(spanMs / bucketMs) - 1) * bucketMs;
      const table = await opts.store.read(first, (s) => s.startsWith("acct:") || s.startsWith("key:"));
      const empty = () => Array.from({ length: (last - first) / bucketMs + 1 }, (_, i) => ({ at: new Date(first + i * bucketMs).toISOString(), ...emptyCell() }));
      const buckets = empty();
      const byAccount: Record<string, UsageBucket[]> = {};
      const byModel: Record<string, UsageBucket[]> = {};
      const byKey: Record<string, UsageBucket[]> = {};
      const totals = new Map<string, UsageSeriesTotal>();
      for (const [series, hours] of Object.entries(table)) {
        if (series.startsWith("key:")) {
          // A key's requests are also counted under their account × model: not added to the totals twice.
          const buckets = (byKey[series.slice(4)] ??= empty());
          for (const [hour, cell] of Object.entries(hours)) {
            const i = Math.floor((Number(hour) - first) / bucketMs);
            if (i >= 0 && i < buckets.length) addCell(buckets[i] as UsageBucket, cell);
          }
          continue;
        }
        const [account = "-", model = "-"] = series.slice(5).split("\t");
        const total = totals.get(series) ?? { account, model, ...emptyCell() };
        totals.set(series, total);
        for (const [hour, cell] of Object.entries(hours)) {
          const i = Math.floor((Number(hour) - first) / bucketMs);
          if (i < 0 || i >= buckets.length) continue;
          addCell(buckets[i] as UsageBucket, cell);
          addCell(((byAccount[account] ??= empty())[i]) as UsageBucket, cell);
          addCell(((byModel[model] ??= empty())[i]) as UsageBucket, cell);
          addCell(total, cell);
        }
      }
      return { range, bucketMs, buckets, byAccount, byModel, byKey, totals: [...totals.values()] };
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
