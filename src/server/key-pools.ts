/**
 * What key limits need to know about the pool: which quota pool a model is metered in, and how
 * far each pool's current windows are spent across the accounts (for a key's pool share).
 */
import { poolOfModel } from "../google/quota-pools.ts";
import type { KeyPool } from "../keys/types.ts";
import type { Pool } from "../pool/pool.ts";

export function keyPoolOf(modelId: string): KeyPool {
  return poolOfModel(modelId) ?? "gemini";
}

/**
 * Each window of the pool as the quota reads show it across accounts: used = 1 − the mean
 * remaining; the window is identified by its earliest reset, so a reset starts a new count.
 */
export function poolWindowsFor(pool: Pool, which: KeyPool): Array<{ window: string; usedFraction: number; resetAt?: number; since: number }> {
  const byWindow = new Map<string, { sum: number; n: number; resetAt?: number }>();
  for (const v of pool.accounts()) {
    for (const w of v.windows) {
      if (w.pool !== which || w.stale) continue;
      const agg = byWindow.get(w.window) ?? { sum: 0, n: 0 };
      agg.sum += w.remaining;
      agg.n++;
      if (w.resetAt !== undefined && (agg.resetAt === undefined || w.resetAt < agg.resetAt)) agg.resetAt = w.resetAt;
      byWindow.set(w.window, agg);
    }
  }
  return [...byWindow].map(([window, a]) => ({
    window,
    usedFraction: 1 - a.sum / a.n,
    ...(a.resetAt !== undefined && { resetAt: a.resetAt }),
    since: a.resetAt ?? 0,
  }));
}
