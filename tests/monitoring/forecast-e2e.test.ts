/** The run-out forecast through a real agcp: steady use shows up in /account-limits, the table and /metrics. */
import { expect, test } from "bun:test";
import { startStack } from "../support/stack.ts";

test("with steady use, /account-limits has a forecast per account and pool with a run-out time", async () => {
  // One account, so every request drains the same windows; 200 requests fill a window.
  const stack = await startStack({ accounts: [{ email: "steady@agcp.test", refreshToken: "sim-refresh-steady", tier: "pro" }], sim: { requestsPerQuota: 200 } });
  try {
    const refresh = async () => (await fetch(`${stack.url}/account-limits?refresh=1`)).json();
    await refresh();
    const started = Date.now();
    // Keep a steady pace for a little over a second, then read quota again.
    while (Date.now() - started < 1_200) {
      await stack.client.messages.create({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: "tick" }] });
    }
    const report = await refresh();
    const account = report.accounts[0];
    const claude5h = account.forecast?.find((f: { pool: string; window: string }) => f.pool === "claude" && f.window === "5h");
    expect(claude5h).toBeDefined();
    expect(claude5h.burnPerHour).toBeGreaterThan(0);
    expect(Date.parse(claude5h.runOutAt)).toBeGreaterThan(Date.now());
    expect(claude5h.text).toContain("at this pace the claude pool's 5h window of steady@agcp.test");
    // The Gemini pool was not touched: no run-out time there.
    const gemini = account.forecast?.find((f: { pool: string }) => f.pool === "gemini");
    if (gemini) expect(gemini.runOutAt).toBeNull();

    const table = await (await fetch(`${stack.url}/account-limits?format=table`)).text();
    expect(table).toContain("Forecast (recent pace):");
    const metrics = await (await fetch(`${stack.url}/metrics`)).text();
    expect(metrics).toMatch(/agcp_quota_runout_seconds\{account="steady@agcp.test",pool="claude",window="5h"\} \d+/);
  } finally {
    await stack.close();
  }
}, 20_000);
