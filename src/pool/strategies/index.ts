import type { Strategy } from "../strategy.ts";
import type { StrategyName } from "../tuning.ts";
import { hybrid } from "./hybrid.ts";
import { resetAware } from "./reset-aware.ts";
import { roundRobin } from "./round-robin.ts";
import { sticky } from "./sticky.ts";

export const STRATEGY_BY_NAME: Readonly<Record<StrategyName, Strategy>> = {
  hybrid,
  sticky,
  "round-robin": roundRobin,
  "reset-aware": resetAware,
};

export function getStrategy(name: StrategyName): Strategy {
  const s = STRATEGY_BY_NAME[name];
  if (!s) throw new Error(`unknown strategy "${String(name)}"; expected one of ${Object.keys(STRATEGY_BY_NAME).join(", ")}`);
  return s;
}

export { hybrid, resetAware, roundRobin, sticky };
