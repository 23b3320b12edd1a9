/**
 * The pool as people read it: one JSON report (for /account-limits, the console and the CLI)
 * and its aligned-text rendering. Pure: everything comes in as views plus `now`, so the same
 * input always gives the same bytes and golden tests need no clock.
 *
 * Only what the user chose to call an account (its label) is shown; tokens never enter here
 * because AccountView carries none.
 */
import type { AccountStatus, AccountView, InvalidKind } from "../pool/types.ts";
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
  consecutiveFailures: number;
  lastUsedAt: string | null;
  nextResetAt: string | null;
  cooldowns: Array<{ model: string; reason: string; until: string }>;
  quota: Record<string, QuotaCell>;
}

export interface LimitsReport {
  generatedAt: string;
  strategy: string;
  summary: { total: number; available: number; rateLimited: number; invalid: number; disabled: number };
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
      const list = Object.entries(v.cooldowns).sort((a, b) => a[1].until - b[1].until);
      const [model, c] = list[0]!;
      // The countdown is in NEXT RESET (and each cooldown's `until`), so the reason stays short.
      const more = list.length > 1 ? ` (+${list.length - 1} more)` : "";
      return `${c.reason} on ${model}${more}`;
    }
    case "low-quota": {
      const low = Object.entries(v.quota).filter(([, q]) => !q.stale && q.fraction <= q.floor);
      if (low.length !== 1) return `${low.length} models at their quota floor`;
      const [model, q] = low[0]!;
      return `${model} at its quota floor (${formatPercent(q.fraction)})`;
    }
    default:
      return null;
  }
}

export function buildLimitsReport(input: LimitsInput): LimitsReport {
  const { now } = input;
  const models = new Set<string>();
  const summary = { total: input.accounts.length, available: 0, rateLimited: 0, invalid: 0, disabled: 0 };
  const accounts = input.accounts.map((v): AccountLimits => {
    if (v.status === "available" || v.status === "low-quota") summary.available++;
    else if (v.status === "cooling") summary.rateLimited++;
    else summary[v.status]++;
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

/** "3 accounts: 2 available, 1 rate-limited, 0 invalid · strategy hybrid", on two lines if it must. */
export function summaryLines(r: LimitsReport, width = Number.POSITIVE_INFINITY): string[] {
  const s = r.summary;
  const parts = [`${s.available} available`, `${s.rateLimited} rate-limited`, `${s.invalid} invalid`];
  if (s.disabled > 0) parts.push(`${s.disabled} disabled`);
  const counts = `${s.total} account${s.total === 1 ? "" : "s"}: ${parts.join(", ")}`;
  const strategy = `strategy ${r.strategy}`;
  const one = `${counts} · ${strategy}`;
  return one.length <= width ? [one] : [counts, strategy];
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

/** The whole `?format=table` answer: summary, accounts, quota matrix, and fixes for invalid accounts. */
export function renderLimitsTable(r: LimitsReport, options: TableOptions = {}): string {
  const width = Math.min(240, Math.max(60, options.width ?? 120));
  const now = Date.parse(r.generatedAt);
  const lines = [...summaryLines(r, width), ""];
  if (r.accounts.length === 0) {
    lines.push("No accounts configured. Add one with `agcp accounts add` or in agcp.config.ts.");
    return lines.join("\n") + "\n";
  }
  lines.push(...accountsTable(r, now, width), "", ...quotaMatrix(r, now, width, options.noQuotaHint ?? NO_QUOTA_HINT));
  const broken = options.fixes === false ? [] : r.accounts.filter((a) => a.fix);
  if (broken.length > 0) {
    lines.push("", "To fix:");
    for (const a of broken) lines.push(`  ${a.label}: ${a.fix}`);
  }
  return lines.join("\n") + "\n";
}
