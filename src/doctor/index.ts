/**
 * `agcp doctor`: everything that has to be right for agcp to serve, checked in one go, each
 * finding with its fix. Plain functions over injected config, store and fetch so tests drive it
 * against the simulator.
 */
import { userAgentOf } from "../upstream/identity.ts";
import type { ResolvedConfig } from "../config/resolve.ts";
import { ANTIGRAVITY_OAUTH_CLIENT } from "../upstream/options.ts";
import { createUpstreamClient } from "../upstream/client.ts";
import { checkAccount, type DoctorAccount } from "./accounts.ts";
import { checkClock, checkPort, checkProxies } from "./network.ts";
import { checkStateStore } from "./state-store.ts";
import { report, type DoctorReport, type Finding } from "./types.ts";

export interface DoctorInput {
  config: ResolvedConfig;
  /** Findings made while loading the config (it may have loaded only without its accounts). */
  configFindings: Finding[];
  /** Every account agcp would serve (config + state store). */
  accounts: DoctorAccount[];
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  now?: () => number;
}

export function oauthFinding(config: ResolvedConfig, env: Record<string, string | undefined>): Finding {
  const { clientId, clientSecret } = config.upstream.oauth;
  if (!clientId || !clientSecret) {
    return {
      check: "oauth",
      status: "fail",
      message: "No OAuth client: upstream.oauth.clientId / clientSecret are empty, so no token can be refreshed.",
      fix: "Remove the empty values from the config to use the built-in Antigravity client, or set AGCP_OAUTH_CLIENT_ID and AGCP_OAUTH_CLIENT_SECRET.",
    };
  }
  const source =
    env.AGCP_OAUTH_CLIENT_ID ? "from AGCP_OAUTH_CLIENT_ID"
    : clientId === ANTIGRAVITY_OAUTH_CLIENT.clientId ? "the built-in Antigravity desktop client"
    : clientId === "agcp-demo" ? "the simulator's demo client"
    : "from the config file";
  return { check: "oauth", status: "ok", message: `OAuth client ${clientId.split("-")[0]}-… (${source}).` };
}

function identityFinding(config: ResolvedConfig, accountFindings: Finding[]): Finding {
  // The User-Agent is built from family/version/os/arch unless given whole; say where it came from.
  const ua = userAgentOf(config.upstream.identity);
  const from = ` (from ${config.identitySource})`;
  const catalogOk = accountFindings.some((f) => f.status !== "fail");
  const anyAccount = accountFindings.length > 0;
  const rejected = accountFindings.filter((f) => /no longer supported|out of date|Requested entity was not found/i.test(f.message));
  if (rejected.length > 0) {
    return {
      check: "identity",
      status: "fail",
      message: `User-Agent "${ua}"${from}: upstream refuses it (${rejected.map((f) => f.subject).join(", ")}).`,
      fix: "Raise upstream.identity.version or AGCP_CLIENT_VERSION (see the README's \"What changed upstream\").",
    };
  }
  return {
    check: "identity",
    status: "ok",
    message: `User-Agent "${ua}"${from}${catalogOk ? ": upstream answered the catalog with it" : anyAccount ? ": not confirmed (no account reached the catalog)" : ""}.`,
  };
}

export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  const { config } = input;
  const findings: Finding[] = [...input.configFindings];
  findings.push(oauthFinding(config, input.env));
  findings.push(...(await checkStateStore(config.storage)));
  findings.push(...(await checkPort(config.host, config.port, input.fetch)));
  findings.push(...(await checkProxies(config, input.accounts)));
  findings.push(...(await checkClock(config, input.fetch, input.now)));
  const upstream = createUpstreamClient({ ...config.upstream, ...(input.fetch && { fetch: input.fetch }), ...(input.now && { now: input.now }) });
  const accountFindings: Finding[] = [];
  if (input.accounts.length === 0) {
    accountFindings.push({ check: "account", status: "fail", message: "No accounts: there is nothing to serve with.", fix: "agcp accounts add (sign in), agcp accounts import (agy, the desktop app), or accounts in the config file." });
  }
  // One at a time: the output follows the list, and a flaky network is not hammered.
  for (const a of input.accounts) accountFindings.push(...(await checkAccount(a, upstream)));
  findings.push(identityFinding(config, accountFindings.filter((f) => f.subject !== undefined)));
  findings.push(...accountFindings);
  return report(findings);
}

const MARK = { ok: "✔", warn: "!", fail: "✖" } as const;

export function renderReport(r: DoctorReport): string {
  const width = Math.max(...r.findings.map((f) => f.check.length));
  const lines = r.findings.flatMap((f) => [
    `${MARK[f.status]} ${f.check.padEnd(width)}  ${f.message}`,
    ...(f.fix && f.status !== "ok" ? [`  ${" ".repeat(width)}  → ${f.fix}`] : []),
  ]);
  const fails = r.findings.filter((f) => f.status === "fail").length;
  const warns = r.findings.filter((f) => f.status === "warn").length;
  lines.push("");
  lines.push(
    fails > 0 ? `${fails} problem${fails === 1 ? "" : "s"} to fix${warns ? `, ${warns} warning${warns === 1 ? "" : "s"}` : ""}.`
    : warns > 0 ? `No problems; ${warns} warning${warns === 1 ? "" : "s"}.`
    : `All ${r.findings.length} checks passed.`,
  );
  return lines.join("\n");
}
