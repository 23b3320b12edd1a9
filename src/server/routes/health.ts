import type { Runtime } from "../runtime.ts";

/** GET /health: for load balancers and the smoke test; counts only, nothing about who the accounts are. */
export function healthHandler(rt: Runtime) {
  return () => {
    const c = rt.pool.counts();
    return {
      status: c.available > 0 ? "ok" : "degraded",
      version: rt.version,
      strategy: rt.pool.strategy,
      accounts: { total: c.total, available: c.available, cooling: c.cooling, invalid: c.invalid, disabled: c.disabled },
    };
  };
}
