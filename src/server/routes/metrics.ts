import type { Runtime } from "../runtime.ts";

/** GET /metrics in Prometheus text exposition format 0.0.4. Labels carry account labels, never secrets. */
export function metricsHandler(rt: Runtime) {
  return () =>
    new Response(rt.metrics.registry.render(), {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" },
    });
}
