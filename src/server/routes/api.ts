/**
 * The management API the console (and scripts) use. Same API-key check and Anthropic-style
 * errors as every other route; bodies are validated with zod and a bad one is a 400 that names
 * the field.
 */
import { userAgentOf } from "../../upstream/identity.ts";
import { getRouterParam, type H3Event } from "h3";
import { z } from "zod";
import { ApiError, invalidRequest } from "../../anthropic/errors.ts";
import type { AccountLimits } from "../../console/limits.ts";
import { STRATEGIES, type StrategyName } from "../../pool/tuning.ts";
import { parseBody, readJsonBody } from "../body.ts";
import type { Runtime } from "../runtime.ts";
import { limitsReportFor } from "./account-limits.ts";

const BODY_LIMIT = 16 * 1024;

const strategyBody = z.object({ strategy: z.string() }).strict();

function parseStrategy(value: string): StrategyName {
  if ((STRATEGIES as readonly string[]).includes(value)) return value as StrategyName;
  throw invalidRequest(`strategy: expected one of ${STRATEGIES.map((s) => `"${s}"`).join(", ")}, found ${JSON.stringify(value)}`);
}

/** Switches the strategy now and, through the state layer, for other instances and the next start. */
export async function changeStrategy(rt: Runtime, name: StrategyName): Promise<void> {
  const from = rt.pool.strategy;
  await rt.state.setStrategy(name);
  if (from !== name) rt.log.info(`Strategy switched from ${from} to ${name} (management API).`);
}

/** Enables or disables an account now; the state layer keeps the choice (stored accounts' own flag included). */
export async function changeEnabled(rt: Runtime, id: string, enabled: boolean): Promise<void> {
  await rt.state.accounts.setEnabled(id, enabled);
}

function accountOr404(rt: Runtime, id: string): AccountLimits {
  const found = limitsReportFor(rt).accounts.find((a) => a.id === id);
  if (!found) throw new ApiError("not_found_error", `account: ${JSON.stringify(id)} not found`);
  return found;
}

const idOf = (event: H3Event) => getRouterParam(event, "id", { decode: true }) ?? "";

export function listAccountsHandler(rt: Runtime) {
  return async () => {
    const managed = await rt.state.accounts.list();
    return {
      ...limitsReportFor(rt),
      strategies: STRATEGIES,
      // "config" accounts are changed in agcp.config.ts; "stored" ones here (or with the CLI).
      sources: Object.fromEntries(managed.map((a) => [a.label, a.source])),
      // Each account's own floors, shaped like accounts[].quota (absent: the global floors apply).
      floors: Object.fromEntries(managed.flatMap((a) => (a.floors ? [[a.label, a.floors]] : []))),
      about: aboutOf(rt),
    };
  };
}

/** What the console's header shows: which agcp, since when, as whom upstream sees it, where state lives. */
export function aboutOf(rt: Runtime) {
  const status = rt.state.status();
  return {
    version: rt.version,
    startedAt: new Date(rt.startedAt).toISOString(),
    identity: userAgentOf(rt.config.upstream.identity),
    state: { driver: status.driver, location: status.location, connected: status.connected },
    requestLogSize: rt.requests.size,
  };
}

export function putStrategyHandler(rt: Runtime) {
  return async (event: H3Event) => {
    const { strategy } = parseBody(strategyBody, await readJsonBody(event, BODY_LIMIT));
    const name = parseStrategy(strategy);
    await changeStrategy(rt, name);
    return { strategy: rt.pool.strategy, strategies: STRATEGIES };
  };
}

export function accountActionHandler(rt: Runtime, action: "enable" | "disable" | "reset") {
  return async (event: H3Event) => {
    const id = idOf(event);
    accountOr404(rt, id);
    rt.log.info(`Account ${id}: ${action} (management API).`);
    if (action === "reset") {
      rt.pool.resetAccount(id);
      // A reset drops quota data; read it again so the account does not show as unknown for minutes.
      void rt.quota.refresh(id);
    } else {
      await changeEnabled(rt, id, action === "enable");
    }
    return accountOr404(rt, id);
  };
}

export function refreshQuotaHandler(rt: Runtime) {
  return async () => {
    await rt.quota.refreshAll();
    return { ...limitsReportFor(rt), strategies: STRATEGIES };
  };
}
