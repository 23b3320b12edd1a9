/**
 * `agcp simulate`: how much work a pool does before a client sees a refusal, per strategy — the
 * real pool code on the simulator's quota model, over virtual days, deterministic for a seed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { defineCommand } from "citty";
import { DEFAULT_TUNING, STRATEGIES, type StrategyName } from "../../pool/tuning.ts";
import { simulate, staggeredAccounts, type StrategyResult } from "../../simulate/engine.ts";
import { renderChart, renderTable } from "../../simulate/report.ts";
import { replay, workload, WORKLOADS, type SimRequest, type WorkloadName } from "../../simulate/workloads.ts";
import { globalArgs, intFlag, stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { withExamples } from "../help.ts";
import { plain } from "../output.ts";

export default withExamples(
  defineCommand({
    meta: { name: "simulate", description: "Compare strategies over virtual days on the simulator's quota model" },
    args: {
      workload: { type: "string", description: `Built-in workload: ${WORKLOADS.join(", ")}, or all (default team)`, valueHint: "name" },
      replay: { type: "string", description: "Replay an access log (agcp start --access-log lines) instead", valueHint: "file" },
      accounts: { type: "string", description: "Accounts (default 5), weekly windows staggered over the week", valueHint: "n" },
      tier: { type: "enum", options: ["pro", "ultra", "free"], description: "Tier of every account (default pro)" },
      "start-quota": { type: "string", description: "Percent left in every 5-hour window at the start (default 100)", valueHint: "%" },
      "max-in-flight": { type: "string", description: "Cap on requests in flight per account (pool.maxInFlightPerAccount; default 0: none)", valueHint: "n" },
      days: { type: "string", description: "Virtual days (default 7)", valueHint: "n" },
      seed: { type: "string", description: "Seed (default 1): the same seed gives the same numbers", valueHint: "n" },
      strategy: { type: "string", description: `${STRATEGIES.join(", ")}, a comma list, or all (default all)`, valueHint: "name" },
      "per-5h": { type: "string", description: "Requests a full 5-hour window allows per pool (default 600)", valueHint: "n" },
      "per-week": { type: "string", description: "Requests a full weekly window allows per pool (default 2000)", valueHint: "n" },
      json: { type: "boolean", description: "JSON instead of the table" },
      chart: { type: "string", description: "Write an SVG chart to this file", valueHint: "file" },
      ...globalArgs,
    },
    run({ args }) {
      const accounts = intFlag("accounts", args.accounts, 1, 1000) ?? 5;
      const days = intFlag("days", args.days, 1, 60) ?? 7;
      const seed = intFlag("seed", args.seed, 0, 2 ** 31) ?? 1;
      const per5h = intFlag("per-5h", args["per-5h"], 1, 1_000_000) ?? 600;
      const perWeek = intFlag("per-week", args["per-week"], 1, 10_000_000) ?? 2000;
      const startQuota = intFlag("start-quota", args["start-quota"], 0, 100) ?? 100;
      const maxInFlight = intFlag("max-in-flight", args["max-in-flight"], 0, 10_000) ?? DEFAULT_TUNING.maxInFlightPerAccount;
      const tuning = { ...DEFAULT_TUNING, maxInFlightPerAccount: maxInFlight };
      const strategies = pickStrategies(stringFlag("strategy", args.strategy) ?? "all");
      const replayFile = stringFlag("replay", args.replay);
      const names = pickWorkloads(stringFlag("workload", args.workload) ?? "team");
      const tier = (args.tier as "pro" | "ultra" | "free" | undefined) ?? "pro";
      const runs: Array<{ workload: string; requests: number; strategies: StrategyResult[] }> = [];
      const sets: Array<[string, SimRequest[]]> = replayFile
        ? [[`replay ${replayFile}`, replay(readText(replayFile))]]
        : names.map((n) => [n, workload(n, days, seed)]);
      for (const [name, requests] of sets) {
        runs.push({
          workload: name,
          requests: requests.length,
          strategies: strategies.map((strategy) =>
            simulate({ strategy, accounts: staggeredAccounts(accounts, tier).map((a) => ({ ...a, start: startQuota / 100 })), requests, days, seed, per5h, perWeek, tuning }),
          ),
        });
      }
      if (args.chart) writeFileSync(String(args.chart), renderChart(runs));
      if (args.json) {
        const params = { accounts, tier, days, seed, per5h, perWeek, startQuota, maxInFlight };
        plain.log(JSON.stringify(runs.length === 1 ? { ...params, ...runs[0] } : { ...params, runs }, null, 2));
        return;
      }
      plain.log(runs.map((r) => renderTable(`${r.workload} (${r.requests} requests, ${accounts} ${tier} accounts, ${days} days, seed ${seed})`, r.strategies)).join("\n\n"));
    },
  }),
  [
    "agcp simulate --workload team --accounts 5 --days 7 --seed 1 --strategy all",
    "agcp simulate --workload all --json",
    "agcp simulate --replay access.log --strategy hybrid,reset-aware --chart strategies.svg",
  ],
);

function pickStrategies(text: string): StrategyName[] {
  if (text === "all") return [...STRATEGIES];
  const names = text.split(",").map((s) => s.trim());
  for (const n of names) if (!(STRATEGIES as readonly string[]).includes(n)) throw new UsageError(`--strategy: expected ${STRATEGIES.join(", ")} or all, found ${JSON.stringify(n)}`);
  return names as StrategyName[];
}

function pickWorkloads(text: string): WorkloadName[] {
  if (text === "all") return [...WORKLOADS];
  if (!(WORKLOADS as readonly string[]).includes(text)) throw new UsageError(`--workload: expected ${WORKLOADS.join(", ")} or all, found ${JSON.stringify(text)}`);
  return [text as WorkloadName];
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`--replay: cannot read ${file}: ${(err as Error).message}`);
  }
}
