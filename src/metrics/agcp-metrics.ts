import { Counter, Gauge, Histogram, Registry } from "./registry.ts";

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/** The metrics agcp exports at /metrics. Labels use account labels, never emails or tokens. */
export function createAgcpMetrics() {
  const registry = new Registry();
  return {
    registry,
    requests: registry.register(new Counter("agcp_requests_total", "Client requests by model, account and outcome.")),
    upstreamLatency: registry.register(
      new Histogram("agcp_upstream_latency_seconds", "Time from sending to upstream to its response headers.", SECONDS),
    ),
    ttfb: registry.register(new Histogram("agcp_time_to_first_byte_seconds", "Time from client request to first content byte.", SECONDS)),
    upstreamErrors: registry.register(new Counter("agcp_upstream_errors_total", "Upstream errors by kind and account.")),
    tokens: registry.register(new Counter("agcp_tokens_total", "Tokens used by model and direction (input, output, cache_read).")),
    accounts: registry.register(new Gauge("agcp_accounts", "Accounts by status.")),
    quotaRunout: registry.register(
      new Gauge("agcp_quota_runout_seconds", "Seconds until a quota window runs out at its recent pace, per account, pool and window (only windows being used up)."),
    ),
    authFailures: registry.register(new Counter("agcp_auth_failures_total", "Requests refused for a missing, wrong, revoked or misplaced key, by status.")),
    poolAccounts: registry.register(
      new Gauge("agcp_pool_accounts", "Usable accounts per upstream quota pool: available, low (a window at its floor) or out."),
    ),
    quotaWindows: registry.register(
      new Gauge("agcp_quota_window_remaining", "Remaining fraction of each account's quota window, per pool and window (5h, weekly)."),
    ),
    inFlight: registry.register(new Gauge("agcp_account_in_flight", "Requests this instance has in flight per account (see pool.maxInFlightPerAccount).")),
    slotWaits: registry.register(new Counter("agcp_slot_waits_total", "Requests that waited because every account that could serve was at its in-flight cap, by model.")),
    keyRequests: registry.register(new Counter("agcp_key_requests_total", "Client requests by client key name and outcome.")),
    keyTokens: registry.register(new Counter("agcp_key_tokens_total", "Tokens by client key name and direction (input, output).")),
    keyRefusals: registry.register(new Counter("agcp_key_refusals_total", "Requests refused by a client key's own limit, by key and limit.")),
  };
}

export type AgcpMetrics = ReturnType<typeof createAgcpMetrics>;
