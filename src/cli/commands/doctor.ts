/**
 * `agcp doctor`: one command that checks the setup and says what to fix. Exit 1 when something
 * is wrong (warnings alone do not fail it); `--json` for scripts; `--demo` runs it against the
 * built-in simulator, as `agcp start --demo` would serve.
 */
import { defineCommand } from "citty";
import { consola } from "consola";
import { ConfigError } from "../../config/errors.ts";
import { loadConfig } from "../../config/load.ts";
import type { ResolvedConfig } from "../../config/resolve.ts";
import type { DoctorAccount } from "../../doctor/accounts.ts";
import { renderReport, runDoctor } from "../../doctor/index.ts";
import type { Finding } from "../../doctor/types.ts";
import { globalArgs, intFlag, stringFlag } from "../args.ts";
import { withDemoUpstream } from "../demo.ts";
import { withExamples } from "../help.ts";
import { plain } from "../output.ts";
import { knownAccounts } from "./accounts-actions.ts";
import { openAccountsStore } from "./accounts-store.ts";

async function loadForDoctor(args: { config?: unknown; port?: unknown; host?: unknown }, demo: boolean) {
  const configFile = stringFlag("config", args.config);
  const flags = {
    ...(args.port !== undefined && { port: String(args.port) }),
    ...(args.host !== undefined && { host: String(args.host) }),
  };
  const load = (skipAccounts: boolean) =>
    loadConfig({ ...(configFile !== undefined && { configFile }), env: process.env, flags, skipAccounts });
  try {
    const { config, configFile: used } = await load(demo);
    const label = used ?? "no config file (defaults)";
    return { config, findings: [{ check: "config", status: "ok", message: `${label}: valid.` }] as Finding[] };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const finding: Finding = { check: "config", status: "fail", message: `Invalid configuration:\n${error.message}`, fix: "Correct the lines above in the config file or the environment." };
    // Without its accounts the rest can still be checked (an unset token variable is the usual cause).
    const loaded = await load(true).catch(() => undefined);
    return { config: loaded?.config, findings: [finding] };
  }
}

export default withExamples(
  defineCommand({
    meta: { name: "doctor", description: "Check config, OAuth client, identity, accounts, state store, port, clock and proxies; exit 1 if something is wrong" },
    args: {
      json: { type: "boolean", description: "Findings as JSON" },
      demo: { type: "boolean", description: "Check against the built-in simulator with fake accounts (as `agcp start --demo`)" },
      config: { type: "string", description: "Config file (env AGCP_CONFIG; default ./agcp.config.*)", valueHint: "file" },
      port: { type: "string", description: "Port to check (default: the configured one)", valueHint: "port" },
      host: { type: "string", description: "Address to check (default: the configured one)", valueHint: "host" },
      ...globalArgs,
    },
    async run({ args }) {
      if (args.port !== undefined) intFlag("port", args.port, 1, 65535);
      const loaded = await loadForDoctor(args, Boolean(args.demo));
      if (!loaded.config) {
        const r = { ok: false, findings: loaded.findings };
        plain.log(args.json ? JSON.stringify(r, null, 2) : renderReport(r));
        process.exitCode = 1;
        return;
      }
      let config: ResolvedConfig = loaded.config;
      let closeSim: (() => void) | undefined;
      let accounts: DoctorAccount[];
      if (args.demo) {
        const { createSimulator, demoAccounts } = await import("../../sim/index.ts");
        const fake = demoAccounts(3);
        const sim = createSimulator({ accounts: fake });
        const { url } = await sim.listen({ port: 0, hostname: "127.0.0.1" });
        closeSim = () => sim.close();
        config = withDemoUpstream(config, url, fake);
      }
      try {
        const store = await openAccountsStore(config, consola).catch(() => undefined);
        try {
          accounts = store
            ? (await knownAccounts({ config, store, log: consola })).map((a) => ({ ...a }))
            : config.accounts.map((a) => ({ ...a, source: "config" as const }));
        } finally {
          await store?.close();
        }
        const r = await runDoctor({ config, configFindings: loaded.findings, accounts, env: process.env });
        plain.log(args.json ? JSON.stringify(r, null, 2) : renderReport(r));
        if (!r.ok) process.exitCode = 1;
      } finally {
        closeSim?.();
      }
    },
  }),
  ["agcp doctor", "agcp doctor --json", "agcp doctor --demo", "agcp doctor --config ./prod.agcp.config.ts"],
);
