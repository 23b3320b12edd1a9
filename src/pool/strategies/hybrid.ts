/**
 * Hybrid: the best-scoring account (health, tokens left, quota left, time since last use), with
 * a bounded bonus for the session's previous account so prompt caches keep hitting.
 */
import { defineStrategy } from "../strategy.ts";

export const hybrid = defineStrategy({
  name: "hybrid",
  pick(c, ctx) {
    const prefer = ctx.sessionId !== undefined && ctx.affinityId !== undefined && c.rung === 0 ? c.slotOf(ctx.affinityId) : -1;
    const slot = c.best(Math.floor(ctx.random() * c.size), prefer, ctx.tuning.hybrid.affinityBonus);
    return slot < 0 ? undefined : { slot };
  },
});
