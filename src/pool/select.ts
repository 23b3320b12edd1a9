/**
 * Account selection: the strategy picks on the first rung of the fallback ladder that has a
 * usable account. Cooled, invalid and disabled accounts are never picked on any rung.
 */
import { Candidates, LADDER } from "./candidates.ts";
import { formatInstant, skippedOn } from "./explain.ts";
import type { FloorSettings } from "./quota.ts";
import { M_HARD_UNTIL, M_STRIDE, type PoolSnapshot } from "./snapshot.ts";
import { getStrategy } from "./strategies/index.ts";
import type { Strategy } from "./strategy.ts";
import type { PoolTuning, StrategyName } from "./tuning.ts";
import type { Selection, SelectionNone } from "./types.ts";

export interface SelectRequest {
  model: string;
  sessionId?: string;
  /** Build skip reasons (walks and formats the whole pool: debug only). */
  explain?: boolean;
}

export interface SelectContext extends FloorSettings {
  strategy: Strategy | StrategyName;
  now: number;
  random: () => number;
  tuning: PoolTuning;
  /** Report `waitMs` when every account is cooled and the earliest resets within this. Default tuning.maxWaitMs. */
  maxWaitMs?: number;
  /** Requests in flight per account, for strategies that spread by it. */
  inFlight?: (id: string) => number;
}

function delayFor(rung: number, t: PoolTuning): number {
  if (rung === 2) return t.ladder.emergencyDelayMs;
  if (rung === 3) return t.ladder.lastResortDelayMs;
  return 0;
}

export function selectAccount(pool: PoolSnapshot, req: SelectRequest, ctx: SelectContext): Selection {
  const { now, tuning } = ctx;
  pool.configure({ tuning, globalFloor: ctx.globalFloor, modelFloors: ctx.modelFloors, windowFloors: ctx.windowFloors });
  if (pool.size === 0) {
    return { ok: false, reason: "empty", message: "No accounts are configured; add one with `agcp accounts add`.", skipped: [] };
  }
  const strategy = typeof ctx.strategy === "string" ? getStrategy(ctx.strategy) : ctx.strategy;
  const sessionKey = req.sessionId ?? "";
  const pickCtx = {
    sessionId: req.sessionId,
    affinityId: pool.routing.affinity.get(sessionKey),
    routing: pool.routing,
    tuning,
    random: ctx.random,
    maxWaitMs: ctx.maxWaitMs ?? tuning.maxWaitMs,
    ...(ctx.inFlight && { inFlight: ctx.inFlight }),
  };

  for (let rung = 0; rung < LADDER.length; rung++) {
    let candidates = new Candidates(pool, req.model, rung, now);
    if (rung === 1) {
      // Skip straight to the first rung that can succeed (or give up if only hard limits are left).
      rung = Math.max(1, candidates.lowestUsableRung());
      if (rung >= LADDER.length) break;
      if (rung !== 1) candidates = new Candidates(pool, req.model, rung, now);
    }
    const pick = strategy.pick(candidates, pickCtx);
    if (!pick) continue;
    const accountId = candidates.idOf(pick.slot);
    pool.remember(sessionKey, accountId);
    const waiting = pick.waitMs !== undefined;
    const selection: Selection = {
      ok: true,
      accountId,
      level: waiting ? "sticky-wait" : candidates.level,
      delayMs: waiting ? (pick.waitMs ?? 0) : delayFor(rung, tuning),
      skipped: [],
    };
    if (req.explain) {
      selection.skipped = skippedOn(pool, req.model, rung, now, accountId);
      selection.why = waiting
        ? `${strategy.name}: no other account usable; waiting for ${accountId}, which resets soon`
        : `${strategy.name} on the ${candidates.level} level: ${candidates.count()} usable, score ${candidates
            .score(pick.slot)
            .toFixed(1)}`;
    }
    return selection;
  }
  return noneAvailable(pool, req, ctx);
}

function noneAvailable(pool: PoolSnapshot, req: SelectRequest, ctx: SelectContext): SelectionNone {
  const { now } = ctx;
  const cols = pool.model(req.model);
  let earliest = Number.POSITIVE_INFINITY;
  let cooled = 0;
  for (let slot = 0; slot < pool.size; slot++) {
    const until = cols[slot * M_STRIDE + M_HARD_UNTIL]!;
    if (until === Number.POSITIVE_INFINITY) continue;
    cooled++;
    if (until < earliest) earliest = until;
  }
  const skipped = req.explain ? skippedOn(pool, req.model, LADDER.length - 1, now) : [];
  if (cooled === 0) {
    const invalid = pool.states.filter((s) => s.enabled && s.invalid).length;
    const disabled = pool.states.filter((s) => !s.enabled).length;
    const fix = invalid > 0 ? " Re-authenticate or verify the invalid accounts (`agcp accounts list` shows why)." : "";
    return {
      ok: false,
      reason: "unavailable",
      message: `No account can serve requests: ${invalid} invalid, ${disabled} disabled.${fix}`,
      skipped,
    };
  }
  const maxWaitMs = ctx.maxWaitMs ?? ctx.tuning.maxWaitMs;
  const none: SelectionNone = {
    ok: false,
    reason: "cooling",
    message: `All ${cooled} usable accounts are rate-limited for ${req.model}; the earliest resets at ${formatInstant(earliest, now)}.`,
    earliestResetAt: earliest,
    skipped,
  };
  if (earliest - now <= maxWaitMs) none.waitMs = Math.max(0, earliest - now);
  return none;
}
