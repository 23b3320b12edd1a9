/** The account pool's public surface. */
export { createPool, type Pool, type PoolOptions, type ProbeDue, type ReportOutcome, type SelectOptions } from "./pool.ts";
export { selectAccount, type SelectContext, type SelectRequest } from "./select.ts";
export { PoolSnapshot } from "./snapshot.ts";
export { defineStrategy, type Pick, type PickContext, type Strategy } from "./strategy.ts";
export { getStrategy, STRATEGY_BY_NAME } from "./strategies/index.ts";
export { applyFailure, applySuccess, applyQuotaSnapshot, type FailureContext, type FailureOutcome, type QuotaSnapshot } from "./cooldown.ts";
export { resolveFloor, quotaScore, type FloorSettings } from "./quota.ts";
export { newAccountState, restoreState } from "./state.ts";
export { formatDuration, formatInstant } from "./explain.ts";
export { DEFAULT_TUNING, STRATEGIES, type PoolTuning, type StrategyName } from "./tuning.ts";
export type * from "./types.ts";
