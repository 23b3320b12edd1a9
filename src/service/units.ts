/**
 * The files that make agcp a service, as pure text: a systemd user unit (Linux), a launchd agent
 * (macOS), and instructions for Windows, which has no per-user service manager agcp can write to
 * safely. All start `agcp start --config <file>` from the binary's own path and restart it when
 * it fails; none carries a secret (tokens stay in the state store or an environment file).
 */
import { RAISED_FETCH_LIMIT } from "../cli/fetch-limit.ts";

export const SERVICE_NAME = "agcp";
export const LAUNCHD_LABEL = "dev.agcp.proxy";

export interface ServiceSpec {
  /** The command that runs agcp: the binary, or bun + main.ts when run from source. */
  command: string[];
  /** Absolute config file path. */
  configFile: string;
  /** Working directory: the config file's folder (relative storage paths resolve there). */
  workingDir: string;
  /** Optional `KEY=value` file with token env vars (systemd EnvironmentFile). */
  envFile: string;
  /** launchd log file. */
  logFile?: string;
  /** PATH for the service (launchd starts with a minimal one). */
  path?: string;
}

export function startArgs(spec: ServiceSpec): string[] {
  return [...spec.command, "start", "--config", spec.configFile];
}

/** systemd quoting: words with spaces, quotes, backslashes or % need double quotes and escapes. */
function systemdWord(word: string): string {
  const escaped = word.replace(/%/g, "%%");
  return /[\s"'\\]/.test(escaped) ? `"${escaped.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"` : escaped;
}

export function systemdUnit(spec: ServiceSpec): string {
  return `# agcp as a systemd user service; written by \`agcp service install\`, removed by \`agcp service uninstall\`.
# Logs: journalctl --user -u ${SERVICE_NAME} -f
[Unit]
Description=agcp: Anthropic API proxy over Google Antigravity accounts
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=${startArgs(spec).map(systemdWord).join(" ")}
WorkingDirectory=${systemdWord(spec.workingDir)}
# Token env vars named by refreshTokenEnv go here (KEY=value lines, chmod 600); optional.
EnvironmentFile=-${systemdWord(spec.envFile)}
Environment=NO_COLOR=1
# Bun's fetch limit raised from the start, so agcp need not relaunch itself to raise it (src/cli/fetch-limit.ts).
Environment=BUN_CONFIG_MAX_HTTP_REQUESTS=${RAISED_FETCH_LIMIT}
Restart=on-failure
RestartSec=5
# agcp drains in-flight requests on SIGTERM (server.shutdownTimeoutMs); give it that long.
TimeoutStopSec=20

[Install]
WantedBy=default.target
`;
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function launchdPlist(spec: ServiceSpec): string {
  const args = startArgs(spec).map((a) => `    <string>${xml(a)}</string>`).join("\n");
  const log = xml(spec.logFile ?? "/tmp/agcp.log");
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- agcp as a launchd agent; written by \`agcp service install\`, removed by \`agcp service uninstall\`. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>WorkingDirectory</key>
  <string>${xml(spec.workingDir)}</string>
  <key>EnvironmentVariables</key>
  <dict>
    <key>PATH</key>
    <string>${xml(spec.path ?? "/usr/local/bin:/opt/homebrew/bin:/usr/bin:/bin")}</string>
    <key>NO_COLOR</key>
    <string>1</string>
    <key>BUN_CONFIG_MAX_HTTP_REQUESTS</key>
    <string>${RAISED_FETCH_LIMIT}</string>
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <!-- Restart when it exits with an error (not after a clean stop). -->
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <key>StandardOutPath</key>
  <string>${log}</string>
  <key>StandardErrorPath</key>
  <string>${log}</string>
</dict>
</plist>
`;
}

function winQuote(word: string): string {
  return /[\s"]/.test(word) ? `"${word.replace(/"/g, '\\"')}"` : word;
}

/** Windows: a Task Scheduler task at logon that restarts on failure (printed, not run). */
export function windowsInstructions(spec: ServiceSpec): string {
  const command = startArgs(spec).map(winQuote).join(" ");
  return `Windows has no per-user service manager agcp writes to; run it at logon with Task Scheduler.
In PowerShell:

  $action  = New-ScheduledTaskAction -Execute ${winQuote(spec.command[0]!)} -Argument '${startArgs(spec).slice(1).map(winQuote).join(" ").replace(/'/g, "''")}' -WorkingDirectory '${spec.workingDir.replace(/'/g, "''")}'
  $trigger = New-ScheduledTaskTrigger -AtLogOn
  $settings = New-ScheduledTaskSettingsSet -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) -ExecutionTimeLimit 0
  Register-ScheduledTask -TaskName agcp -Action $action -Trigger $trigger -Settings $settings
  Start-ScheduledTask -TaskName agcp

It runs: ${command}
Status: Get-ScheduledTask -TaskName agcp | Get-ScheduledTaskInfo
Remove: Unregister-ScheduledTask -TaskName agcp -Confirm:$false
Token environment variables: set them for your user (setx AGCP_TOKEN_1 ...), or add accounts with
\`agcp accounts add\` / \`agcp accounts import\`, which keep tokens in agcp's state store.`;
}
