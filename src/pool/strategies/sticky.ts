/**
 * Sticky: keep a session on its account for prompt caching. Switch as soon as it is limited and
 * another account is usable; when none is, wait for it if it resets soon enough.
 */
import { defineStrategy } from "../strategy.ts";

export const sticky = defineStrategy({
  name: "sticky",
  pick(c, ctx) {
    const current = ctx.affinityId !== undefined ? c.slotOf(ctx.affinityId) : -1;
    if (current >= 0 && c.usable(current)) return { slot: current };
    const other = c.next(current >= 0 ? current + 1 : ctx.routing.cursor);
    if (other >= 0) return { slot: other };
    if (c.rung === 0 && current >= 0) {
      const waitMs = c.hardUntil(current) - c.now;
      // Within the sticky limit and within what the request may still wait; otherwise let the ladder go on.
      if (waitMs > 0 && waitMs <= Math.min(ctx.tuning.sticky.maxWaitMs, ctx.maxWaitMs)) return { slot: current, waitMs };
    }
    return undefined;
  },
});
