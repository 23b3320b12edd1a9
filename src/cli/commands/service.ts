/**
 * `agcp service install|uninstall|status`: run agcp as a service of the logged-in user that
 * survives reboots and restarts on failure (systemd user unit, launchd agent; instructions on
 * Windows). The service runs this very binary with an absolute config path.
 */
import { homedir, userInfo } from "node:os";
import { dirname, resolve } from "node:path";
import { defineCommand } from "citty";
import { consola } from "consola";
import { loadConfig } from "../../config/load.ts";
import { defaultRunner } from "../../credentials/sources.ts";
import { defaultEnvFile, defaultLogFile, installService, serviceStatus, uninstallService, type ServiceHost } from "../../service/manage.ts";
import type { ServiceSpec } from "../../service/units.ts";
import { globalArgs, stringFlag } from "../args.ts";
import { UsageError } from "../errors.ts";
import { withExamples } from "../help.ts";
import { plain } from "../output.ts";

function host(): ServiceHost {
  const home = process.env.HOME || homedir();
  let user = process.env.USER || process.env.LOGNAME || "";
  try {
    user ||= userInfo().username;
  } catch {}
  return { platform: process.platform, home, env: process.env, uid: process.getuid?.() ?? 0, user, run: defaultRunner };
}

/** This binary, or bun plus the entry script when running from source. */
export function selfCommand(): string[] {
  const compiled = Bun.main.startsWith("/$bunfs/") || /^[A-Z]:[\\/]~BUN[\\/]/i.test(Bun.main);
  return compiled ? [process.execPath] : [process.execPath, resolve(Bun.main)];
}

function print(lines: string[]): void {
  for (const line of lines) plain.log(line);
}

const install = withExamples(
  defineCommand({
    meta: { name: "install", description: "Install and start agcp as a service of this user (systemd, launchd; instructions on Windows)" },
    args: {
      config: { type: "string", description: "Config file the service uses (default: the one `agcp start` would find here)", valueHint: "file" },
      "env-file": { type: "string", description: "systemd: file with KEY=value token variables (default ~/.config/agcp/agcp.env)", valueHint: "file" },
      ...globalArgs,
    },
    async run({ args }) {
      const h = host();
      const explicit = stringFlag("config", args.config);
      // Validates the file now rather than in a crash loop later; token env vars may live only in the service's environment.
      const { configFile } = await loadConfig({ ...(explicit !== undefined && { configFile: explicit }), env: process.env, skipAccounts: true });
      if (!configFile) {
        throw new UsageError("No config file here for the service to use: run `agcp init` (then add accounts), or pass --config <file>.");
      }
      const spec: ServiceSpec = {
        command: selfCommand(),
        configFile,
        workingDir: dirname(configFile),
        envFile: resolve(stringFlag("env-file", args["env-file"]) ?? defaultEnvFile(h)),
        logFile: defaultLogFile(h),
        ...(process.env.PATH && { path: process.env.PATH }),
      };
      const outcome = await installService(spec, h);
      print(outcome.lines);
      if (!outcome.ok) process.exitCode = 1;
    },
  }),
  ["agcp service install", "agcp service install --config ~/agcp/agcp.config.ts"],
);

const uninstall = withExamples(
  defineCommand({
    meta: { name: "uninstall", description: "Stop the service and remove its file" },
    args: { ...globalArgs },
    async run() {
      const outcome = await uninstallService(host());
      print(outcome.lines);
      if (!outcome.ok) process.exitCode = 1;
    },
  }),
  ["agcp service uninstall"],
);

const status = withExamples(
  defineCommand({
    meta: { name: "status", description: "Is the service installed and running? Exit 1 when not" },
    args: { ...globalArgs },
    async run() {
      const outcome = await serviceStatus(host());
      print(outcome.lines);
      if (!outcome.ok) process.exitCode = 1;
    },
  }),
  ["agcp service status"],
);

export default withExamples(
  defineCommand({
    meta: { name: "service", description: "Run agcp as a service that starts at login/boot and restarts on failure" },
    args: { ...globalArgs },
    subCommands: { install, uninstall, status },
    async run({ rawArgs, cmd }) {
      if (rawArgs.some((a) => !a.startsWith("-"))) return;
      const { renderHelp } = await import("../help.ts");
      const { rootCommand } = await import("../root.ts");
      plain.log(await renderHelp(cmd, rootCommand));
      consola.error("Name an action: install, uninstall or status.");
      process.exitCode = 2;
    },
  }),
  ["agcp service install", "agcp service status", "agcp service uninstall"],
);
