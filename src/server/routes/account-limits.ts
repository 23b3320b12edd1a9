import type { H3Event } from "h3";
import { invalidRequest } from "../../anthropic/errors.ts";
import { buildLimitsReport, renderLimitsTable, type LimitsReport } from "../../console/limits.ts";
import { renderKeysSection } from "../../console/keys-table.ts";
import type { Forecaster } from "../../console/forecast.ts";
import type { WindowView } from "../../pool/types.ts";
import type { Runtime } from "../runtime.ts";
import { keysReport } from "./keys.ts";

/** The pool as it stands, from cached state only (no upstream call). */
export function limitsReportFor(rt: Runtime, now = Date.now()): LimitsReport {
  const views = rt.pool.accounts();
  for (const v of views) observeWindows(rt.forecast, v.id, v.windows);
  const report = buildLimitsReport({ accounts: views, strategy: rt.pool.strategy, now, bucketMax: rt.pool.tuning.bucket.max });
  for (const a of report.accounts) {
    const forecast = a.windows.map((w) => rt.forecast.forecast(a.id, w.pool, w.window, now)).filter((f) => f !== undefined);
    if (forecast.length > 0) a.forecast = forecast;
  }
  return report;
}

/** Feeds the forecaster what the pool knows of an account's windows now. */
export function observeWindows(forecast: Forecaster, account: string, windows: readonly WindowView[]): void {
  for (const w of windows) {
    if (w.stale) continue;
    forecast.observe(account, w.pool, w.window, { at: w.fetchedAt, remaining: w.remaining, ...(w.resetAt !== undefined && { resetAt: w.resetAt }) });
  }
}

const TRUE_WORDS = new Set(["1", "true", "yes", ""]);

/**
 * GET /account-limits[?format=table|json][&refresh=1][&width=N]. Cached state answers at once;
 * `refresh` reads every account's quota from upstream first, for when someone wants it exact.
 */
export function accountLimitsHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const q = event.url.searchParams;
    const format = q.get("format") ?? "json";
    if (format !== "json" && format !== "table") {
      throw invalidRequest(`format: expected "json" or "table", found ${JSON.stringify(format)}`);
    }
    const width = q.has("width") ? Number(q.get("width")) : undefined;
    if (width !== undefined && !Number.isInteger(width)) {
      throw invalidRequest(`width: expected an integer number of columns, found ${JSON.stringify(q.get("width"))}`);
    }
    const refresh = q.get("refresh");
    if (refresh !== null && TRUE_WORDS.has(refresh.toLowerCase())) await rt.quota.refreshAll();
    const report = limitsReportFor(rt);
    // Client keys are listed only where they exist, so a single-user setup sees nothing new.
    const keys = rt.keys.list().length > 0 ? await keysReport(rt) : [];
    if (format === "json") return keys.length > 0 ? { ...report, keys } : report;
    return new Response(renderLimitsTable(report, width !== undefined ? { width } : {}) + renderKeysSection(keys), {
      headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
    });
  };
}
