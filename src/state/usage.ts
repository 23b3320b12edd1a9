/**
 * Usage counts per series per hour (series: a client key, an account × model pair …), kept 30
 * days in the state store so they survive restarts and, on Redis, add up across instances:
 * Redis gets HINCRBY on one hash per series (atomic, no read-modify-write between instances);
 * fs and memory keep one document that this process, the only writer, rewrites.
 */
import { createSerial } from "./serial.ts";
import { addCell, emptyCell, HOUR_MS, hourOf, prune, USAGE_KEEP_MS, type UsageCell, type UsageTable } from "../keys/usage.ts";
import type { StoreContext } from "./context.ts";
import { USAGE_KEY } from "./keys.ts";

export interface UsageStore {
  /** Adds counts (series → hour start → delta). */
  add(delta: UsageTable): Promise<void>;
  /** Counts since `from` (epoch ms), for the series `want` accepts (default: all). */
  read(from: number, want?: (series: string) => boolean): Promise<UsageTable>;
}

const FIELDS = ["requests", "inputTokens", "outputTokens", "errors"] as const satisfies ReadonlyArray<keyof UsageCell>;

export function createUsageStore(ctx: StoreContext, prefix: string): UsageStore {
  const redis = ctx.backend.redis;
  const seriesSet = `${prefix}:usage-series`;
  const hashOf = (series: string) => `${prefix}:usage:${series}`;
  // Changes in this process are applied one after another so none is lost.
  const serial = createSerial();

  return {
    async add(delta) {
      if (redis) {
        const pipe = redis.pipeline();
        for (const [series, hours] of Object.entries(delta)) {
          pipe.sadd(seriesSet, series);
          for (const [hour, cell] of Object.entries(hours)) for (const f of FIELDS) if (cell[f]) pipe.hincrby(hashOf(series), `${hour}:${f}`, cell[f]);
          pipe.pexpire(hashOf(series), USAGE_KEEP_MS + HOUR_MS);
        }
        await pipe.exec();
        return;
      }
      await serial(async () => {
        const table = (await ctx.read("usage", USAGE_KEY))?.usage ?? {};
        for (const [series, hours] of Object.entries(delta)) {
          const into = (table[series] ??= {});
          for (const [hour, cell] of Object.entries(hours)) addCell((into[hour] ??= emptyCell()), cell);
        }
        prune(table, ctx.now());
        await ctx.write("usage", USAGE_KEY, { usage: table });
      });
    },

    async read(from, want = () => true) {
      const since = hourOf(from);
      const out: UsageTable = {};
      if (redis) {
        const all = (await redis.smembers(seriesSet)).filter(want);
        const hashes = await Promise.all(all.map((s) => redis.hgetall(hashOf(s))));
        all.forEach((series, i) => {
          for (const [field, value] of Object.entries(hashes[i] ?? {})) {
            const cut = field.lastIndexOf(":");
            const hour = field.slice(0, cut);
            const f = field.slice(cut + 1) as keyof UsageCell;
            if (Number(hour) < since || !FIELDS.includes(f)) continue;
            ((out[series] ??= {})[hour] ??= emptyCell())[f] += Number(value);
          }
        });
        return out;
      }
      const table = (await ctx.read("usage", USAGE_KEY))?.usage ?? {};
      for (const [series, hours] of Object.entries(table)) {
        if (!want(series)) continue;
        for (const [hour, cell] of Object.entries(hours)) if (Number(hour) >= since) (out[series] ??= {})[hour] = cell;
      }
      return out;
    },
  };
}
