/**
 * Account selection: the strategy picks on the first rung of the fallback ladder that has a
 * usable account. Cooled, invalid and disabled accounts are never picked on any rung.
 */
import { Candidates, LADDER } from "./candidates.ts";
import { poolOfModel } from "../google/quota-pools.ts";
import { activePoolCooldown } from "./cooldown.ts";
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
  /** Accounts that cannot serve this request whatever their state (the caller knows why, e.g. their catalog). */
  exclude?: ReadonlySet<string>;
  /** Answer without remembering anything (no affinity, no cursor move): "would some account do?". */
  dryRun?: boolean;
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
    routing: req.dryRun ? { ...pool.routing } : pool.routing,
    tuning,
    random: ctx.random,
    maxWaitMs: ctx.maxWaitMs ?? tuning.maxWaitMs,
    ...(ctx.inFlight && { inFlight: ctx.inFlight }),
    ...(req.explain && { explain: true }),
  };

  const excluded = excludedSlots(pool, req.exclude);
  for (let rung = 0; rung < LADDER.length; rung++) {
    let candidates = new Candidates(pool, req.model, rung, now, excluded);
    if (rung === 1) {
      // Skip straight to the first rung that can succeed (or give up if only hard limits are left).
      rung = Math.max(1, candidates.lowestUsableRung());
      if (rung >= LADDER.length) break;
      if (rung !== 1) candidates = new Candidates(pool, req.model, rung, now, excluded);
    }
    const pick = strategy.pick(candidates, pickCtx);
    if (!pick) continue;
    const accountId = candidates.idOf(pick.slot);
    if (!req.dryRun) pool.remember(sessionKey, accountId);
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
        : `${strategy.name} on the ${candidates.level} level: ${candidates.count()} usable${
            pick.why ? `; ${pick.why}` : `, score ${candidates.score(pick.slot).toFixed(1)}`
          }`;
    }
    return selection;
  }
  return noneAvailable(pool, req, ctx, excluded);
}

function excludedSlots(pool: PoolSnapshot, ids: ReadonlySet<string> | undefined): Uint8Array | null {
  if (!ids || ids.size === 0) return null;
  let mask: Uint8Array | null = null;
  for (const id of ids) {
    const slot = pool.slotOf(id);
    if (slot < 0) continue;
    mask ??= new Uint8Array(pool.size);
    mask[slot] = 1;
  }
  return mask;
}

/** Accounts kept out by the model's pool (a quota 429 or an empty window), and how many by the weekly one. */
function poolOutCounts(snap: PoolSnapshot, model: string, now: number): { out: number; weekly: number } {
  let out = 0;
  let weekly = 0;
  for (const s of snap.states) {
    if (!s.enabled || s.invalid) continue;
    const c = activePoolCooldown(s, model, now);
    if (!c) continue;
    out++;
    if (c.window === "weekly") weekly++;
  }
  return { out, weekly };
}

function noneAvailable(pool: PoolSnapshot, req: SelectRequest, ctx: SelectContext, excluded: Uint8Array | null): SelectionNone {
  const { now } = ctx;
  const cols = pool.model(req.model);
  let earliest = Number.POSITIVE_INFINITY;
  let cooled = 0;
  for (let slot = 0; slot < pool.size; slot++) {
    const until = cols[slot * M_STRIDE + M_HARD_UNTIL]!;
    if (until === Number.POSITIVE_INFINITY || excluded?.[slot]) continue;
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
  const quotaPool = poolOfModel(req.model);
  const out = quotaPool ? poolOutCounts(pool, req.model, now) : { out: 0, weekly: 0 };
  const what =
    quotaPool && out.out === cooled
      ? `out of their ${quotaPool} quota pool${out.weekly > 0 ? ` (${out.weekly} until the weekly reset)` : ""}`
      : "rate-limited";
  const none: SelectionNone = {
    ok: false,
    reason: "cooling",
    message: `All ${cooled} usable accounts are ${what} for ${req.model}; the earliest resets at ${formatInstant(earliest, now)}.`,
    earliestResetAt: earliest,
    skipped,
  };
  if (quotaPool && out.out > 0) none.poolOut = { pool: quotaPool, accounts: out.out, weekly: out.weekly };
  if (earliest - now <= maxWaitMs) none.waitMs = Math.max(0, earliest - now);
  return none;
}
