// `agcp service`: the generated unit / agent / instructions, and the CLI driving stand-in
// `systemctl` and `loginctl` scripts on PATH in a temporary HOME (the real service manager is
// never touched).
import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { needsRelaunch } from "../../src/cli/fetch-limit.ts";
import { launchdPlist, systemdUnit, windowsInstructions, type ServiceSpec } from "../../src/service/units.ts";
import { MAIN, runCli, tempDir } from "../cli/helpers.ts";
import { hostTarget, releaseBinary } from "../support/release-build.ts";

const spec: ServiceSpec = {
  command: ["/opt/agcp tools/agcp"],
  configFile: "/home/me/my agcp/agcp.config.ts",
  workingDir: "/home/me/my agcp",
  envFile: "/home/me/.config/agcp/agcp.env",
  logFile: "/Users/me/Library/Logs/agcp.log",
  path: "/usr/bin:/bin",
};

describe("generated files", () => {
  test("systemd user unit: this binary with the config, restart on failure, journal logs, optional env file", () => {
    const unit = systemdUnit(spec);
    expect(unit).toContain('ExecStart="/opt/agcp tools/agcp" start --config "/home/me/my agcp/agcp.config.ts"\n');
    expect(unit).toContain('WorkingDirectory="/home/me/my agcp"\n');
    expect(unit).toContain("EnvironmentFile=-/home/me/.config/agcp/agcp.env\n");
    expect(unit).toContain("Restart=on-failure\n");
    // Started with Bun's fetch limit already raised, agcp serves in one process (no relaunch).
    expect(unit).toContain("Environment=BUN_CONFIG_MAX_HTTP_REQUESTS=65535\n");
    expect(needsRelaunch(["start"], { BUN_CONFIG_MAX_HTTP_REQUESTS: "65535" })).toBe(false);
    expect(needsRelaunch(["start"], {})).toBe(true);
    expect(unit).toContain("WantedBy=default.target\n");
    expect(unit).toContain("journalctl --user -u agcp -f");
    // systemd expands % specifiers: a literal % must be doubled.
    expect(systemdUnit({ ...spec, configFile: "/x/100%.ts" })).toContain("--config /x/100%%.ts");
  });

  test("launchd agent: program arguments, restart on failure only, log file, XML-escaped", () => {
    const plist = launchdPlist({ ...spec, workingDir: "/Users/me/R&D" });
    expect(plist).toContain("<string>/opt/agcp tools/agcp</string>\n    <string>start</string>\n    <string>--config</string>\n    <string>/home/me/my agcp/agcp.config.ts</string>");
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/);
    expect(plist).toMatch(/<key>RunAtLoad<\/key>\s*<true\/>/);
    expect(plist).toContain("<key>BUN_CONFIG_MAX_HTTP_REQUESTS</key>\n    <string>65535</string>");
    expect(plist).toContain("<key>StandardErrorPath</key>\n  <string>/Users/me/Library/Logs/agcp.log</string>");
    expect(plist).toContain("<string>/Users/me/R&amp;D</string>");
    // Balanced tags: every opened dict/array is closed.
    for (const tag of ["dict", "array", "plist"]) {
      expect(plist.split(`<${tag}`).length).toBe(plist.split(`</${tag}>`).length);
    }
  });

  test("Windows: Task Scheduler commands at logon with restarts, for this exe and config", () => {
    const text = windowsInstructions({ ...spec, command: ["C:\\Tools\\agcp.exe"], configFile: "C:\\Users\\me\\agcp.config.ts", workingDir: "C:\\Users\\me" });
    expect(text).toContain("New-ScheduledTaskAction -Execute C:\\Tools\\agcp.exe -Argument 'start --config C:\\Users\\me\\agcp.config.ts'");
    expect(text).toContain("New-ScheduledTaskTrigger -AtLogOn");
    expect(text).toContain("-RestartCount 999");
    expect(text).toContain("Register-ScheduledTask -TaskName agcp");
  });
});

/** A HOME with a config, and systemctl/loginctl stand-ins that log their arguments. */
function sandbox(opts: { systemctlFails?: boolean; active?: boolean } = {}) {
  const home = tempDir("agcp-service-home-");
  const project = join(home, "proj");
  mkdirSync(project);
  writeFileSync(join(project, "agcp.config.ts"), `export default { accounts: [{ label: "w", refreshTokenEnv: "ONLY_IN_THE_SERVICE" }] };\n`);
  const bin = join(home, "bin");
  mkdirSync(bin);
  const log = join(home, "calls.log");
  const script = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  script(
    "systemctl",
    opts.systemctlFails
      ? `echo "Failed to connect to bus: No medium found" >&2; exit 1`
      : `case "$*" in *is-active*) echo ${opts.active === false ? "inactive; exit 3" : "active"};; *is-enabled*) echo enabled;; esac; exit 0`,
  );
  script("loginctl", `echo "Linger=no"`);
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, ".config"), PATH: `${bin}:${process.env.PATH}`, USER: "me" };
  const calls = () => (existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : []);
  const unitPath = join(home, ".config", "systemd", "user", "agcp.service");
  return { home, project, env, calls, unitPath };
}

describe("agcp service on Linux (stand-in systemctl)", () => {
  test("install writes the user unit for this agcp and config, enables it, and advises lingering; status and uninstall follow", async () => {
    const box = sandbox();
    const r = await runCli(["service", "install"], { cwd: box.project, env: box.env });
    expect(r.code).toBe(0);
    const unit = readFileSync(box.unitPath, "utf8");
    // From source, "this agcp" is bun running main.ts.
    expect(unit).toContain(`ExecStart=${process.execPath} ${MAIN} start --config ${join(box.project, "agcp.config.ts")}\n`);
    expect(unit).toContain(`EnvironmentFile=-${join(box.home, ".config", "agcp", "agcp.env")}`);
    expect(box.calls()).toEqual([
      "systemctl --user daemon-reload",
      "systemctl --user enable --now agcp.service",
      "loginctl show-user me --property=Linger",
    ]);
    expect(r.stdout).toContain("loginctl enable-linger me");
    expect(r.stdout).toContain("journalctl --user -u agcp -f");

    const status = await runCli(["service", "status"], { cwd: box.project, env: box.env });
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("State: active; at login: enabled");

    const gone = await runCli(["service", "uninstall"], { cwd: box.project, env: box.env });
    expect(gone.code).toBe(0);
    expect(existsSync(box.unitPath)).toBe(false);
    expect(box.calls().slice(-2)).toEqual(["systemctl --user disable --now agcp.service", "systemctl --user daemon-reload"]);
    const after = await runCli(["service", "status"], { cwd: box.project, env: box.env });
    expect(after.code).toBe(1);
    expect(after.stdout).toContain("Not installed");
  }, 30_000);

  test("without a user session bus the unit is still written and the commands to finish are printed (exit 1)", async () => {
    const box = sandbox({ systemctlFails: true });
    const r = await runCli(["service", "install"], { cwd: box.project, env: box.env });
    expect(r.code).toBe(1);
    expect(existsSync(box.unitPath)).toBe(true);
    expect(r.stdout).toContain("Failed to connect to bus");
    expect(r.stdout).toContain("systemctl --user daemon-reload && systemctl --user enable --now agcp.service");
  }, 30_000);

  test("no config file: a usage error that says what to do", async () => {
    const box = sandbox();
    const r = await runCli(["service", "install"], { cwd: box.home, env: box.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("agcp init");
    expect(existsSync(box.unitPath)).toBe(false);
  });

  test("the compiled binary puts its own path in ExecStart", async () => {
    const target = hostTarget();
    if (!target) return;
    const binary = await releaseBinary(target);
    const box = sandbox();
    const r = await runCli(["service", "install", "--config", "agcp.config.ts"], { cwd: box.project, env: box.env, bin: [binary] });
    expect(r.code).toBe(0);
    expect(readFileSync(box.unitPath, "utf8")).toContain(`ExecStart=${binary} start --config ${join(box.project, "agcp.config.ts")}\n`);
  }, 120_000);
});
