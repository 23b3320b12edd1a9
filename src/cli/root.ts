import { defineCommand } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { globalArgs } from "./args.ts";
import { withExamples } from "./help.ts";

export const VERSION: string = pkg.version;

/** Lazy so `agcp --help` does not load the server; add new commands here. */
export const subCommands = {
  start: () => import("./commands/start.ts").then((m) => m.default),
  init: () => import("./commands/init.ts").then((m) => m.default),
  sim: () => import("./commands/sim.ts").then((m) => m.default),
  accounts: () => import("./commands/accounts.ts").then((m) => m.default),
  keys: () => import("./commands/keys.ts").then((m) => m.default),
  simulate: () => import("./commands/simulate.ts").then((m) => m.default),
  service: () => import("./commands/service.ts").then((m) => m.default),
  doctor: () => import("./commands/doctor.ts").then((m) => m.default),
};

export const rootCommand = withExamples(
  defineCommand({
    meta: {
      name: "agcp",
      version: VERSION,
      description: "Anthropic Messages API proxy balancing Claude Code across Google Antigravity accounts",
    },
    args: { ...globalArgs },
    subCommands,
  }),
  [
    "agcp init                 # write agcp.config.ts",
    "agcp start --demo         # try it with a simulated upstream",
    "agcp start --port 8080",
    "agcp sim --accounts 5",
    "agcp start --help",
  ],
);
