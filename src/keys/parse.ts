/**
 * Key limits as people write them — on the command line (`--requests-per-day claude=300,gemini=1000`,
 * `--expires 7d`) and in the management API's JSON — checked with one schema.
 */
import { z } from "zod";
import type { Budget, KeyLimits } from "./types.ts";

const count = z.number().int().min(1);
const budget = z.union([count, z.object({ gemini: count.optional(), claude: count.optional() }).strict()]);

export const keyLimitsSchema = z
  .object({
    models: z.array(z.string().min(1)).min(1).optional(),
    rpm: count.optional(),
    concurrency: count.optional(),
    requestsPerDay: budget.optional(),
    tokensPerDay: budget.optional(),
    poolShare: z.number().gt(0).max(1).optional(),
  })
  .strict();

export const newKeySchema = z
  .object({
    name: z.string().min(1),
    limits: keyLimitsSchema.optional(),
    /** ISO time, epoch ms, or a duration from now ("7d", "12h", "30m"). */
    expires: z.union([z.string(), z.number()]).optional(),
  })
  .strict();

export function parseLimits(input: unknown): KeyLimits {
  return keyLimitsSchema.parse(input) as KeyLimits;
}

/** `300` or `claude=300,gemini=1000`. */
export function parseBudget(text: string): Budget {
  if (/^\d+$/.test(text.trim())) return Number(text);
  const out: Record<string, number> = {};
  for (const part of text.split(",")) {
    const m = /^\s*(gemini|claude)\s*=\s*(\d+)\s*$/.exec(part);
    if (!m) throw new Error(`expected a number or pool=number pairs (gemini, claude), found ${JSON.stringify(text)}`);
    out[m[1] as string] = Number(m[2]);
  }
  return out as Budget;
}

/** An instant from ISO text, epoch ms, or a duration from `now` (`90m`, `12h`, `7d`, `2w`). */
export function parseExpiry(value: string | number, now: number): number {
  if (typeof value === "number") return value;
  const d = /^(\d+)\s*(m|h|d|w)$/.exec(value.trim());
  if (d) return now + Number(d[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[d[2] as "m" | "h" | "d" | "w"];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new Error(`expected an ISO date/time or a duration like 7d, 12h, 30m; found ${JSON.stringify(value)}`);
  return t;
}
