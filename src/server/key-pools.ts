/**
 * What key limits need to know about the pool: which quota pool a model is metered in, and how
 * far each pool's current window is spent across the accounts (for a key's pool share).
 */
import type { KeyPool } from "../keys/types.ts";
import type { Pool } from "../pool/pool.ts";

export function keyPoolOf(modelId: string): KeyPool {
  return /^(claude|gpt-oss)/i.test(modelId) ? "claude" : "gemini";
}

/**
 * The pool's window as the quota reads show it: used = 1 − the mean of each account's lowest
 * remaining fraction among the pool's models; the window is identified by its earliest reset.
 */
export function poolWindowsFor(pool: Pool, which: KeyPool): Array<{ window: string; usedFraction: number; resetAt?: number; since: number }> {
  let sum = 0;
  let n = 0;
  let resetAt: number | undefined;
  for (const s of pool.snapshot()) {
    let lowest: number | undefined;
    for (const [model, q] of Object.entries(s.quota)) {
      if (keyPoolOf(model) !== which) continue;
      lowest = lowest === undefined ? q.fraction : Math.min(lowest, q.fraction);
      if (q.resetAt !== undefined && (resetAt === undefined || q.resetAt < resetAt)) resetAt = q.resetAt;
    }
    if (lowest === undefined) continue;
    sum += lowest;
    n++;
  }
  if (n === 0) return [];
  return [{ window: "5h", usedFraction: 1 - sum / n, ...(resetAt !== undefined && { resetAt }), since: resetAt ?? 0 }];
}
