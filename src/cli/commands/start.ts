import { defineCommand } from "citty";
import { consola } from "consola";
import { loadConfig } from "../../config/load.ts";
import { redactProxyUrl } from "../../upstream/proxy.ts";
import type { ResolvedConfig } from "../../config/resolve.ts";
import { globalArgs, intFlag, stringFlag } from "../args.ts";
import { tryItText, withDemoUpstream } from "../demo.ts";
import { RuntimeFailure, UsageError } from "../errors.ts";
import { withExamples } from "../help.ts";
import { plain } from "../output.ts";
import { applyLogLevel } from "../log.ts";
import { FolderInUseError } from "../../state/folder-lock.ts";
import { watchSupervisor } from "../fetch-limit.ts";
import { exitOnSignals } from "../signals.ts";

const NO_ACCOUNTS_HELP = `No enabled accounts configured, so there is nothing to balance across.

Add one to agcp.config.ts (\`agcp init\` writes a starter file):

  accounts: [
    { email: "you@gmail.com", refreshTokenEnv: "AGCP_TOKEN_1" },
  ],

or sign in with Google: \`agcp accounts add\`.
To try agcp without any account, use the built-in simulator: \`agcp start --demo\``;

function explainListenError(error: unknown, config: ResolvedConfig): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "EADDRINUSE") {
    return new RuntimeFailure(`Port ${config.port} on ${config.host} is already in use; choose another with --port or AGCP_PORT.`, { cause: error });
  }
  if (code === "EACCES") {
    return new RuntimeFailure(`Not allowed to listen on ${config.host}:${config.port}; ports below 1024 usually need root.`, { cause: error });
  }
  if (code === "EADDRNOTAVAIL") {
    return new RuntimeFailure(`Cannot listen on ${config.host}: no such address on this machine (--host / AGCP_HOST).`, { cause: error });
  }
  // Another server owns the fs state folder: its message says what to do instead.
  if (error instanceof FolderInUseError) return new RuntimeFailure(error.message, { cause: error });
  return error;
}

export const NO_OAUTH_CLIENT_WARNING =
  "No OAuth client configured (upstream.oauth.clientId / clientSecret are empty): access tokens cannot be refreshed, so every account will fail. " +
  "Remove the empty values to use the built-in Antigravity client, or set AGCP_OAUTH_CLIENT_ID and AGCP_OAUTH_CLIENT_SECRET.";

function warnWithoutOAuthClient(config: ResolvedConfig): void {
  if (!config.upstream.oauth.clientId || !config.upstream.oauth.clientSecret) consola.warn(NO_OAUTH_CLIENT_WARNING);
}

/** Which way upstream traffic leaves, passwords masked. */
function describeProxies(config: ResolvedConfig): void {
  const own = config.accounts.filter((a) => a.proxy !== undefined);
  if (config.upstream.proxy) consola.info(`Upstream proxy: ${redactProxyUrl(config.upstream.proxy)}${config.upstream.noProxy.length ? ` (not for ${config.upstream.noProxy.join(", ")})` : ""}`);
  for (const a of own) consola.info(`Account ${a.label}: ${a.proxy === "direct" ? "direct, no proxy" : `proxy ${redactProxyUrl(a.proxy!)}`}`);
}

/** Extra time on top of the server's own drain timeout before the process gives up. */
const SHUTDOWN_GRACE_MS = 5_000;

const DEMO_CHUNK_DELAY_MS = 15;

export default withExamples(
  defineCommand({
    meta: { name: "start", description: "Start the proxy" },
    args: {
      port: { type: "string", description: "Port to listen on (env AGCP_PORT; default 8080)", valueHint: "port" },
      host: { type: "string", description: "Address to bind (env AGCP_HOST; default 127.0.0.1)", valueHint: "host" },
      strategy: {
        type: "enum",
        options: ["hybrid", "sticky", "round-robin", "reset-aware"],
        description: "Account selection strategy (env AGCP_STRATEGY; default hybrid)",
      },
      config: { type: "string", description: "Config file (env AGCP_CONFIG; default ./agcp.config.*)", valueHint: "file" },
      demo: { type: "boolean", description: "Use an in-process simulator with fake accounts instead of Google" },
      "demo-accounts": { type: "string", description: "Fake accounts for --demo (default 3)", valueHint: "n" },
      "sim-port": { type: "string", description: "Simulator port for --demo (default 0 = any free port)", valueHint: "port" },
      "access-log": { type: "boolean", description: "One JSON line per request on stdout (no prompt text, no token)" },
      "allow-open": {
        type: "boolean",
        description: "Listen beyond loopback without an admin key (apiKey): anyone who reaches the port can manage the pool",
      },
      ...globalArgs,
    },
    async run({ args }) {
      const demoAccountCount = intFlag("demo-accounts", args["demo-accounts"], 1, 100) ?? 3;
      const simPort = intFlag("sim-port", args["sim-port"], 0, 65535) ?? 0;
      const configFile = stringFlag("config", args.config);
      const { config: loaded, configFile: usedFile } = await loadConfig({
        ...(configFile !== undefined && { configFile }),
        flags: {
          ...(args.port !== undefined && { port: args.port }),
          ...(args.host !== undefined && { host: args.host }),
          ...(args.strategy !== undefined && { strategy: args.strategy }),
          ...(args["log-level"] !== undefined && { logLevel: args["log-level"] }),
        },
        env: process.env,
        // Demo accounts replace the configured ones, whose token env vars need not be set.
        skipAccounts: Boolean(args.demo),
      });
      applyLogLevel(loaded.logLevel);
      if (usedFile) consola.info(`Config: ${usedFile}`);
      if (!isLoopback(loaded.host) && loaded.apiKey === undefined && !args["allow-open"]) {
        throw new UsageError(
          `Refusing to listen on ${loaded.host} without an admin key: anyone who can reach it could use and manage the pool.\n` +
            "Set apiKey (env AGCP_API_KEY) — client keys from `agcp keys add` then give others limited access — or pass --allow-open.",
        );
      }

      if (!args.demo) {
        warnWithoutOAuthClient(loaded);
        describeProxies(loaded);
      }

      // The access log owns stdout then (one JSON line per request); everything else goes to stderr.
      if (args["access-log"]) consola.options.stdout = plain.options.stdout = process.stderr;
      let config: ResolvedConfig = args["access-log"] ? { ...loaded, requestLog: { ...loaded.requestLog, accessLog: true } } : loaded;
      let closeSim: (() => Promise<void>) | undefined;
      if (args.demo) {
        const { createSimulator, demoAccounts } = await import("../../sim/index.ts");
        const accounts = demoAccounts(demoAccountCount);
        const sim = createSimulator({ accounts, chunkDelayMs: DEMO_CHUNK_DELAY_MS });
        const { url: simUrl } = await sim.listen({ port: simPort, hostname: "127.0.0.1" });
        closeSim = () => Promise.resolve(sim.close());
        config = withDemoUpstream(config, simUrl, accounts);
        consola.info(`Simulator (fake Google upstream, ${accounts.length} accounts): ${simUrl}`);
      }

      const { startAgcp } = await import("../../server/index.ts");
      let server: Awaited<ReturnType<typeof startAgcp>>;
      try {
        server = await startAgcp(config, usedFile !== undefined ? { configFile: usedFile } : undefined);
      } catch (error) {
        await closeSim?.();
        throw explainListenError(error, config);
      }

      // Accounts come from the config and from the state store (`agcp accounts add`): only the
      // running pool knows whether any is left to route to.
      const counts = server.runtime.pool.counts();
      const enabled = counts.total - counts.disabled;
      if (enabled === 0) {
        await server.close();
        await closeSim?.();
        throw new UsageError(NO_ACCOUNTS_HELP);
      }
      consola.success(
        `agcp listening on ${server.url} (${enabled} account${enabled === 1 ? "" : "s"}, strategy ${server.runtime.pool.strategy})`,
      );
      if (args.demo) plain.log(`\n${tryItText(server.url, config.apiKey !== undefined)}\n`);

      exitOnSignals({
        timeoutMs: config.server.shutdownTimeoutMs + SHUTDOWN_GRACE_MS,
        shutdown: async () => {
          await server.close();
          await closeSim?.();
        },
      });
      // Started by `agcp start`'s relaunch (fetch-limit.ts): stop with the parent.
      watchSupervisor();
      // Keep run() pending: the process now ends through the signal handlers.
      await new Promise<never>(() => {});
    },
  }),
  [
    "agcp start",
    "agcp start --port 9000 --strategy sticky",
    "agcp start --config ./prod.agcp.config.ts",
    "# no Google account needed: fake upstream with 3 accounts",
    "agcp start --demo",
    "agcp start --demo --demo-accounts 5 --port 8787",
    "AGCP_PORT=9000 AGCP_LOG_LEVEL=debug agcp start",
  ],
);

/** Loopback names and addresses: only processes on this machine can connect. */
function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\./.test(h);
}
