// `agcp start --demo` as a user runs it: /account-limits shows both quota windows of each pool.
import { expect, test } from "bun:test";
import { freePort, spawnCli, waitForOk } from "./helpers.ts";

test("agcp start --demo: /account-limits has windows with both windows, free tier weekly only", async () => {
  const port = await freePort();
  const cli = spawnCli(["start", "--demo", "--port", String(port)]);
  try {
    await cli.waitFor(/export ANTHROPIC_AUTH_TOKEN=/, 15_000);
    await waitForOk(`http://127.0.0.1:${port}/health`, 5_000);
    const report = (await (await fetch(`http://127.0.0.1:${port}/account-limits?refresh=1`)).json()) as {
      summary: { pools: Record<string, { available: number; low: number; out: number }> };
      accounts: Array<{ label: string; tier: string; windows: Array<{ pool: string; window: string; remaining: number; resetAt: string }> }>;
    };
    expect(report.accounts.length).toBeGreaterThanOrEqual(3);
    for (const a of report.accounts) {
      const seen = a.windows.map((w) => `${w.pool}/${w.window}`).sort();
      // Free tier has no 5-hour window upstream.
      expect(seen).toEqual(a.tier === "free" ? ["claude/weekly", "gemini/weekly"] : ["claude/5h", "claude/weekly", "gemini/5h", "gemini/weekly"]);
      for (const w of a.windows) {
        expect(w.remaining).toBeGreaterThanOrEqual(0);
        expect(w.remaining).toBeLessThanOrEqual(1);
        expect(Number.isNaN(Date.parse(w.resetAt))).toBe(false);
      }
    }
    expect(report.accounts.some((a) => a.tier === "free")).toBe(true);
    // The demo has one account nearly through its weekly Claude window.
    expect(report.accounts.some((a) => a.windows.some((w) => w.pool === "claude" && w.window === "weekly" && w.remaining < 0.05))).toBe(true);
    expect(report.summary.pools.claude!.low).toBeGreaterThanOrEqual(1);
    cli.proc.kill("SIGTERM");
    expect(await cli.proc.exited).toBe(0);
  } finally {
    cli.proc.kill("SIGKILL");
  }
}, 30_000);
