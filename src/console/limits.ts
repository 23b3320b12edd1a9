/**
 * The pool as people read it: one JSON report (for /account-limits, the console and the CLI)
 * and its aligned-text rendering. Pure: everything comes in as views plus `now`, so the same
 * input always gives the same bytes and golden tests need no clock.
 *
 * Only what the user chose to call an account (its label) is shown; tokens never enter here
 * because AccountView carries none.
 */
import type { WindowForecast } from "./forecast.ts";
import { POOL_IDS, type PoolId, type WindowId } from "../google/quota-pools.ts";
import type { AccountStatus, AccountView, InvalidKind, PoolView } from "../pool/types.ts";
import { formatDuration, isoOrNull } from "../pool/explain.ts";
import { formatAgo, formatPercent, renderColumns, truncate, type Align } from "./format.ts";

export interface LimitsInput {
  accounts: readonly AccountView[];
  strategy: string;
  now: number;
  /** Token bucket capacity, so "tokens left" can be read against it. */
  bucketMax: number;
}

export interface QuotaCell {
  /** Remaining fraction 0..1. */
  remaining: number;
  resetAt: string | null;
  /** Older than the pool's freshness window: selection trusts it less. */
  stale: boolean;
  /** At or below this the account is kept out for the model. */
  floor: number;
}

/** One quota window of one pool (from upstream's quota summary). */
export interface WindowCell {
  pool: PoolId;
  window: WindowId;
  /** Remaining fraction 0..1. */
  remaining: number;
  resetAt: string | null;
  stale: boolean;
  floor: number;
}

export interface PoolCell {
  /** out: cooled for every model of the pool; low: a window at its floor. */
  status: PoolView["status"];
  until: string | null;
  /** The empty window, when known. */
  window: WindowId | null;
  reason: string | null;
}

/** Accounts per pool, among the usable ones (enabled and valid). */
export interface PoolSummary {
  available: number;
  /** Of the available ones, how many are at a window's floor. */
  low: number;
  out: number;
  /** When the first "out" account comes back. */
  nextBackAt: string | null;
}

export interface AccountLimits {
  id: string;
  label: string;
  tier: string | null;
  enabled: boolean;
  status: AccountStatus;
  /** Why the account is not plainly available, in words; null when it is. */
  reason: string | null;
  /** What the user can do about an invalid account. */
  fix: string | null;
  invalid: { kind: InvalidKind; reason: string; url: string | null } | null;
  health: number;
  tokens: number;
  /** Requests this instance has in flight on it now. */
  inFlight: number;
  consecutiveFailures: number;
  lastUsedAt: string | null;
  nextResetAt: string | null;
  cooldowns: Array<{ model: string; reason: string; until: string }>;
  quota: Record<string, QuotaCell>;
  /** Both windows of each pool, as upstream's quota summary reports them. */
  windows: WindowCell[];
  pools: Partial<Record<PoolId, PoolCell>>;
  /** Per window: the recent pace and when it runs out at that pace (added by the server, which keeps the history). */
  forecast?: WindowForecast[];
}

export interface LimitsReport {
  generatedAt: string;
  strategy: string;
  summary: {
    total: number;
    available: number;
    /** Accounts with any cooldown in force (a single model's counts); see `pools` for what can serve. */
    rateLimited: number;
    invalid: number;
    disabled: number;
    pools: Record<PoolId, PoolSummary>;
  };
  bucketMax: number;
  /** Every model any account reported quota for, sorted. */
  models: string[];
  accounts: AccountLimits[];
}

// 0 means "never"; a value no Date can hold renders as unknown instead of failing the whole report.
const iso = (at: number | undefined) => (at ? isoOrNull(at) : null);

export function fixFor(kind: InvalidKind, label: string, url?: string): string {
  switch (kind) {
    case "auth_revoked":
      return "Google no longer accepts its refresh token: sign in again with `agcp accounts add`.";
    case "verification_required":
      return `Google wants a human to verify the account${url ? ` at ${url}` : " (sign in to Antigravity with it)"}; then reset it in the console or run \`agcp accounts verify\`.`;
    case "banned":
      return `Google disabled the account; remove it with \`agcp accounts remove ${label}\`.`;
  }
}

function reasonFor(v: AccountView): string | null {
  switch (v.status) {
    case "invalid":
      return v.invalid ? `${v.invalid.kind}: ${v.invalid.reason}` : "invalid";
    case "cooling": {
      // The countdown is in NEXT RESET (and each cooldown's `until`), so the reason stays short.
      const out = POOL_IDS.filter((p) => v.pools[p]?.status === "out");
      const list = Object.entries(v.cooldowns).sort((a, b) => a[1].until - b[1].until);
      const parts = out.map((p) => {
        const pool = v.pools[p]!;
        return pool.window ? `${p} pool out (${pool.window} window empty)` : `${p} pool out (${pool.reason})`;
      });
      if (list.length > 0) {
        const [model, c] = list[0]!;
        parts.push(`${c.reason} on ${model}${list.length > 1 ? ` (+${list.length - 1} more)` : ""}`);
      }
      return parts.join("; ");
    }
    case "low-quota": {
      const lowWindow = v.windows.find((w) => !w.stale && w.remaining <= w.floor);
      if (lowWindow) return `${lowWindow.pool} ${lowWindow.window} window at its floor (${formatPercent(lowWindow.remaining)})`;
      const low = Object.entries(v.quota).filter(([, q]) => !q.stale && q.fraction <= q.floor);
      if (low.length === 1) {
        const [model, q] = low[0]!;
        return `${model} at its quota floor (${formatPercent(q.fraction)})`;
      }
      // Name them (the first three), so nobody has to open the matrix to learn which.
      const named = low.slice(0, 3).map(([m, q]) => `${m} ${formatPercent(q.fraction)}`).join(", ");
      return `${low.length} models at their quota floor: ${named}${low.length > 3 ? `, +${low.length - 3} more` : ""}`;
    }
    default:
      return null;
  }
}

export function buildLimitsReport(input: LimitsInput): LimitsReport {
  const { now } = input;
  const models = new Set<string>();
  const pools = Object.fromEntries(
    POOL_IDS.map((p): [PoolId, PoolSummary] => [p, { available: 0, low: 0, out: 0, nextBackAt: null }]),
  ) as Record<PoolId, PoolSummary>;
  const summary = { total: input.accounts.length, available: 0, rateLimited: 0, invalid: 0, disabled: 0, pools };
  const accounts = input.accounts.map((v): AccountLimits => {
    if (v.status === "available" || v.status === "low-quota") summary.available++;
    else if (v.status === "cooling") summary.rateLimited++;
    else summary[v.status]++;
    if (v.enabled && !v.invalid) countPools(pools, v);
    const quota: Record<string, QuotaCell> = {};
    for (const model of Object.keys(v.quota).sort()) {
      const q = v.quota[model]!;
      models.add(model);
      quota[model] = { remaining: q.fraction, resetAt: iso(q.resetAt), stale: q.stale, floor: q.floor };
    }
    return {
      id: v.id,
      label: v.label,
      tier: v.tier ?? null,
      enabled: v.enabled,
      status: v.status,
      reason: reasonFor(v),
      fix: v.status === "invalid" && v.invalid ? fixFor(v.invalid.kind, v.label, v.invalid.url) : null,
      invalid: v.invalid ? { kind: v.invalid.kind, reason: v.invalid.reason, url: v.invalid.url ?? null } : null,
      health: Math.round(v.health),
      tokens: Math.floor(v.tokens * 10) / 10,
      inFlight: v.inFlight,
      consecutiveFailures: v.consecutiveFailures,
      lastUsedAt: iso(v.lastUsedAt),
      nextResetAt: iso(v.nextResetAt),
      cooldowns: Object.entries(v.cooldowns)
        .sort((a, b) => a[1].until - b[1].until)
        .flatMap(([model, c]) => {
          const until = isoOrNull(c.until);
          return until ? [{ model, reason: c.reason, until }] : [];
        }),
      quota,
      windows: v.windows.map((w) => ({
        pool: w.pool,
        window: w.window,
        remaining: w.remaining,
        resetAt: iso(w.resetAt),
        stale: w.stale,
        floor: w.floor,
      })),
      pools: Object.fromEntries(
        POOL_IDS.filter((p) => v.pools[p]).map((p) => {
          const pool = v.pools[p]!;
          return [p, { status: pool.status, until: iso(pool.until), window: pool.window ?? null, reason: pool.reason ?? null }];
        }),
      ),
    };
  });
  return {
    generatedAt: isoOrNull(now) ?? new Date().toISOString(),
    strategy: input.strategy,
    summary,
    bucketMax: input.bucketMax,
    models: [...models].sort(),
    accounts,
  };
}

function countPools(pools: Record<PoolId, PoolSummary>, v: AccountView): void {
  for (const id of POOL_IDS) {
    const p = v.pools[id];
    const sum = pools[id];
    if (p?.status === "out") {
      sum.out++;
      const until = p.until !== undefined ? new Date(p.until).toISOString() : null;
      if (until && (sum.nextBackAt === null || until < sum.nextBackAt)) sum.nextBackAt = until;
      continue;
    }
    sum.available++;
    if (p?.status === "low") sum.low++;
  }
}

export interface TableOptions {
  /** Columns the text should fit in. Default 120; clamped to 60..240. */
  width?: number;
  /** What to say when no account has quota data yet. */
  noQuotaHint?: string;
  /** Append "To fix" lines for invalid accounts. Default true. */
  fixes?: boolean;
}

const NO_QUOTA_HINT = "No quota data yet (it is read in the background; add ?refresh=1 to read it now).";

const LABEL_MAX = 32;
const MATRIX_LABEL_MAX = 24;
const MODEL_MAX = 36;
const STATUS_MIN = 16;

/** One quota cell: `83%`, `0% (resets in 1h02m)`, `-` unknown, `[invalid]`. */
export function quotaCellText(account: AccountLimits, model: string, now: number): string {
  if (account.status === "invalid") return "[invalid]";
  const q = account.quota[model];
  if (!q) return "-";
  const text = formatPercent(q.remaining);
  // The reset only matters where the account is held back for the model.
  if (q.remaining <= q.floor && q.resetAt) return `${text} (resets in ${formatDuration(Date.parse(q.resetAt) - now)})`;
  return text;
}

/** "13:02Z" today, "Jun 03 13:02Z" on another day (UTC). */
export function formatClock(at: number, now: number): string {
  const d = new Date(at);
  const hm = d.toISOString().slice(11, 16);
  if (d.toISOString().slice(0, 10) === new Date(now).toISOString().slice(0, 10)) return `${hm}Z`;
  return `${d.toLocaleString("en-US", { month: "short", timeZone: "UTC" })} ${d.toISOString().slice(8, 10)} ${hm}Z`;
}

/** "claude: 2 available, 1 out until 13:02Z" — what can serve each pool, the way upstream limits it. */
export function poolSummaryText(pool: PoolId, p: PoolSummary, now: number): string {
  const parts = [`${p.available} available${p.low > 0 ? ` (${p.low} low)` : ""}`];
  if (p.out > 0) {
    const when = p.nextBackAt ? formatClock(Date.parse(p.nextBackAt), now) : "?";
    parts.push(p.out === 1 ? `1 out until ${when}` : `${p.out} out, the first until ${when}`);
  }
  return `${pool}: ${parts.join(", ")}`;
}

/**
 * "3 accounts: 3 usable, 0 invalid · claude: 2 available, 1 out until 13:02Z · gemini: 3
 * available · strategy hybrid", broken into lines where it must.
 */
export function summaryLines(r: LimitsReport, width = Number.POSITIVE_INFINITY): string[] {
  const s = r.summary;
  const now = Date.parse(r.generatedAt);
  const parts = [`${s.total - s.invalid - s.disabled} usable`, `${s.invalid} invalid`];
  if (s.disabled > 0) parts.push(`${s.disabled} disabled`);
  const pieces = [
    `${s.total} account${s.total === 1 ? "" : "s"}: ${parts.join(", ")}`,
    ...POOL_IDS.map((p) => poolSummaryText(p, s.pools[p], now)),
    `strategy ${r.strategy}`,
  ];
  const lines: string[] = [];
  for (const piece of pieces) {
    const last = lines.length - 1;
    if (last >= 0 && `${lines[last]} · ${piece}`.length <= width) lines[last] = `${lines[last]} · ${piece}`;
    else lines.push(piece);
  }
  return lines;
}

function accountsTable(r: LimitsReport, now: number, width: number): string[] {
  const header = ["ACCOUNT", "TIER", "HEALTH", "TOKENS", "LAST USED", "NEXT RESET", "STATUS"];
  const align: Align[] = ["left", "left", "right", "right", "left", "left", "left"];
  // Labels give way first when the width is tight, down to a still-recognisable 12 columns.
  const otherFixed = 4 + 6 + 6 + 9 + 10 + 2 * 6;
  const labelMax = Math.max(12, Math.min(LABEL_MAX, width - otherFixed - STATUS_MIN));
  const rows = r.accounts.map((a) => [
    truncate(a.label, labelMax),
    a.tier ?? "-",
    String(a.health),
    String(Math.floor(a.tokens)),
    formatAgo(a.lastUsedAt ? Date.parse(a.lastUsedAt) : undefined, now),
    a.nextResetAt ? `in ${formatDuration(Date.parse(a.nextResetAt) - now)}` : "-",
    a.reason ? `${a.status}: ${a.reason}` : a.status,
  ]);
  // STATUS goes last and is the one column cut to fit: its reason can be a whole upstream sentence.
  const fixedWidths = header.slice(0, -1).map((_, i) => Math.max(...[header, ...rows].map((row) => row[i]!.length)));
  const used = fixedWidths.reduce((a, b) => a + b + 2, 0);
  const statusWidth = Math.max(STATUS_MIN, width - used);
  for (const row of rows) row[6] = truncate(row[6]!, statusWidth);
  return renderColumns([header, ...rows], align);
}

/** Models down, accounts across; split into blocks of accounts when they do not fit the width. */
function quotaMatrix(r: LimitsReport, now: number, width: number, noQuotaHint: string): string[] {
  if (r.models.length === 0) return [noQuotaHint];
  const modelCol = ["MODEL", ...r.models.map((m) => truncate(m, MODEL_MAX))];
  const modelWidth = Math.max(...modelCol.map((c) => c.length));
  const columns = r.accounts.map((a) => [truncate(a.label, MATRIX_LABEL_MAX), ...r.models.map((m) => quotaCellText(a, m, now))]);
  const blocks: string[][][] = [];
  let block: string[][] = [];
  let used = modelWidth;
  for (const col of columns) {
    const w = Math.max(...col.map((c) => c.length)) + 2;
    if (block.length > 0 && used + w > width) {
      blocks.push(block);
      block = [];
      used = modelWidth;
    }
    block.push(col);
    used += w;
  }
  blocks.push(block);
  const out: string[] = [];
  for (const cols of blocks) {
    if (out.length > 0) out.push("");
    const rows = modelCol.map((m, i) => [m, ...cols.map((c) => c[i]!)]);
    out.push(...renderColumns(rows));
  }
  return out;
}

/** One window cell: `83%`, `0% (resets in 2d03h)`, `-` unknown, `[invalid]`. */
export function windowCellText(account: AccountLimits, pool: PoolId, window: WindowId, now: number): string {
  if (account.status === "invalid") return "[invalid]";
  const w = account.windows.find((x) => x.pool === pool && x.window === window);
  const out = account.pools[pool];
  if (!w) return out?.status === "out" && out.window === window && out.until ? `0% (resets in ${formatDuration(Date.parse(out.until) - now)})` : "-";
  const text = formatPercent(w.remaining);
  // The reset only matters where the window holds the account back.
  const held = w.remaining <= w.floor || (out?.status === "out" && out.window === window);
  const resetAt = out?.status === "out" && out.window === window && out.until ? out.until : w.resetAt;
  if (held && resetAt) return `${text} (resets in ${formatDuration(Date.parse(resetAt) - now)})`;
  return text;
}

/** Pools and windows down, accounts across — only when some account has window data. */
function windowMatrix(r: LimitsReport, now: number, width: number): string[] {
  const rows = POOL_IDS.flatMap((pool) =>
    (["5h", "weekly"] as const)
      .filter((window) => r.accounts.some((a) => a.windows.some((w) => w.pool === pool && w.window === window)))
      .map((window) => ({ pool, window })),
  );
  if (rows.length === 0) return [];
  const head = ["POOL", ...rows.map((x) => x.pool)];
  const win = ["WINDOW", ...rows.map((x) => x.window)];
  const fixed = Math.max(...head.map((c) => c.length)) + Math.max(...win.map((c) => c.length)) + 2;
  const columns = r.accounts.map((a) => [truncate(a.label, MATRIX_LABEL_MAX), ...rows.map((x) => windowCellText(a, x.pool, x.window, now))]);
  const out: string[] = [];
  let block: string[][] = [];
  let used = fixed;
  const flush = () => {
    if (out.length > 0) out.push("");
    const lines = head.map((h, i) => [h, win[i]!, ...block.map((c) => c[i]!)]);
    out.push(...renderColumns(lines));
  };
  for (const col of columns) {
    const w = Math.max(...col.map((c) => c.length)) + 2;
    if (block.length > 0 && used + w > width) {
      flush();
      block = [];
      used = fixed;
    }
    block.push(col);
    used += w;
  }
  flush();
  return out;
}

/** The whole `?format=table` answer: summary, accounts, quota matrix, and fixes for invalid accounts. */
export function renderLimitsTable(r: LimitsReport, options: TableOptions = {}): string {
  const width = Math.min(240, Math.max(60, options.width ?? 120));
  const now = Date.parse(r.generatedAt);
  const lines = [...summaryLines(r, width), ""];
  if (r.accounts.length === 0) {
    lines.push("No accounts configured. Add one with `agcp accounts add` or in agcp.config.ts.");
    return lines.join("\n") + "\n";
  }
  const windows = windowMatrix(r, now, width);
  lines.push(...accountsTable(r, now, width), "");
  if (windows.length > 0) lines.push(...windows, "");
  lines.push(...quotaMatrix(r, now, width, options.noQuotaHint ?? NO_QUOTA_HINT));
  const pace = r.accounts.flatMap((a) => (a.forecast ?? []).filter((f) => f.runOutAt !== null));
  if (pace.length > 0) {
    lines.push("", "Forecast (recent pace):");
    for (const f of pace.sort((x, y) => Number(y.runsOutBeforeReset) - Number(x.runsOutBeforeReset))) lines.push(`  ${truncate(f.text, width - 2)}`);
  }
  const broken = options.fixes === false ? [] : r.accounts.filter((a) => a.fix);
  if (broken.length > 0) {
    lines.push("", "To fix:");
    for (const a of broken) lines.push(`  ${a.label}: ${a.fix}`);
  }
  return lines.join("\n") + "\n";
}
