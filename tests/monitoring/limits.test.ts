// The /account-limits report and table as pure functions: golden output with a fixed clock.
import { describe, expect, test } from "bun:test";
import { formatAgo, formatPercent, truncate } from "../../src/console/format.ts";
import { formatDuration } from "../../src/pool/explain.ts";
import { buildLimitsReport, quotaCellText, renderLimitsTable, windowCellText } from "../../src/console/limits.ts";
import { createPool } from "../../src/pool/pool.ts";
import type { AccountView } from "../../src/pool/types.ts";
import { UpstreamError } from "../../src/upstream/errors.ts";

const NOW = Date.parse("2025-06-01T12:00:00.000Z");
const MIN = 60_000;
const HOUR = 60 * MIN;

function view(over: Partial<AccountView> & Pick<AccountView, "id">): AccountView {
  return {
    label: over.id,
    enabled: true,
    status: "available",
    health: 70,
    tokens: 50,
    lastUsedAt: 0,
    inFlight: 0,
    consecutiveFailures: 0,
    cooldowns: {},
    quota: {},
    windows: [],
    pools: {},
    ...over,
  };
}

const q = (fraction: number, extra: { resetAt?: number; stale?: boolean; floor?: number } = {}) => ({
  fraction,
  fetchedAt: NOW - MIN,
  stale: extra.stale ?? false,
  floor: extra.floor ?? 0.05,
  ...(extra.resetAt !== undefined && { resetAt: extra.resetAt }),
});

const OPUS = "claude-opus-4-6-thinking";
const SONNET = "claude-sonnet-4-6";
const FLASH = "gemini-3-flash";

const DAY = 24 * HOUR;
const w = (pool: "claude" | "gemini", window: "5h" | "weekly", remaining: number, resetAt: number) => ({
  pool,
  window,
  remaining,
  resetAt,
  fetchedAt: NOW - MIN,
  stale: false,
  floor: 0.05,
});

/** One account in every state the table distinguishes. */
function mixedViews(): AccountView[] {
  return [
    view({
      id: "work",
      tier: "ultra",
      health: 83.6,
      tokens: 41.7,
      lastUsedAt: NOW - 12_000,
      quota: { [OPUS]: q(0.83), [SONNET]: q(0.83), [FLASH]: q(0.5) },
      windows: [w("gemini", "5h", 0.5, NOW + 3 * HOUR), w("gemini", "weekly", 0.9, NOW + 5 * DAY), w("claude", "5h", 0.83, NOW + 2 * HOUR), w("claude", "weekly", 0.6, NOW + 4 * DAY)],
      pools: { gemini: { status: "available" }, claude: { status: "available" } },
    }),
    view({
      id: "personal@gmail.com",
      tier: "pro",
      status: "cooling",
      health: 60,
      tokens: 49,
      lastUsedAt: NOW - 3 * MIN - 5_000,
      // Its weekly Claude window is empty: out for every Claude model until the weekly reset.
      cooldowns: { [FLASH]: { until: NOW + HOUR + 2 * MIN, reason: "rate_limited", hits: 0, since: NOW - MIN } },
      quota: { [OPUS]: q(0.4), [SONNET]: q(0.4) },
      windows: [w("claude", "5h", 0.4, NOW + HOUR), w("claude", "weekly", 0, NOW + 2 * DAY + 3 * HOUR)],
      pools: {
        gemini: { status: "available" },
        claude: { status: "out", until: NOW + 2 * DAY + 3 * HOUR, window: "weekly", reason: "quota_exhausted" },
      },
      nextResetAt: NOW + HOUR + 2 * MIN,
    }),
    view({
      id: "old",
      tier: "free",
      status: "invalid",
      health: 50,
      invalid: { kind: "auth_revoked", reason: "refresh token rejected", at: NOW - HOUR },
      quota: { [OPUS]: q(0.9) },
    }),
    view({ id: "spare", enabled: false, status: "disabled" }),
  ];
}

const GOLDEN_TABLE = `4 accounts: 2 usable, 1 invalid, 1 disabled · gemini: 2 available · claude: 1 available, 1 out until Jun 03 15:00Z
strategy hybrid

ACCOUNT             TIER   HEALTH  TOKENS  LAST USED  NEXT RESET  STATUS
work                ultra      84      41  12s ago    -           available
personal@gmail.com  pro        60      49  3m05s ago  in 1h02m    cooling: claude pool out (weekly window empty); rate_…
old                 free       50      50  never      -           invalid: auth_revoked: refresh token rejected
spare               -          70      50  never      -           disabled

POOL    WINDOW  work  personal@gmail.com    old        spare
gemini  5h      50%   -                     [invalid]  -
gemini  weekly  90%   -                     [invalid]  -
claude  5h      83%   40%                   [invalid]  -
claude  weekly  60%   0% (resets in 2d03h)  [invalid]  -

MODEL                     work  personal@gmail.com  old        spare
claude-opus-4-6-thinking  83%   40%                 [invalid]  -
claude-sonnet-4-6         83%   40%                 [invalid]  -
gemini-3-flash            50%   -                   [invalid]  -

To fix:
  old: Google no longer accepts its refresh token: sign in again with \`agcp accounts add\`.
`;

describe("limits table", () => {
  test("golden: summary, accounts, quota matrix and fixes", () => {
    const report = buildLimitsReport({ accounts: mixedViews(), strategy: "hybrid", now: NOW, bucketMax: 50 });
    expect(renderLimitsTable(report)).toBe(GOLDEN_TABLE);
  });

  test("golden JSON shape", () => {
    const report = buildLimitsReport({ accounts: mixedViews(), strategy: "sticky", now: NOW, bucketMax: 50 });
    expect(report.generatedAt).toBe("2025-06-01T12:00:00.000Z");
    expect(report.strategy).toBe("sticky");
    expect(report.summary).toEqual({
      total: 4,
      available: 1,
      rateLimited: 1,
      invalid: 1,
      disabled: 1,
      pools: {
        gemini: { available: 2, low: 0, out: 0, nextBackAt: null },
        claude: { available: 1, low: 0, out: 1, nextBackAt: "2025-06-03T15:00:00.000Z" },
      },
    });
    expect(report.models).toEqual([OPUS, SONNET, FLASH]);
    expect(report.accounts[1]).toEqual({
      id: "personal@gmail.com",
      label: "personal@gmail.com",
      tier: "pro",
      enabled: true,
      status: "cooling",
      reason: `claude pool out (weekly window empty); rate_limited on ${FLASH}`,
      fix: null,
      invalid: null,
      health: 60,
      tokens: 49,
      inFlight: 0,
      consecutiveFailures: 0,
      lastUsedAt: "2025-06-01T11:56:55.000Z",
      nextResetAt: "2025-06-01T13:02:00.000Z",
      cooldowns: [{ model: FLASH, reason: "rate_limited", until: "2025-06-01T13:02:00.000Z" }],
      quota: {
        [OPUS]: { remaining: 0.4, resetAt: null, stale: false, floor: 0.05 },
        [SONNET]: { remaining: 0.4, resetAt: null, stale: false, floor: 0.05 },
      },
      windows: [
        { pool: "claude", window: "5h", remaining: 0.4, resetAt: "2025-06-01T13:00:00.000Z", stale: false, floor: 0.05 },
        { pool: "claude", window: "weekly", remaining: 0, resetAt: "2025-06-03T15:00:00.000Z", stale: false, floor: 0.05 },
      ],
      pools: {
        gemini: { status: "available", until: null, window: null, reason: null },
        claude: { status: "out", until: "2025-06-03T15:00:00.000Z", window: "weekly", reason: "quota_exhausted" },
      },
    });
    expect(report.accounts[2]!.invalid).toEqual({ kind: "auth_revoked", reason: "refresh token rejected", url: null });
    expect(report.accounts[2]!.fix).toContain("agcp accounts add");
    expect(report.accounts[0]!.health).toBe(84);
    expect(report.accounts[0]!.tokens).toBe(41.7);
    // Round-trips as JSON without losing anything.
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  test("quota cells: percent, reset only when held back, unknown, invalid", () => {
    const report = buildLimitsReport({ accounts: mixedViews(), strategy: "hybrid", now: NOW, bucketMax: 50 });
    const [work, personal, old] = report.accounts;
    expect(quotaCellText(work!, OPUS, NOW)).toBe("83%");
    expect(quotaCellText(personal!, OPUS, NOW)).toBe("40%");
    expect(windowCellText(personal!, "claude", "weekly", NOW)).toBe("0% (resets in 2d03h)");
    expect(windowCellText(personal!, "claude", "5h", NOW)).toBe("40%");
    expect(windowCellText(personal!, "gemini", "5h", NOW)).toBe("-");
    expect(windowCellText(old!, "claude", "5h", NOW)).toBe("[invalid]");
    expect(quotaCellText(personal!, FLASH, NOW)).toBe("-");
    expect(quotaCellText(old!, OPUS, NOW)).toBe("[invalid]");
  });

  test("fits 80 and 160 columns with many long-labelled accounts, splitting the matrix into blocks", () => {
    const many = Array.from({ length: 9 }, (_, i) =>
      view({
        id: `someone.with.a.long.name.${i}@example-company.com`,
        tier: "pro",
        status: "invalid",
        invalid: { kind: "verification_required", reason: "x".repeat(300), at: NOW },
        quota: { [OPUS]: q(0, { resetAt: NOW + 26 * HOUR }), [SONNET]: q(0.337) },
      }),
    );
    // Valid accounts with both windows of both pools, so the window matrix has to split too.
    for (let i = 0; i < 9; i++) {
      many.push(
        view({
          id: `another.rather.long.label.${i}@example-company.com`,
          windows: [w("gemini", "5h", 0.5, NOW + HOUR), w("gemini", "weekly", 0.9, NOW + DAY), w("claude", "5h", 0, NOW + 2 * HOUR), w("claude", "weekly", 0.02, NOW + 3 * DAY)],
          pools: { claude: { status: "out", until: NOW + 2 * HOUR, window: "5h", reason: "quota_exhausted" }, gemini: { status: "available" } },
        }),
      );
    }
    for (const width of [80, 160]) {
      const text = renderLimitsTable(buildLimitsReport({ accounts: many, strategy: "round-robin", now: NOW, bucketMax: 50 }), {
        width,
        fixes: false,
      });
      const lines = text.split("\n");
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(width);
      const blocks = lines.filter((l) => l.startsWith("MODEL")).length;
      expect(blocks).toBeGreaterThan(1);
      expect(lines.filter((l) => l.startsWith("POOL")).length).toBeGreaterThan(1);
      expect(lines.filter((l) => /^claude\s+5h\s+0% \(resets in 2h00m\)/.test(l)).length).toBeGreaterThan(1);
      // Every account still appears in the matrix (truncated headers end with an ellipsis).
      const headerCells = lines.filter((l) => l.startsWith("MODEL")).join(" ").match(/someone/g) ?? [];
      expect(headerCells.length).toBe(9);
    }
  });

  test("no accounts and no quota yet say what to do", () => {
    const empty = renderLimitsTable(buildLimitsReport({ accounts: [], strategy: "hybrid", now: NOW, bucketMax: 50 }));
    expect(empty).toContain("0 accounts: 0 usable");
    expect(empty).toContain("agcp accounts add");
    const noQuota = renderLimitsTable(buildLimitsReport({ accounts: [view({ id: "a" })], strategy: "hybrid", now: NOW, bucketMax: 50 }));
    expect(noQuota).toContain("?refresh=1");
  });

  test("a real pool's views render with its own clock", () => {
    let now = NOW;
    const pool = createPool({ accounts: [{ id: "a" }, { id: "b" }], now: () => now, random: () => 0 });
    pool.setTier("a", "pro");
    pool.setQuota("a", { [OPUS]: { fraction: 0.25 } });
    pool.consumeToken("a");
    now += 30_000;
    pool.reportFailure(
      "b",
      OPUS,
      new UpstreamError({ kind: "quota_exhausted", message: "quota", status: 429, resetAt: now + 2 * HOUR, model: OPUS }),
    );
    const report = buildLimitsReport({ accounts: pool.accounts(), strategy: pool.strategy, now, bucketMax: pool.tuning.bucket.max });
    const text = renderLimitsTable(report);
    expect(text).toMatch(/^a\s+pro\s+\d+\s+\d+\s+30s ago/m);
    // One quota 429 on one Claude model: the account is out of the whole Claude pool, and says so.
    expect(text).toMatch(/^b\s+-.*in 2h00m\s+cooling: claude pool out \(5h window empty\)$/m);
    expect(text.split("\n")[0]).toContain("claude: 1 available, 1 out until 14:00Z");
    expect(text.split("\n")[0]).toContain("gemini: 2 available");
    expect(text).toMatch(/^claude-opus-4-6-thinking\s+25%\s+-$/m);
    expect(report.summary.rateLimited).toBe(1);
  });
});

describe("formatting helpers", () => {
  test("several models at their floor are named, not just counted", () => {
    const low = view({ id: "low", status: "low-quota", quota: { a: q(0.02), b: q(0.03), c: q(0.01), d: q(0.04), e: q(0.9) } });
    const report = buildLimitsReport({ accounts: [low], strategy: "hybrid", now: NOW, bucketMax: 50 });
    expect(report.accounts[0]?.reason).toBe("4 models at their quota floor: a 2%, b 3%, c 1%, +1 more");
  });

  test("countdowns pad their minor unit", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(999)).toBe("1s");
    expect(formatDuration(65_000)).toBe("1m05s");
    expect(formatDuration(HOUR + 2 * MIN)).toBe("1h02m");
    expect(formatDuration(27 * HOUR)).toBe("1d03h");
    expect(formatDuration(-5)).toBe("0s");
  });
  test("ago, percent, truncate", () => {
    expect(formatAgo(0, NOW)).toBe("never");
    expect(formatAgo(NOW - 200, NOW)).toBe("just now");
    expect(formatAgo(NOW - 90_000, NOW)).toBe("1m30s ago");
    expect(formatPercent(0.004)).toBe("<1%");
    expect(formatPercent(0.996)).toBe("99%");
    expect(formatPercent(0.834)).toBe("83%");
    expect(formatPercent(1)).toBe("100%");
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 4)).toBe("abc");
  });
});
