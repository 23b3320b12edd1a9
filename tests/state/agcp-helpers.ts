/** A real simulator and real agcp processes-in-process, with their logs captured. */
import Anthropic from "@anthropic-ai/sdk";
import { createConsola } from "consola";
import { withDemoUpstream } from "../../src/cli/demo.ts";
import { resolveConfig, type ResolvedConfig, type ResolvedStorage } from "../../src/config/resolve.ts";
import { startAgcp, type RunningAgcp } from "../../src/server/index.ts";
import { createSimulator, demoAccounts, type Simulator } from "../../src/sim/index.ts";

export interface Sim {
  sim: Simulator;
  url: string;
  accounts: ReturnType<typeof demoAccounts>;
  patch(email: string, body: unknown): Promise<void>;
  close(): Promise<void>;
}

export async function startSim(n: number): Promise<Sim> {
  const accounts = demoAccounts(n).map((a) => ({ ...a, tier: "pro" as const, quota: undefined, rateLimitPerMinute: undefined }));
  const sim = createSimulator({ accounts });
  const { url } = await sim.listen({ port: 0 });
  return {
    sim,
    url,
    accounts,
    async patch(email, body) {
      const res = await fetch(`${url}/__sim/accounts/${encodeURIComponent(email)}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`sim PATCH ${email}: ${res.status} ${await res.text()}`);
    },
    close: () => sim.close(),
  };
}

export interface Agcp {
  agcp: RunningAgcp;
  client: Anthropic;
  lines: Array<{ type: string; text: string }>;
  /** One small request (default model claude-sonnet-4-6); which account answered, or the error status. */
  ask(model?: string): Promise<{ ok: true; account: string; attempts: number } | { ok: false; status: number }>;
  close(): Promise<void>;
}

/**
 * agcp on `sim` with the given storage; round-robin so the first pick is predictable, and the
 * background quota refresher off so only what the test provokes (and the store) limits accounts.
 */
export async function startAgcpOn(sim: Sim, storage: Partial<ResolvedStorage>, edit: (c: ResolvedConfig) => ResolvedConfig = (c) => c): Promise<Agcp> {
  const resolved = resolveConfig({ file: {}, baseDir: process.cwd(), env: {}, homeDir: "/nonexistent" });
  let config = withDemoUpstream({ ...resolved, port: 0 }, sim.url, sim.accounts);
  config = {
    ...config,
    port: 0,
    logLevel: "silent",
    strategy: "round-robin",
    storage: { ...config.storage, flushIntervalMs: 200, ...storage },
    pool: { ...config.pool, quotaRefresh: { ...config.pool.quotaRefresh, concurrency: 0 } },
  };
  config = edit(config);
  const lines: Agcp["lines"] = [];
  const log = createConsola({
    level: 4,
    reporters: [{ log: (o) => void lines.push({ type: o.type, text: o.args.map(String).join(" ") }) }],
  }).withTag("agcp");
  const agcp = await startAgcp(config, { log });
  const client = new Anthropic({ baseURL: agcp.url, apiKey: "test-key", maxRetries: 0 });
  return {
    agcp,
    client,
    lines,
    async ask(model = "claude-sonnet-4-6") {
      try {
        const { response } = await client.messages
          .create({ model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] })
          .withResponse();
        return { ok: true, account: response.headers.get("x-agcp-account") ?? "?", attempts: Number(response.headers.get("x-agcp-attempts")) };
      } catch (err) {
        return { ok: false, status: (err as { status?: number }).status ?? 0 };
      }
    },
    close: () => agcp.close(),
  };
}

/** The one thing an account is cooled for — a model, or a whole quota pool ("pool:claude") — with its end. */
export function onlyCooldown(a: Agcp, id: string): { model: string; until: number } | undefined {
  const view = a.agcp.runtime.pool.account(id);
  const pools = Object.entries(view?.pools ?? {}).filter(([, p]) => p.status === "out");
  if (pools.length > 0) {
    const [pool, p] = pools[0]!;
    return { model: `pool:${pool}`, until: p.until! };
  }
  const entries = Object.entries(view?.cooldowns ?? {});
  if (entries.length === 0) return undefined;
  const [model, c] = entries[0]!;
  return { model, until: c.until };
}
