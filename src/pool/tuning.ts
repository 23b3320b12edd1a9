/**
 * Every number the pool uses. Defaults are the reference implementation's values
 * (see shared/reference/load-balancing-facts.md); config may override any of them.
 */
export type StrategyName = "hybrid" | "sticky" | "round-robin" | "reset-aware";
export const STRATEGIES: readonly StrategyName[] = ["hybrid", "sticky", "round-robin", "reset-aware"];

export interface PoolTuning {
  /** The reset-aware strategy (src/pool/strategies/reset-aware.ts); its scores are fractions of a window per hour. */
  resetAware: {
    /** Added for the session's own account (prompt caching). */
    affinityBonus: number;
    /** Taken off per request the account has in flight (spreads bursts of parallel subagents). */
    inFlightPenalty: number;
    /** Within this many hours of a weekly reset, the weekly floor no longer holds an account back (0: it always does). */
    floorReleaseHours: number;
  };
  hybrid: {
    /**
     * score = health*min(health, health.initial) + bucket*(tokens/max*100) + quota*quotaScore
     *       + lru*min(idleSeconds, lruCapSeconds). Health above its starting value earns nothing, so
     * success rewards cannot snowball one account into taking all the traffic.
     */
    weights: { health: number; bucket: number; quota: number; lru: number };
    lruCapSeconds: number;
    /**
     * Added to the score of the account a session used last (prompt caching), while it is usable
     * at the normal level. Bounded on purpose: a clearly better account still wins.
     */
    affinityBonus: number;
  };
  health: {
    initial: number;
    successReward: number;
    rateLimitPenalty: number;
    failurePenalty: number;
    recoveryPerHour: number;
    min: number;
    max: number;
    /** Below this, an account is skipped at the normal ladder level. */
    minUsable: number;
  };
  bucket: { max: number; refillPerMinute: number; initial: number; cost: number };
  quota: {
    /** Default floor as a fraction (0..0.99): at or below it an account is skipped for that model. */
    defaultFloor: number;
    unknownScore: number;
    staleAfterMs: number;
    staleFactor: number;
  };
  ladder: { emergencyDelayMs: number; lastResortDelayMs: number };
  sticky: { maxWaitMs: number };
  backoff: {
    quotaExhaustedMs: number[];
    rateLimitedMs: number;
    capacityMs: number;
    capacityJitterMs: number;
    serverErrorMs: number;
    unknownMs: number;
    /** 429s from one (account, model) within this window count once. */
    dedupeWindowMs: number;
    consecutiveFailuresToCool: number;
    consecutiveFailureCooldownMs: number;
    /** At most this fraction of the pool may be cooled by non-quota errors at once. */
    maxNonQuotaCooledFraction: number;
  };
  capacityRetryDelaysMs: number[];
  emptyResponseRetryDelaysMs: number[];
  /**
   * Requests one account may have in flight from this instance (0: no cap). At the cap the account
   * is passed over; when every usable account is at it, a request waits for a slot (within maxWaitMs).
   */
  maxInFlightPerAccount: number;
  /** The request path never sleeps longer than this in total. */
  maxWaitMs: number;
  /** Attempts per request: max(minAttempts, accounts + 1). */
  minAttempts: number;
  /** Long cooldowns are re-checked with a cheap quota probe after at most this long. */
  probeAfterMs: number;
  quotaRefresh: { intervalMs: number; jitter: number; concurrency: number };
}

export const DEFAULT_TUNING: PoolTuning = {
  resetAware: { affinityBonus: 0.5, inFlightPenalty: 0.1, floorReleaseHours: 24 },
  hybrid: { weights: { health: 2, bucket: 5, quota: 3, lru: 0.1 }, lruCapSeconds: 3600, affinityBonus: 150 },
  health: {
    initial: 70,
    successReward: 1,
    rateLimitPenalty: 10,
    failurePenalty: 20,
    recoveryPerHour: 10,
    min: 0,
    max: 100,
    minUsable: 50,
  },
  bucket: { max: 50, refillPerMinute: 6, initial: 50, cost: 1 },
  quota: { defaultFloor: 0.05, unknownScore: 50, staleAfterMs: 5 * 60_000, staleFactor: 0.9 },
  ladder: { emergencyDelayMs: 250, lastResortDelayMs: 500 },
  sticky: { maxWaitMs: 2 * 60_000 },
  backoff: {
    quotaExhaustedMs: [60_000, 5 * 60_000, 30 * 60_000, 2 * 3600_000],
    rateLimitedMs: 30_000,
    capacityMs: 15_000,
    capacityJitterMs: 5_000,
    serverErrorMs: 20_000,
    unknownMs: 60_000,
    dedupeWindowMs: 2_000,
    consecutiveFailuresToCool: 3,
    consecutiveFailureCooldownMs: 60_000,
    maxNonQuotaCooledFraction: 0.5,
  },
  capacityRetryDelaysMs: [5_000, 10_000, 20_000, 30_000, 60_000],
  emptyResponseRetryDelaysMs: [500, 1_000],
  maxInFlightPerAccount: 0,
  maxWaitMs: 2 * 60_000,
  minAttempts: 5,
  probeAfterMs: 15 * 60_000,
  // Refreshes must land before data goes stale (staleAfterMs), or floors lapse between them: 4 min ± 20 % < 5 min.
  quotaRefresh: { intervalMs: 4 * 60_000, jitter: 0.2, concurrency: 4 },
};
