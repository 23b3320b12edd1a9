import Anthropic from "@anthropic-ai/sdk";
import { createConsola } from "consola";
import { withDemoUpstream } from "../../src/cli/demo.ts";
import { resolveConfig, type ResolvedConfig } from "../../src/config/resolve.ts";
import type { AgcpConfig } from "../../src/config/types.ts";
import type { Machine } from "../../src/credentials/local-sign-ins.ts";
import { startAgcp, type RunningAgcp } from "../../src/server/index.ts";
import { createSimulator, demoAccounts, type SimAccountInit, type SimOptions, type Simulator } from "../../src/sim/index.ts";

export interface StackOptions {
  /** Simulated accounts; default: 3 demo accounts. */
  accounts?: SimAccountInit[];
  sim?: Omit<SimOptions, "accounts">;
  /** agcp.config.ts-style overrides (validated like a user's file). */
  config?: AgcpConfig;
  /** Last-minute edits to the resolved config (e.g. storage for a test folder). */
  tweak?: (c: ResolvedConfig) => ResolvedConfig;
  /** Reuse an already running simulator (several agcp instances on one upstream). */
  simulator?: { sim: Simulator; url: string };
  /** Whose sign-ins the console imports; default a home that does not exist, so no test reads the real one. */
  machine?: Machine;
}

export interface Stack {
  sim: Simulator;
  simUrl: string;
  agcp: RunningAgcp;
  url: string;
  config: ResolvedConfig;
  client: Anthropic;
  /** JSON from the simulator's control API. */
  control(path: string, init?: { method?: string; body?: unknown }): Promise<any>;
  close(): Promise<void>;
}

/** A real simulator and a real agcp, both on loopback ports of their own, wired together. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const accounts = opts.accounts ?? demoAccounts(3);
  let sim: Simulator;
  let simUrl: string;
  if (opts.simulator) {
    ({ sim, url: simUrl } = opts.simulator);
  } else {
    sim = createSimulator({ accounts, ...opts.sim });
    simUrl = (await sim.listen({ port: 0 })).url;
  }
  const resolved = resolveConfig({ file: { ...opts.config }, baseDir: process.cwd(), env: {}, homeDir: "/nonexistent" });
  let config = withDemoUpstream({ ...resolved, port: 0 } as ResolvedConfig, simUrl, accounts);
  config = { ...config, port: 0, logLevel: "silent" };
  if (opts.tweak) config = opts.tweak(config);
  const log = createConsola({ level: Number(process.env.AGCP_TEST_LOG ?? -999) }).withTag("agcp");
  const agcp = await startAgcp(config, { log, machine: opts.machine ?? { home: "/nonexistent", platform: "linux", env: {}, run: async () => undefined } });
  const client = new Anthropic({ baseURL: agcp.url, apiKey: config.apiKey ?? "test-key", maxRetries: 0 });
  return {
    sim,
    simUrl,
    agcp,
    url: agcp.url,
    config,
    client,
    async control(path, init = {}) {
      const res = await fetch(`${simUrl}/__sim${path}`, {
        method: init.method ?? (init.body ? "PATCH" : "GET"),
        headers: { "content-type": "application/json" },
        ...(init.body !== undefined && { body: JSON.stringify(init.body) }),
      });
      if (!res.ok) throw new Error(`sim control ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    },
    async close() {
      await agcp.close();
      if (!opts.simulator) await sim.close();
    },
  };
}
