/** What a selection strategy is: one function that picks a slot on one rung of the ladder. */
import type { Candidates } from "./candidates.ts";
import type { RoutingMemory } from "./snapshot.ts";
import type { PoolTuning, StrategyName } from "./tuning.ts";

export interface PickContext {
  sessionId?: string;
  /** The account this session (or, without one, the pool) was last routed to. */
  affinityId?: string;
  /** Memory the strategy may update (round-robin's cursor). */
  routing: RoutingMemory;
  tuning: PoolTuning;
  random: () => number;
  /** The longest the caller may still wait; a strategy must not ask for more. */
  maxWaitMs: number;
  /** Requests each account has in flight right now (when the caller tracks them). */
  inFlight?: (id: string) => number;
  /** The caller wants to know why (request log, debug): a strategy may say so in `Pick.why`. */
  explain?: boolean;
}

export interface Pick {
  slot: number;
  /** Set when the strategy would rather wait for this account than switch. */
  waitMs?: number;
  /** What decided it, in the strategy's own terms (only asked for with `explain`). */
  why?: string;
}

export interface Strategy {
  readonly name: StrategyName;
  /** A usable slot on this rung, or undefined to let the ladder drop a filter. */
  pick(candidates: Candidates, ctx: PickContext): Pick | undefined;
}

export function defineStrategy(strategy: Strategy): Strategy {
  return strategy;
}
