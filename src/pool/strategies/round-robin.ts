/** Round-robin: a cursor that moves to the next usable account on every request. */
import { defineStrategy } from "../strategy.ts";

export const roundRobin = defineStrategy({
  name: "round-robin",
  pick(c, ctx) {
    const slot = c.next(ctx.routing.cursor);
    if (slot < 0) return undefined;
    ctx.routing.cursor = slot + 1;
    return { slot };
  },
});
