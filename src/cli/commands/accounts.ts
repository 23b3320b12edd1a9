/**
 * `agcp accounts`: see and manage the Google accounts agcp balances across. Bare `agcp accounts`
 * in a terminal opens a menu; everything is also a plain subcommand for scripts.
 */
import { defineCommand, type ArgsDef, type CommandDef } from "citty";
import { consola } from "consola";
import { ConfigError } from "../../config/errors.ts";
import { loadConfig } from "../../config/load.ts";
import { UpstreamError, createUpstreamClient } from "../../upstream/index.ts";
import { globalArgs, intFlag, stringFlag } from "../args.ts";
import { RuntimeFailure, UsageError } from "../errors.ts";
import { renderHelp, withExamples } from "../help.ts";
import { plain } from "../output.ts";
import {
  localReport,
  knownAccounts,
  remoteLimits,
  remoteSetEnabled,
  removeStored,
  renderReport,
  saveSignedIn,
  setStoredEnabled,
  verifyAccounts,
  type AccountsContext,
  type RemoteOptions,
  type VerifyProgress,
} from "./accounts-actions.ts";
import { DEFAULT_CALLBACK_PORT, oauthLogin } from "./accounts-oauth.ts";
import { exportCommand, importCommand, proxyFlag } from "./accounts-import.ts";
import { openAccountsStore, pickupNote } from "./accounts-store.ts";

const configArg = {
  config: { type: "string", description: "Config file (env AGCP_CONFIG; default ./agcp.config.*)", valueHint: "file" },
} as const satisfies ArgsDef;

const remoteArgs = {
  url: { type: "string", description: "Ask a running agcp instead of reading config and state, e.g. http://127.0.0.1:8080", valueHint: "url" },
  "api-key": { type: "string", description: "That server's API key (env AGCP_API_KEY)", valueHint: "key" },
} as const satisfies ArgsDef;

const labelArg = {
  label: { type: "positional", description: "Account label (as `agcp accounts list` shows it)", required: true },
} as const satisfies ArgsDef;

interface ContextArgs {
  config?: unknown;
}

/**
 * Loads config and opens the state store for one command, and always closes the store.
 * `lenient`: commands that need no config account's token still run when one's env var is unset
 * in this shell (common when the server gets its tokens from a service manager).
 */
async function withContext<T>(args: ContextArgs, fn: (ctx: AccountsContext) => Promise<T>, lenient = false): Promise<T> {
  const configFile = stringFlag("config", args.config);
  const load = (skipAccounts: boolean) => loadConfig({ ...(configFile !== undefined && { configFile }), env: process.env, skipAccounts });
  const { config } = lenient
    ? await load(false).catch(async (error: unknown) => {
        if (!(error instanceof ConfigError)) throw error;
        const loaded = await load(true);
        consola.warn(`Leaving out the config file's accounts, which do not resolve here:\n${error.message}`);
        return loaded;
      })
    : await load(false);
  const store = await openAccountsStore(config, consola);
  try {
    return await fn({ config, store, log: consola });
  } finally {
    await store.close();
  }
}

function remoteFrom(args: { url?: unknown; "api-key"?: unknown }): RemoteOptions | undefined {
  const url = stringFlag("url", args.url);
  if (url === undefined) return undefined;
  if (!/^https?:\/\//i.test(url)) throw new UsageError(`--url: expected an http(s) URL such as http://127.0.0.1:8080, found ${JSON.stringify(url)}`);
  const apiKey = stringFlag("api-key", args["api-key"]) ?? (process.env.AGCP_API_KEY || undefined);
  return { url, ...(apiKey !== undefined && { apiKey }) };
}

const list = withExamples(
  defineCommand({
    meta: { name: "list", description: "Show accounts, tiers, status and quota (the /account-limits table)" },
    args: {
      ...remoteArgs,
      json: { type: "boolean", description: "JSON instead of the table" },
      width: { type: "string", description: "Columns to fit the table in (default: the terminal's, else 120)", valueHint: "n" },
      ...configArg,
      ...globalArgs,
    },
    async run({ args }) {
      const format = args.json ? "json" : "table";
      const width = intFlag("width", args.width, 60, 240) ?? terminalWidth();
      const remote = remoteFrom(args);
      if (remote) {
        plain.log((await remoteLimits(remote, format, width)).trimEnd());
        return;
      }
      const report = await withContext(args, localReport, true);
      const noQuotaHint = "No quota data saved yet (a running agcp reads it; `agcp accounts verify` reads it now).";
      plain.log(renderReport(report, format, { ...(width !== undefined && { width }), noQuotaHint }).trimEnd());
    },
  }),
  [
    "agcp accounts list",
    "agcp accounts list --url http://127.0.0.1:8080   # live state from a running server",
    "agcp accounts list --json",
  ],
);

function terminalWidth(): number | undefined {
  return process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : undefined;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/** A spinner on a terminal; one line per account otherwise (logs, CI). Writes to stderr so stdout stays the table. */
function verifyProgress(): VerifyProgress & { stop(): void } {
  const err = process.stderr;
  const tty = Boolean(err.isTTY);
  let timer: ReturnType<typeof setInterval> | undefined;
  let frame = 0;
  let current = "";
  const clear = () => tty && err.write("\r\x1b[2K");
  return {
    start(label, index, total) {
      current = `Checking ${index + 1}/${total}: ${label}`;
      if (!tty) return;
      timer ??= setInterval(() => {
        clear();
        err.write(`${SPINNER[frame++ % SPINNER.length]} ${current}`);
      }, 80);
    },
    finish(label, outcome) {
      clear();
      err.write(`${outcome.ok ? "✔" : "✖"} ${label}: ${outcome.note}\n`);
    },
    stop() {
      if (timer) clearInterval(timer);
      clear();
    },
  };
}

const verify = withExamples(
  defineCommand({
    meta: { name: "verify", description: "Refresh every account's token and read its tier and quota; exit 1 if any needs fixing" },
    args: {
      width: { type: "string", description: "Columns to fit the table in", valueHint: "n" },
      ...configArg,
      ...globalArgs,
    },
    async run({ args }) {
      const width = intFlag("width", args.width, 60, 240) ?? terminalWidth();
      const progress = verifyProgress();
      const { report, problems, identity, gate } = await withContext(args, async (ctx) => {
        if ((await knownAccounts(ctx)).length === 0) throw new UsageError("No accounts to verify. Add one with `agcp accounts add`.");
        try {
          return await verifyAccounts(ctx, progress);
        } finally {
          progress.stop();
        }
      });
      // The problems below say how to fix each one, so the table leaves its own "To fix" out.
      plain.log(`\n${renderReport(report, "table", { ...(width !== undefined && { width }), fixes: false }).trimEnd()}`);
      plain.log(`\nClient identity: ${identity}`);
      if (gate) {
        consola.error(gate);
        process.exitCode = 1;
      }
      if (problems.length === 0) {
        if (gate) return;
        consola.success(report.accounts.length === 1 ? "The account works." : `All ${report.accounts.length} accounts work.`);
        return;
      }
      const lines = problems.map((p) => `  ${p.label}: ${p.kind}: ${p.message}\n    → ${p.fix}`);
      consola.error(`${problems.length} of ${report.accounts.length} accounts need attention:\n${lines.join("\n")}`);
      process.exitCode = 1;
    },
  }),
  ["agcp accounts verify", "agcp accounts verify --config ./prod.agcp.config.ts"],
);

const add = withExamples(
  defineCommand({
    meta: { name: "add", description: "Sign in with Google (OAuth with PKCE) and store the account" },
    args: {
      browser: {
        type: "boolean",
        default: true,
        description: "Open a browser on this machine",
        negativeDescription: "Print the sign-in URL instead and accept the pasted redirect URL or code (for SSH sessions)",
      },
      label: { type: "string", description: "Name for the account (default: its e-mail)", valueHint: "name" },
      email: { type: "string", description: "Suggest this Google account on the sign-in page", valueHint: "address" },
      proxy: { type: "string", description: 'Outbound HTTP(S) proxy for this account ("direct": none; default: upstream.proxy)', valueHint: "url" },
      "callback-port": {
        type: "string",
        description: `Port for the sign-in redirect (default ${DEFAULT_CALLBACK_PORT}; another free one if busy; 0 = any)`,
        valueHint: "port",
      },
      ...configArg,
      ...globalArgs,
    },
    async run({ args }) {
      const port = intFlag("callback-port", args["callback-port"], 0, 65535) ?? DEFAULT_CALLBACK_PORT;
      const label = stringFlag("label", args.label);
      const email = stringFlag("email", args.email);
      const proxy = proxyFlag(args.proxy);
      await withContext(
        args,
        async (ctx) => {
          const { oauth } = ctx.config.upstream;
          if (!oauth.clientId) {
            throw new UsageError(
              "No OAuth client configured: upstream.oauth.clientId is empty. Remove it from agcp.config.ts to use the built-in Antigravity client, or set AGCP_OAUTH_CLIENT_ID / AGCP_OAUTH_CLIENT_SECRET.",
            );
          }
          const upstream = createUpstreamClient(ctx.config.upstream);
          let signedIn;
          try {
            signedIn = await oauthLogin({
              oauth,
              upstream,
              port,
              openBrowser: args.browser !== false,
              ...(args.browser === false && { pasteFrom: process.stdin }),
              say: (text) => plain.log(text),
              ...(email !== undefined && { loginHint: email }),
            });
          } catch (error) {
            if (error instanceof UpstreamError) throw new RuntimeFailure(`Sign-in failed: ${error.kind}: ${error.message}`);
            throw error;
          }
          const { account, replaced, takesOver } = await saveSignedIn(ctx, { ...signedIn, ...(proxy !== undefined && { proxy }) }, label);
          if (takesOver) {
            consola.info(
              `"${account.label}" is a config-file account: its new token is kept in agcp's state store and used instead of the file's ` +
                `(\`agcp accounts remove ${account.label}\` goes back to the file's).`,
            );
          }
          try {
            const info = await upstream.discover({ id: account.label, refreshToken: account.refreshToken, ...(account.proxy && { proxy: account.proxy }) });
            consola.success(`${replaced ? "Updated" : "Added"} ${account.label} (${info.tier} tier).`);
          } catch (error) {
            const why = error instanceof UpstreamError ? `${error.kind}: ${error.message}` : (error as Error).message;
            consola.success(`${replaced ? "Updated" : "Added"} ${account.label}.`);
            consola.warn(`Could not read its tier yet (${why}); \`agcp accounts verify\` checks it again.`);
          }
          consola.info(`${pickupNote(ctx.config.storage.driver)} See it with \`agcp accounts list\`.`);
        },
        true,
      );
    },
  }),
  [
    "agcp accounts add",
    "# over SSH: open the printed URL on your laptop, paste back where it lands",
    "agcp accounts add --no-browser",
    "agcp accounts add --label work --email me@company.com",
  ],
);

const remove = withExamples(
  defineCommand({
    meta: { name: "remove", description: "Forget an account added with `agcp accounts add`" },
    args: { ...labelArg, ...configArg, ...globalArgs },
    async run({ args }) {
      const driver = await withContext(args, async (ctx) => {
        await removeStored(ctx, args.label);
        return ctx.config.storage.driver;
      }, true);
      consola.success(`Removed ${args.label}. ${pickupNote(driver)}`);
    },
  }),
  ["agcp accounts remove me@gmail.com"],
);

function toggleCommand(enabled: boolean) {
  const verb = enabled ? "enable" : "disable";
  return withExamples(
    defineCommand({
      meta: {
        name: verb,
        description: enabled ? "Route requests to an account again" : "Stop routing requests to an account (it stays stored)",
      },
      args: { ...labelArg, ...remoteArgs, ...configArg, ...globalArgs },
      async run({ args }) {
        const remote = remoteFrom(args);
        if (remote) {
          await remoteSetEnabled(remote, args.label, enabled);
          consola.success(`${args.label}: ${verb}d on ${remote.url}.`);
          return;
        }
        const { changed, driver } = await withContext(args, async (ctx) => ({
          changed: await setStoredEnabled(ctx, args.label, enabled),
          driver: ctx.config.storage.driver,
        }), true);
        consola.success(changed ? `${args.label}: ${verb}d. ${pickupNote(driver)}` : `${args.label} was already ${verb}d.`);
      },
    }),
    [`agcp accounts ${verb} me@gmail.com`, `agcp accounts ${verb} work --url http://127.0.0.1:8080   # running server, no restart`],
  );
}

const subCommands = {
  list,
  verify,
  add,
  import: importCommand(withContext),
  export: exportCommand(withContext),
  remove,
  enable: toggleCommand(true),
  disable: toggleCommand(false),
};

type MenuChoice = "list" | "verify" | "add" | "enable" | "disable" | "remove" | "quit";

/** Bare `agcp accounts` on a terminal: pick an action, run it, come back, until Quit or Ctrl-C. */
async function interactiveMenu(configFile: string | undefined): Promise<void> {
  const base = configFile !== undefined ? ["--config", configFile] : [];
  const run = async (name: keyof typeof subCommands, extra: string[] = []) => {
    const { runCommand } = await import("citty");
    try {
      await runCommand(subCommands[name] as CommandDef<ArgsDef>, { rawArgs: [...extra, ...base] });
    } catch (error) {
      consola.error(error instanceof Error ? error.message : String(error));
    }
  };
  for (;;) {
    const choice = (await consola.prompt("What do you want to do?", {
      type: "select",
      cancel: "null",
      options: [
        { value: "list", label: "List accounts" },
        { value: "verify", label: "Verify accounts (refresh tokens, read tier and quota)" },
        { value: "add", label: "Add an account (sign in with Google)" },
        { value: "enable", label: "Enable an account" },
        { value: "disable", label: "Disable an account" },
        { value: "remove", label: "Remove an account" },
        { value: "quit", label: "Quit" },
      ],
    })) as MenuChoice | null;
    if (choice === null || choice === "quit") return;
    if (choice === "add") {
      const here = await consola.prompt("Open a browser on this machine?", { type: "confirm", initial: true, cancel: "null" });
      if (here === null) continue;
      await run("add", here ? [] : ["--no-browser"]);
    } else if (choice === "enable" || choice === "disable" || choice === "remove") {
      const storedLabels = async (ctx: AccountsContext) =>
        (await knownAccounts(ctx)).filter((a) => a.source === "stored").map((a) => a.label);
      const labels = await withContext({ config: configFile }, storedLabels, true).catch(() => [] as string[]);
      if (labels.length === 0) {
        consola.info("No accounts added with `agcp accounts add` to change; config-file accounts are edited in the file.");
        continue;
      }
      const label = (await consola.prompt("Which account?", { type: "select", options: labels, cancel: "null" })) as string | null;
      if (label === null) continue;
      await run(choice, [label]);
    } else {
      await run(choice);
    }
    process.exitCode = 0;
  }
}

export default withExamples(
  defineCommand({
    meta: { name: "accounts", description: "List, verify, add and remove Google accounts" },
    args: { ...configArg, ...globalArgs },
    subCommands,
    async run({ args, rawArgs, cmd }) {
      // citty runs a parent's run() after the subcommand too; only the bare command lands here alone.
      if (rawArgs.some((a, i) => !a.startsWith("-") && !["--config", "--log-level"].includes(rawArgs[i - 1] ?? ""))) return;
      if (!process.stdin.isTTY || !process.stdout.isTTY) {
        const { rootCommand } = await import("../root.ts");
        plain.log(await renderHelp(cmd, rootCommand));
        return;
      }
      await interactiveMenu(stringFlag("config", args.config));
    },
  }),
  [
    "agcp accounts              # interactive menu",
    "agcp accounts list",
    "agcp accounts verify",
    "agcp accounts add --no-browser",
    "agcp accounts disable me@gmail.com",
  ],
);

