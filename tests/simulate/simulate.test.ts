/** The strategy simulator and the reset-aware strategy: deterministic numbers, and the evidence behind them. */
import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config/resolve.ts";
import { simulate, staggeredAccounts } from "../../src/simulate/engine.ts";
import { workload } from "../../src/simulate/workloads.ts";
import { runCli } from "../cli/helpers.ts";

const DEFAULT = resolveConfig({ file: {}, baseDir: process.cwd(), env: {}, homeDir: "/nonexistent" }).strategy;
const run = (strategy: typeof DEFAULT, name: "team" | "night-shift") =>
  simulate({ strategy, accounts: staggeredAccounts(5), requests: workload(name, 7, 1), days: 7, seed: 1, per5h: 600, perWeek: 2000 });

describe("agcp simulate", () => {
  test("--json prints every strategy with the agreed fields, and the same seed gives the same numbers", async () => {
    const args = ["simulate", "--workload", "team", "--accounts", "5", "--days", "2", "--seed", "1", "--strategy", "all", "--json"];
    const [a, b] = await Promise.all([runCli(args), runCli(args)]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    const out = JSON.parse(a.stdout);
    expect(out.strategies.map((s: { name: string }) => s.name)).toEqual(["hybrid", "sticky", "round-robin", "reset-aware"]);
    for (const s of out.strategies) {
      for (const k of ["served", "servedBeforeFirstRefusal", "refused", "waited", "expired", "affinityRate", "peakPerAccountPerMinute"]) expect(typeof s[k]).toBe("number");
      expect(s.served + s.refused).toBe(out.requests);
    }
    const other = JSON.parse((await runCli([...args.slice(0, 8), "2", ...args.slice(9)])).stdout);
    expect(JSON.stringify(other.strategies)).not.toBe(JSON.stringify(out.strategies));
  }, 60_000);

  test("a bad option is a usage error (exit 2)", async () => {
    expect((await runCli(["simulate", "--workload", "weekend"])).code).toBe(2);
    expect((await runCli(["simulate", "--strategy", "fastest"])).code).toBe(2);
  }, 20_000);
});

describe("the default strategy against the seed's hybrid formula (7 days, 5 staggered accounts, seed 1)", () => {
  test("the default is reset-aware", () => expect(DEFAULT).toBe("reset-aware"));

  // Measured, not claimed: these are the figures docs/strategies.md reports; a regression fails here.
  test("team (tuned on): at least 15 % more served before the first refusal, no lower session affinity", () => {
    const hybrid = run("hybrid", "team");
    const aware = run(DEFAULT, "team");
    expect(aware.servedBeforeFirstRefusal / hybrid.servedBeforeFirstRefusal).toBeGreaterThan(1.15);
    expect(aware.affinityRate).toBeGreaterThanOrEqual(hybrid.affinityRate);
    expect(aware.expired).toBeLessThan(hybrid.expired);
  }, 30_000);

  test("night-shift (held out, never tuned on): at least 15 % more before the first refusal, no lower affinity", () => {
    const hybrid = run("hybrid", "night-shift");
    const aware = run(DEFAULT, "night-shift");
    expect(aware.servedBeforeFirstRefusal / hybrid.servedBeforeFirstRefusal).toBeGreaterThan(1.15);
    expect(aware.affinityRate).toBeGreaterThanOrEqual(hybrid.affinityRate);
  }, 30_000);
});
