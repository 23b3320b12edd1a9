// Claude Code's parallel subagents through real HTTP: they share their parent's session uuid
// (metadata.user_id), yet each is a conversation of its own, so a burst spreads over accounts
// (least-busy scoring, the in-flight cap) while the main conversation keeps its account.
import { describe, expect, test } from "bun:test";
import type { AgcpConfig } from "../../src/config/types.ts";
import type { Stack } from "../support/stack.ts";
import { fullAccounts, quotaLoaded, stacksClosedAfterEach, waitFor } from "./helpers.ts";

const MODEL = "claude-sonnet-4-6";
const SESSION = "5f0c2a9e-8d41-4b6a-9f3e-2c7d1e0a4b58";
const USER_ID = `user_${"ab".repeat(32)}_account_0d3c8a71-22f4-4e0b-8c5d-7a9b6e1f2c30_session_${SESSION}`;
const ROOMY: AgcpConfig["pool"] = { bucket: { max: 1000, initial: 1000 } };
const ADMIN = { "x-api-key": "test-key" };

const stackOf = stacksClosedAfterEach();

/** One turn as Claude Code sends it: its session uuid in metadata, a system prompt, the conversation so far. */
async function turn(stack: Stack, system: string, first: string, more: string[] = []): Promise<string> {
  const messages: Array<{ role: "user" | "assistant"; content: string }> = [{ role: "user", content: first }];
  for (const m of more) messages.push({ role: "assistant", content: "ok" }, { role: "user", content: m });
  const { response } = await stack.client.messages
    .create({ model: MODEL, max_tokens: 32, system, metadata: { user_id: USER_ID }, messages })
    .withResponse();
  return response.headers.get("x-agcp-account") ?? "";
}

const inFlightNow = (stack: Stack, emails: string[]) => emails.map((e) => stack.agcp.runtime.pool.inFlight(e));

describe("bursts of parallel subagents (real HTTP, simulator upstream)", () => {
  test("20 parallel subagents of one session spread over ≥ 3 accounts with a cap of 8; the main conversation's next turn returns to its account", async () => {
    const accounts = fullAccounts(5, "burst");
    const emails = accounts.map((a) => a.email);
    const stack = await stackOf({ accounts, config: { pool: { ...ROOMY, maxInFlightPerAccount: 8 } } });
    await quotaLoaded(stack, MODEL);
    const mainSystem = "You are Claude Code, Anthropic's official CLI for Claude.";
    const home = await turn(stack, mainSystem, "refactor the parser");

    // The subagents answer slowly, so all twenty are in flight at once.
    await stack.control("/faults", { body: { latencyMs: 3_000 } });
    const burst = Promise.all(Array.from({ length: 20 }, (_, i) => turn(stack, "You are a file search specialist for Claude Code.", `subtask ${i}: find the callers of parse()`)));
    const peak = await waitFor("all 20 subagents in flight", () => {
      const now = inFlightNow(stack, emails);
      return now.reduce((a, b) => a + b, 0) === 20 ? now : undefined;
    }, 10_000);
    expect(Math.max(...peak)).toBeLessThanOrEqual(8);
    expect(peak.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    // The same numbers where a user watches: /account-limits and /metrics.
    const limits = await (await fetch(`${stack.url}/account-limits`, { headers: ADMIN })).json();
    expect(limits.accounts.reduce((n: number, a: { inFlight: number }) => n + a.inFlight, 0)).toBe(20);
    const metrics = await (await fetch(`${stack.url}/metrics`, { headers: ADMIN })).text();
    expect(metrics).toMatch(/agcp_account_in_flight\{account="burst\d@agcp\.test"\} [1-8]\b/);
    const served = await burst;
    expect(new Set(served).size).toBeGreaterThanOrEqual(3);

    await stack.control("/faults", { body: {} });
    expect(await turn(stack, mainSystem, "refactor the parser", ["now run the tests"])).toBe(home);
  }, 60_000);

  test("every account at its cap: the next request waits for a slot instead of failing, and the log says so", async () => {
    const accounts = fullAccounts(2, "cap");
    const emails = accounts.map((a) => a.email);
    const stack = await stackOf({ accounts, config: { pool: { ...ROOMY, maxInFlightPerAccount: 1 } } });
    await quotaLoaded(stack, MODEL);
    await stack.control("/faults", { body: { latencyMs: 2_000 } });
    const first = Promise.all([0, 1].map((i) => turn(stack, "sys", `busy ${i}`)));
    await waitFor("both accounts busy", () => inFlightNow(stack, emails).every((n) => n === 1));
    const third = await turn(stack, "sys", "wait for a slot");
    expect(emails).toContain(third);
    await first;
    const log = await fetch(`${stack.url}/api/requests`, { headers: ADMIN }).then((r) => r.json());
    expect(await (await fetch(`${stack.url}/metrics`, { headers: ADMIN })).text()).toContain(`agcp_slot_waits_total{model="${MODEL}"} 1`);
    const entries: Array<{ trace: string[]; status: number }> = log.requests ?? log;
    expect(entries.some((e) => e.status === 200 && e.trace.some((t) => t.includes("waited for a free slot")))).toBe(true);
  }, 30_000);
});
