/**
 * `agcp service install|uninstall|status`: write or remove the service file and drive the OS's
 * service manager (systemctl --user, launchctl). The commands run through an injected runner, so
 * tests point it at stand-in scripts and never touch the real service manager.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CommandRunner } from "../credentials/sources.ts";
import { LAUNCHD_LABEL, SERVICE_NAME, launchdPlist, systemdUnit, windowsInstructions, type ServiceSpec } from "./units.ts";

export interface ServiceHost {
  platform: NodeJS.Platform;
  home: string;
  env: Record<string, string | undefined>;
  uid: number;
  user: string;
  run: CommandRunner;
}

export interface ServiceOutcome {
  ok: boolean;
  /** What to tell the user, in order. */
  lines: string[];
}

function configHome(host: ServiceHost): string {
  return host.env.XDG_CONFIG_HOME || join(host.home, ".config");
}

export function serviceFile(host: ServiceHost): string | undefined {
  if (host.platform === "linux") return join(configHome(host), "systemd", "user", `${SERVICE_NAME}.service`);
  if (host.platform === "darwin") return join(host.home, "Library", "LaunchAgents", `${LAUNCHD_LABEL}.plist`);
  return undefined;
}

export function defaultEnvFile(host: ServiceHost): string {
  return join(configHome(host), "agcp", "agcp.env");
}

export function defaultLogFile(host: ServiceHost): string {
  return join(host.home, "Library", "Logs", "agcp.log");
}

async function step(host: ServiceHost, argv: string[], lines: string[]): Promise<boolean> {
  const r = await host.run(argv);
  if (!r) {
    lines.push(`✖ \`${argv.join(" ")}\`: ${argv[0]} is not installed here.`);
    return false;
  }
  if (r.code !== 0) {
    lines.push(`✖ \`${argv.join(" ")}\` failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n")[0] ?? ""}`);
    return false;
  }
  lines.push(`✔ ${argv.join(" ")}`);
  return true;
}

/** systemd user services stop at logout unless lingering is on; say how to turn it on. */
async function lingerAdvice(host: ServiceHost, lines: string[]): Promise<void> {
  const r = await host.run(["loginctl", "show-user", host.user, "--property=Linger"]);
  if (r && r.code === 0 && /Linger=yes/.test(r.stdout)) {
    lines.push("Lingering is on: agcp starts at boot and keeps running after you log out.");
    return;
  }
  lines.push(
    `To start agcp at boot and keep it running after you log out, turn on lingering once: loginctl enable-linger ${host.user}` +
      " (may need sudo).",
  );
}

export async function installService(spec: ServiceSpec, host: ServiceHost): Promise<ServiceOutcome> {
  const lines: string[] = [];
  if (host.platform === "win32") return { ok: true, lines: [windowsInstructions(spec)] };
  const file = serviceFile(host);
  if (!file) return { ok: false, lines: [`No service support for ${host.platform}; run \`${spec.command.join(" ")} start --config ${spec.configFile}\` with your own supervisor.`] };
  mkdirSync(dirname(file), { recursive: true });
  if (host.platform === "linux") {
    writeFileSync(file, systemdUnit(spec));
    lines.push(`Wrote ${file}`);
    const ok =
      (await step(host, ["systemctl", "--user", "daemon-reload"], lines)) &&
      (await step(host, ["systemctl", "--user", "enable", "--now", `${SERVICE_NAME}.service`], lines));
    if (!ok) lines.push(`The unit file is in place; once a user session bus is available run: systemctl --user daemon-reload && systemctl --user enable --now ${SERVICE_NAME}.service`);
    await lingerAdvice(host, lines);
    lines.push(`Logs: journalctl --user -u ${SERVICE_NAME} -f · status: agcp service status`);
    if (!existsSync(spec.envFile)) lines.push(`Token env vars (refreshTokenEnv) for the service go in ${spec.envFile} as KEY=value lines (chmod 600).`);
    return { ok, lines };
  }
  // macOS
  writeFileSync(file, launchdPlist(spec));
  lines.push(`Wrote ${file}`);
  const domain = `gui/${host.uid}`;
  // Replacing a loaded agent: bootstrap refuses while the old one is loaded.
  await host.run(["launchctl", "bootout", `${domain}/${LAUNCHD_LABEL}`]);
  const ok = await step(host, ["launchctl", "bootstrap", domain, file], lines);
  lines.push(`It starts at login and restarts when it fails. Logs: tail -f ${spec.logFile ?? defaultLogFile(host)} · status: agcp service status`);
  lines.push("Token env vars are not passed to launchd agents: keep accounts in agcp's state store (`agcp accounts add` / `import`).");
  return { ok, lines };
}

export async function uninstallService(host: ServiceHost): Promise<ServiceOutcome> {
  const lines: string[] = [];
  if (host.platform === "win32") return { ok: true, lines: ["Remove the scheduled task: Unregister-ScheduledTask -TaskName agcp -Confirm:$false"] };
  const file = serviceFile(host);
  if (!file) return { ok: false, lines: [`No service support for ${host.platform}.`] };
  if (host.platform === "linux") {
    await step(host, ["systemctl", "--user", "disable", "--now", `${SERVICE_NAME}.service`], lines);
    if (existsSync(file)) {
      rmSync(file);
      lines.push(`Removed ${file}`);
    } else lines.push(`No unit file at ${file}.`);
    await step(host, ["systemctl", "--user", "daemon-reload"], lines);
    return { ok: true, lines };
  }
  await step(host, ["launchctl", "bootout", `gui/${host.uid}/${LAUNCHD_LABEL}`], lines);
  if (existsSync(file)) {
    rmSync(file);
    lines.push(`Removed ${file}`);
  } else lines.push(`No agent file at ${file}.`);
  return { ok: true, lines };
}

export interface ServiceStatus extends ServiceOutcome {
  installed: boolean;
  running: boolean;
}

export async function serviceStatus(host: ServiceHost): Promise<ServiceStatus> {
  if (host.platform === "win32") {
    return { ok: true, installed: false, running: false, lines: ["Windows: Get-ScheduledTask -TaskName agcp | Get-ScheduledTaskInfo"] };
  }
  const file = serviceFile(host);
  if (!file) return { ok: false, installed: false, running: false, lines: [`No service support for ${host.platform}.`] };
  const installed = existsSync(file);
  const lines = [installed ? `Service file: ${file}` : `Not installed (no ${file}). Install with: agcp service install`];
  let running = false;
  if (host.platform === "linux") {
    const active = await host.run(["systemctl", "--user", "is-active", `${SERVICE_NAME}.service`]);
    const enabled = await host.run(["systemctl", "--user", "is-enabled", `${SERVICE_NAME}.service`]);
    running = active?.stdout.trim() === "active";
    lines.push(`State: ${active ? active.stdout.trim() || "unknown" : "systemctl not available"}; at login: ${enabled?.stdout.trim() || "unknown"}`);
    lines.push(`Logs: journalctl --user -u ${SERVICE_NAME} -f`);
    if (installed) await lingerAdvice(host, lines);
  } else {
    const r = await host.run(["launchctl", "print", `gui/${host.uid}/${LAUNCHD_LABEL}`]);
    running = Boolean(r && r.code === 0 && /state = running/.test(r.stdout));
    lines.push(`State: ${!r || r.code !== 0 ? "not loaded" : running ? "running" : "loaded, not running"}`);
    lines.push(`Logs: tail -f ${defaultLogFile(host)}`);
  }
  return { ok: installed && running, installed, running, lines };
}
