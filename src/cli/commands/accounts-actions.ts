/**
 * What `agcp accounts` does, as plain functions over an injected config, store and output, so
 * the commands stay thin and tests can drive every path without spawning processes.
 */
import type { ConsolaInstance } from "consola";
import { poolFloorsOf } from "../../config/account-floors.ts";
import type { ResolvedConfig } from "../../config/resolve.ts";
import { buildLimitsReport, fixFor, renderLimitsTable, type LimitsReport, type TableOptions } from "../../console/limits.ts";
import { createPool, type Pool } from "../../pool/pool.ts";
import type { StrategyName } from "../../pool/tuning.ts";
import type { AccountFloors, InvalidKind } from "../../pool/types.ts";
import { parseCatalog } from "../../google/catalog.ts";
import { gateAdvice, probeVersionGate } from "../../google/gate-probe.ts";
import { KNOWN_UPSTREAM_MODELS } from "../../google/models.ts";
import {
  createUpstreamClient,
  describeIdentity,
  UpstreamError,
  userAgentOf,
  type UpstreamAccount,
  type UpstreamClient,
} from "../../upstream/index.ts";
import { readAccountQuota } from "../../upstream/quota-read.ts";
import { RuntimeFailure, UsageError } from "../errors.ts";
import { startupStrategy, StateError, type StoredAccount } from "../../state/index.ts";
import type { AccountsStore } from "./accounts-store.ts";

export interface AccountsContext {
  config: ResolvedConfig;
  store: AccountsStore;
  log: ConsolaInstance;
  /** For tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  now?: () => number;
}

export interface KnownAccount {
  label: string;
  email?: string;
  refreshToken: string;
  projectId?: string;
  /** Outbound proxy of a config account. */
  proxy?: string;
  enabled: boolean;
  /** Where it is defined: the config file (edit it there) or the state store (`accounts add`). */
  source: "config" | "stored";
  /** A config account whose token was replaced by signing it in again (kept in the state store). */
  resigned?: boolean;
  floors?: AccountFloors;
}

/** Config accounts first; a stored account with the same label is shadowed, as the server does. */
export async function knownAccounts(ctx: AccountsContext): Promise<KnownAccount[]> {
  const out: KnownAccount[] = ctx.config.accounts.map((a) => ({
    label: a.label,
    ...(a.email !== undefined && { email: a.email }),
    refreshToken: a.refreshToken,
    ...(a.projectId !== undefined && { projectId: a.projectId }),
    ...(a.proxy !== undefined && { proxy: a.proxy }),
    enabled: a.enabled,
    source: "config",
    floors: poolFloorsOf(a.quota),
  }));
  const taken = new Set(out.map((a) => a.label));
  for (const s of await ctx.store.accounts.list()) {
    if (taken.has(s.label)) {
      // A configured account signed in again: its new token lives in the store and wins.
      const configured = out.find((a) => a.label === s.label)!;
      configured.refreshToken = s.refreshToken;
      configured.resigned = true;
      continue;
    }
    out.push({
      label: s.label,
      ...(s.email !== undefined && { email: s.email }),
      refreshToken: s.refreshToken,
      ...(s.projectId !== undefined && { projectId: s.projectId }),
      ...(s.proxy !== undefined && { proxy: s.proxy }),
      enabled: s.enabled,
      source: "stored",
      ...(s.floors !== undefined && { floors: poolFloorsOf(s.floors) }),
    });
  }
  return out;
}

function poolFor(ctx: AccountsContext, accounts: readonly KnownAccount[], strategy: StrategyName): Pool {
  return createPool({
    accounts: accounts.map((a) => ({ id: a.label, label: a.label, enabled: a.enabled, ...(a.floors && { floors: a.floors }) })),
    tuning: ctx.config.pool,
    strategy,
    globalFloor: ctx.config.quota.floor,
    modelFloors: ctx.config.quota.models,
    windowFloors: ctx.config.quota.pools,
    ...(ctx.now && { now: ctx.now }),
  });
}

function reportOf(ctx: AccountsContext, pool: Pool): LimitsReport {
  return buildLimitsReport({
    accounts: pool.accounts(),
    strategy: pool.strategy,
    now: (ctx.now ?? Date.now)(),
    bucketMax: ctx.config.pool.bucket.max,
  });
}

/** The strategy a server started now would use: a run-time choice survives until the config changes. */
async function savedStrategy(ctx: AccountsContext): Promise<StrategyName> {
  return startupStrategy(await ctx.store.settings.get(), ctx.config.strategy).name;
}

/** The pool as the last server run left it in the state store (no upstream call). */
export async function localReport(ctx: AccountsContext): Promise<LimitsReport> {
  const accounts = await knownAccounts(ctx);
  const pool = poolFor(ctx, accounts, await savedStrategy(ctx));
  await ctx.store.loadInto(pool);
  return reportOf(ctx, pool);
}

export interface RemoteOptions {
  url: string;
  apiKey?: string;
  fetch?: typeof fetch;
}

function remoteHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { "x-api-key": apiKey } : {};
}

async function remoteFailure(res: Response, url: string): Promise<RuntimeFailure> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  const why = body?.error?.message ?? `HTTP ${res.status}`;
  const hint = res.status === 401 ? " (pass --api-key or set AGCP_API_KEY)" : "";
  return new RuntimeFailure(`${url}: ${why}${hint}`);
}

async function remoteFetch(opts: RemoteOptions, path: string, init: RequestInit = {}): Promise<Response> {
  const base = opts.url.replace(/\/+$/, "");
  const target = `${base}${path}`;
  let res: Response;
  try {
    res = await (opts.fetch ?? fetch)(target, { ...init, headers: { ...remoteHeaders(opts.apiKey), ...init.headers } });
  } catch (error) {
    throw new RuntimeFailure(`Cannot reach agcp at ${base}: ${(error as Error).message}. Is \`agcp start\` running there?`);
  }
  if (!res.ok) throw await remoteFailure(res, base);
  return res;
}

/** The running server's own table (or JSON), exactly as /account-limits renders it. */
export async function remoteLimits(opts: RemoteOptions, format: "table" | "json", width?: number): Promise<string> {
  const params = new URLSearchParams({ format });
  if (width !== undefined) params.set("width", String(width));
  const res = await remoteFetch(opts, `/account-limits?${params}`);
  return format === "json" ? JSON.stringify(await res.json(), null, 2) + "\n" : await res.text();
}

export async function remoteSetEnabled(opts: RemoteOptions, label: string, enabled: boolean): Promise<void> {
  // Declared JSON: the server refuses undeclared changes (what a foreign web page would send).
  await remoteFetch(opts, `/api/accounts/${encodeURIComponent(label)}/${enabled ? "enable" : "disable"}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
  });
}

export function renderReport(report: LimitsReport, format: "table" | "json", options: TableOptions = {}): string {
  return format === "json" ? JSON.stringify(report, null, 2) + "\n" : renderLimitsTable(report, options);
}

export interface VerifyProblem {
  label: string;
  kind: string;
  message: string;
  fix: string;
}

export interface VerifyProgress {
  start(label: string, index: number, total: number): void;
  finish(label: string, outcome: { ok: true; note: string } | { ok: false; note: string }): void;
}

const INVALID_KINDS = new Set<string>(["auth_revoked", "verification_required", "banned"]);

function fixForProblem(err: UpstreamError, label: string): string {
  if (INVALID_KINDS.has(err.kind)) return fixFor(err.kind as InvalidKind, label, err.validationUrl);
  switch (err.kind) {
    case "unauthenticated":
      return "Google refused its access token even after a refresh: sign in again with `agcp accounts add`.";
    case "network":
      return "Could not reach Google: check the network (or upstream.hosts / upstream.oauth in agcp.config.ts) and run verify again.";
    case "quota_exhausted":
    case "rate_limited":
    case "capacity":
      return "Upstream is limiting this account right now; it recovers by itself. Run verify again later.";
    default:
      return "Upstream answered with an error; run verify again in a minute. If it persists, run with --log-level debug.";
  }
}

/**
 * Refreshes every account's token, reads its tier and quota, and says which ones need a human.
 * Disabled accounts are checked too: someone about to enable one wants to know it works.
 */
export async function verifyAccounts(
  ctx: AccountsContext,
  progress: VerifyProgress,
): Promise<{ report: LimitsReport; problems: VerifyProblem[]; identity: string; gate?: string }> {
  const accounts = await knownAccounts(ctx);
  const pool = poolFor(ctx, accounts, await savedStrategy(ctx));
  const upstream: UpstreamClient = createUpstreamClient({
    ...ctx.config.upstream,
    ...(ctx.fetch && { fetch: ctx.fetch }),
    ...(ctx.now && { now: ctx.now }),
  });
  const problems: VerifyProblem[] = [];
  const identity = { userAgent: userAgentOf(ctx.config.upstream.identity), source: ctx.config.identitySource };
  let gate: string | undefined;
  let gateProbed = false;
  for (const [i, a] of accounts.entries()) {
    progress.start(a.label, i, accounts.length);
    const account: UpstreamAccount = {
      id: a.label,
      refreshToken: a.refreshToken,
      ...(a.projectId && { projectId: a.projectId }),
      ...(a.proxy && { proxy: a.proxy }),
    };
    try {
      await upstream.tokens.get(account);
      const info = await upstream.discover(account);
      pool.setTier(a.label, info.tier);
      const { models, windows, catalogAnswer } = await readAccountQuota(upstream, account);
      pool.setQuota(a.label, models, windows);
      // The identity is the same for every account: one generate on the first working one tells
      // whether upstream still accepts it. Upstream's default agent model is its newest, so the
      // newer-models gate shows there too.
      const catalog = parseCatalog(catalogAnswer);
      const probeModel = gateProbed
        ? undefined
        : catalog.defaultAgentModelId && catalog.models[catalog.defaultAgentModelId]
          ? catalog.defaultAgentModelId
          : KNOWN_UPSTREAM_MODELS.find((id) => id in models);
      if (probeModel) {
        gateProbed = true;
        const finding = await probeVersionGate(upstream, account, probeModel);
        gate = gateAdvice(finding, identity);
        if (finding.verdict === "unknown") gateProbed = false;
      }
      progress.finish(a.label, { ok: true, note: `${info.tier} tier, ${Object.keys(models).length} models` });
    } catch (error) {
      if (!(error instanceof UpstreamError)) throw error;
      if (INVALID_KINDS.has(error.kind)) pool.reportFailure(a.label, "", error);
      problems.push({ label: a.label, kind: error.kind, message: error.message, fix: fixForProblem(error, a.label) });
      progress.finish(a.label, { ok: false, note: `${error.kind}: ${error.message}` });
    }
  }
  return { report: reportOf(ctx, pool), problems, identity: describeIdentity(ctx.config.upstream.identity, ctx.config.identitySource), ...(gate && { gate }) };
}

/**
 * Stores a signed-in account; signing in again under the same label replaces its token. A label
 * of a config-file account stores the new token for it (`takesOver`): it wins over the file's
 * token from then on, so a revoked config account is fixed without editing files or env vars.
 */
export async function saveSignedIn(
  ctx: AccountsContext,
  signedIn: { email: string; refreshToken: string; projectId?: string; enabled?: boolean; proxy?: string },
  label?: string,
): Promise<{ account: StoredAccount; replaced: boolean; takesOver: boolean }> {
  if (ctx.config.storage.driver === "memory") {
    throw new UsageError('storage.driver is "memory", so the account would be forgotten at once; use "fs" or "redis" to add accounts.');
  }
  const wanted = label ?? signedIn.email;
  const takesOver = ctx.config.accounts.some((a) => a.label === wanted);
  try {
    const saved = await ctx.store.accounts.add({
      label: wanted,
      email: signedIn.email,
      refreshToken: signedIn.refreshToken,
      ...(signedIn.projectId !== undefined && { projectId: signedIn.projectId }),
      ...(signedIn.enabled !== undefined && { enabled: signedIn.enabled }),
      ...(signedIn.proxy !== undefined && { proxy: signedIn.proxy }),
    });
    return { ...saved, takesOver };
  } catch (error) {
    if (error instanceof StateError) throw new UsageError(error.message);
    throw error;
  }
}

async function storedOrExplain(ctx: AccountsContext, label: string): Promise<StoredAccount> {
  const stored = await ctx.store.accounts.get(label);
  if (stored) return stored;
  if (ctx.config.accounts.some((a) => a.label === label)) {
    throw new UsageError(
      `${JSON.stringify(label)} is defined in the config file, so change it there (set \`enabled: false\` or delete the entry). ` +
        `To switch it on a running server without a restart, add --url.`,
    );
  }
  const known = (await knownAccounts(ctx)).map((a) => a.label);
  throw new UsageError(`No account ${JSON.stringify(label)}. Known accounts: ${known.length ? known.join(", ") : "none"}.`);
}

export async function removeStored(ctx: AccountsContext, label: string): Promise<void> {
  await storedOrExplain(ctx, label);
  await ctx.store.accounts.remove(label);
  // Its cooldowns and quota mean nothing once it is gone, and must not come back with a re-add.
  await ctx.store.forget(label);
}

/** True when it changed. */
export async function setStoredEnabled(ctx: AccountsContext, label: string, enabled: boolean): Promise<boolean> {
  if (ctx.config.accounts.some((a) => a.label === label)) {
    throw new UsageError(
      `${JSON.stringify(label)} is defined in the config file, so change it there (set \`enabled: false\` or delete the entry). ` +
        `To switch it on a running server without a restart, add --url.`,
    );
  }
  const stored = await storedOrExplain(ctx, label);
  if (stored.enabled === enabled) return false;
  await ctx.store.accounts.setEnabled(label, enabled);
  return true;
}
