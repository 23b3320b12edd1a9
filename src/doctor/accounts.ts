/**
 * Every account, the way a request would meet it: a token refresh, the project and tier
 * (loadCodeAssist), the model catalog and its quota. Each step names what broke and the fix.
 */
import type { QuotaWindow } from "../google/quota-pools.ts";
import type { UpstreamAccount, UpstreamClient } from "../upstream/client.ts";
import { readAccountQuota } from "../upstream/quota-read.ts";
import { UpstreamError } from "../upstream/errors.ts";
import type { Finding } from "./types.ts";

export interface DoctorAccount {
  label: string;
  refreshToken: string;
  projectId?: string;
  proxy?: string;
  enabled: boolean;
  source: "config" | "stored";
}

function fixFor(error: UpstreamError, a: DoctorAccount): string {
  switch (error.kind) {
    case "auth_revoked":
      return `Sign in again: agcp accounts add --label ${a.label} (or agcp accounts import … --label ${a.label})${a.source === "config" ? "; the new token takes over from the config file's" : ""}.`;
    case "verification_required":
      return `Google wants a human to verify the account${error.validationUrl ? ` at ${error.validationUrl}` : " (sign in to Antigravity with it once)"}.`;
    case "banned":
      return `Google disabled the account: ${a.source === "config" ? "delete it from the config file" : `agcp accounts remove ${a.label}`}.`;
    case "network":
      return `Check the network${a.proxy ? " and this account's proxy" : ""} (and upstream.hosts / upstream.oauth).`;
    case "bad_request":
      return "Check upstream.oauth (clientId / clientSecret must be the client that issued this token).";
    case "quota_exhausted":
    case "rate_limited":
    case "capacity":
      return "Upstream limits it right now; it recovers by itself.";
    default:
      return "Run again in a minute; if it persists, run agcp start --log-level debug and look at this account's errors.";
  }
}

function lowestQuota(models: Record<string, { fraction: number }>): string {
  const entries = Object.entries(models);
  if (entries.length === 0) return "no quota data";
  const [id, q] = entries.reduce((lo, e) => (e[1].fraction < lo[1].fraction ? e : lo));
  return `lowest remaining ${Math.round(q.fraction * 100)}% (${id})`;
}

/** "quota claude 5h 40% · weekly 80%, gemini weekly 95%": the windows the pool balances on. */
function windowsText(windows: readonly QuotaWindow[]): string {
  if (windows.length === 0) return "no quota windows reported";
  const pools = [...new Set(windows.map((w) => w.pool))];
  return `quota ${pools
    .map((p) => `${p} ${windows.filter((w) => w.pool === p).map((w) => `${w.window} ${Math.round(w.remaining * 100)}%`).join(" · ")}`)
    .join(", ")}`;
}

export async function checkAccount(a: DoctorAccount, upstream: UpstreamClient): Promise<Finding[]> {
  const check = "account";
  const subject = a.label;
  const account: UpstreamAccount = { id: a.label, refreshToken: a.refreshToken, ...(a.projectId && { projectId: a.projectId }), ...(a.proxy && { proxy: a.proxy }) };
  const off = a.enabled ? "" : " (disabled: no requests go to it)";
  let step = "token";
  try {
    await upstream.tokens.get(account);
    step = "project";
    const info = await upstream.discover(account);
    step = "catalog";
    const { models, windows } = await readAccountQuota(upstream, account);
    const count = Object.keys(models).length;
    if (count === 0) {
      return [{ check, subject, status: "warn", message: `${a.label}: ${info.tier} tier, project ${info.projectId}, but the catalog lists no models with quota${off}.`, fix: "Check the identity (upstream.identity) and the account's entitlements; agcp accounts verify shows the same." }];
    }
    const exhausted = Object.entries(models).filter(([, q]) => q.fraction <= 0).map(([id]) => id);
    const emptyWindows = (windows ?? []).filter((w) => w.remaining <= 0);
    const quota = windows ? windowsText(windows) : lowestQuota(models);
    const empty = exhausted.length === count || emptyWindows.length > 0;
    return [{
      check,
      subject,
      status: empty ? "warn" : "ok",
      message: `${a.label}: token ok, ${info.tier} tier, project ${info.projectId}, ${count} models, ${quota}${off}.`,
      ...(empty && {
        fix: `${emptyWindows.length > 0 ? `Empty: ${emptyWindows.map((w) => `${w.pool} ${w.window}${w.resetAt ? ` until ${new Date(w.resetAt).toISOString()}` : ""}`).join(", ")}` : "Every model's quota is used up"}; it comes back by itself (agcp accounts list shows when).`,
      }),
    }];
  } catch (error) {
    if (!(error instanceof UpstreamError)) throw error;
    return [{ check, subject, status: "fail", message: `${a.label}: ${step} failed: ${error.kind}: ${error.message}${off}.`, fix: fixFor(error, a) }];
  }
}
