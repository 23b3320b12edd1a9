/**
 * Control API of the simulated upstream (JSON in, JSON out). It changes how the sim behaves while
 * it runs, so tests and demos can provoke every upstream condition on demand.
 *
 *   GET    /__sim/accounts              List accounts: email, refreshToken, projectId, tier, quotas
 *                                       (remainingFraction + resetTime per model, as quotaInfo shows them),
 *                                       buckets (each quota window: pool, window, remainingFraction, resetTime), rateLimitPerMinute,
 *                                       revoked / validationRequired / banned flags, fault, counters.
 *   GET    /__sim/accounts/:email       One account (404 if unknown), with the last request's headers
 *                                       (counters.lastRequestHeaders, never Authorization) and body.
 *   POST   /__sim/accounts              Add an account. Body: SimAccountInit
 *                                       {email, refreshToken, projectId?, tier?, quota?, rateLimitPerMinute?,
 *                                        revoked?, validationRequired?, banned?}. 201 with the account; 409 if it exists.
 *   PATCH  /__sim/accounts/:email       Change an account. Body, every field optional:
 *                                         quota: number | {"<model>": number}   remaining fraction 0..1 of
 *                                                                               the window the model's quotaInfo
 *                                                                               shows (its pool's 5h window);
 *                                                                               a number sets every window;
 *                                         resetInMs: number     when that quota comes back (default: the
 *                                                               quota window); with quota 0 the next generate
 *                                                               is a 429 QUOTA_EXHAUSTED with this delay;
 *                                         buckets: {"<bucketId>": {remainingFraction?: F, resetInMs?: MS}}
 *                                                   quota windows: gemini-5h, gemini-weekly, 3p-5h,
 *                                                   3p-weekly (free tier uses only the weekly ones);
 *                                                   an empty window refuses every model of its pool;
 *                                         rateLimitPerMinute: number | null;
 *                                         revoked, validationRequired, banned: boolean;
 *                                         tier: "free" | "pro" | "ultra"; projectId: string | null;
 *                                         fault: {latencyMs?, dropAfterChunks?, emptyStream?,
 *                                                 capacity?: "503" | "429", serverError?, failNext?} | null;
 *                                         expireAccessTokens: true   (issued access tokens now answer 401);
 *                                         models: ["<model id>", …]  the account's entitlements (its catalog;
 *                                                               other ids answer 404), null for the whole lineup.
 *                                       Answers the updated account.
 *   DELETE /__sim/accounts/:email       Remove an account (its access tokens stop working).
 *   GET    /__sim/validate/:email       The page a VALIDATION_REQUIRED error links to: clears the flag.
 *   GET    /__sim/faults                The global fault (applies to every account), or null.
 *   PATCH  /__sim/faults                Set the global fault (same shape as above) or null to clear.
 *   GET    /__sim/version-gate          The version gate per User-Agent family ({desktop, cli}: {minimum,
 *                                       newerModels}), or null when every version passes.
 *   PATCH  /__sim/version-gate          Change it: {"desktop": {"minimum": "3.0.0"}} (merged), or null / false.
 *   POST   /__sim/reset                 Zero every counter. Body {"quotas": true} also refills every quota;
 *                                       {"faults": true} also clears account and global faults.
 *   GET    /__sim/grounding-redirect/:id  (also HEAD) A web search result's redirect link: 302 to its target.
 *   GET    /__sim/stats                 Totals over all accounts: requests per method, successful
 *                                       generates, 429s by reason, 401s, 403s, 400s, 5xx, inflight, client aborts.
 *
 * Errors use the Google RPC body, e.g. 404 {"error": {"code": 404, "status": "NOT_FOUND", "message": "..."}}.
 */
import { normaliseFault } from "./faults.ts";
import { readJson, type SimContext } from "./http.ts";
import { applyBucketPatch, readBucketPatch } from "./quota-pools.ts";
import { rpcError } from "./rpc-error.ts";
import type { SimAccount } from "./state.ts";
import type { SimAccountInit, SimFault, SimTier } from "./types.ts";
import { GROUNDING_REDIRECT_PATH, handleGroundingRedirect } from "./web-search.ts";
import { isVersion, resolveGates } from "./version-gate.ts";
import { isRecord } from "./wire.ts";

export const CONTROL_PREFIX = "/__sim/";

const TIERS: SimTier[] = ["free", "pro", "ultra"];

export async function handleControl(ctx: SimContext): Promise<Response> {
  const { state, req, url } = ctx;
  if (url.pathname.startsWith(GROUNDING_REDIRECT_PATH)) return handleGroundingRedirect(ctx);
  const path = url.pathname.slice(CONTROL_PREFIX.length).split("/").map(decodeURIComponent);
  const [resource, id] = path;
  const method = req.method;

  if (resource === "accounts" && path.length === 1) {
    if (method === "GET") return Response.json([...state.accounts.values()].map((a) => state.view(a)));
    if (method === "POST") return addAccount(ctx);
  }
  if (resource === "accounts" && path.length === 2 && id !== undefined) {
    const account = state.accounts.get(id);
    if (!account) return rpcError("NOT_FOUND", `No simulated account ${id}.`);
    if (method === "GET") return Response.json(state.view(account));
    if (method === "PATCH") return patchAccount(ctx, account);
    if (method === "DELETE") {
      state.removeAccount(id);
      return Response.json({ deleted: id });
    }
  }
  if (resource === "validate" && path.length === 2 && id !== undefined && method === "GET") {
    const account = state.accounts.get(id);
    if (!account) return rpcError("NOT_FOUND", `No simulated account ${id}.`);
    account.validationRequired = false;
    return new Response(`<!doctype html><title>Verified</title><p>${escapeHtml(id)} is verified. You can close this tab.</p>`, {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  }
  if (resource === "faults" && path.length === 1) {
    if (method === "GET") return Response.json({ fault: state.globalFault });
    if (method === "PATCH" || method === "PUT") {
      const body = await readJson(req);
      if (!body.ok) return rpcError("INVALID_ARGUMENT", "Invalid JSON payload received.");
      const value = isRecord(body.value) && "fault" in body.value ? body.value.fault : body.value;
      const fault = normaliseFault(value);
      if (typeof fault === "string") return rpcError("INVALID_ARGUMENT", fault);
      state.globalFault = fault;
      return Response.json({ fault: state.globalFault });
    }
  }
  if (resource === "version-gate" && path.length === 1) {
    if (method === "GET") return Response.json(state.config.gates);
    if (method === "PATCH" || method === "PUT") return patchGate(ctx);
  }
  if (resource === "reset" && path.length === 1 && method === "POST") return reset(ctx);
  if (resource === "stats" && path.length === 1 && method === "GET") return Response.json(state.stats());
  return rpcError("NOT_FOUND", `No control route ${method} ${url.pathname}.`);
}

async function addAccount(ctx: SimContext): Promise<Response> {
  const body = await readJson(ctx.req);
  if (!body.ok || !isRecord(body.value)) return rpcError("INVALID_ARGUMENT", "Body must be a JSON object.");
  const init = body.value;
  if (typeof init.email !== "string" || init.email === "") return rpcError("INVALID_ARGUMENT", "email is required.");
  if (ctx.state.accounts.has(init.email)) {
    return Response.json({ error: { code: 409, status: "ALREADY_EXISTS", message: `Account ${init.email} exists.` } }, { status: 409 });
  }
  const problem = accountFieldsProblem(init, ctx.state.config.models.map((m) => m.id));
  if (problem) return rpcError("INVALID_ARGUMENT", problem);
  const account = ctx.state.addAccount({
    ...(init as unknown as SimAccountInit),
    refreshToken: typeof init.refreshToken === "string" && init.refreshToken !== "" ? init.refreshToken : `sim-refresh-${crypto.randomUUID()}`,
  });
  return Response.json(ctx.state.view(account), { status: 201 });
}

function accountFieldsProblem(body: Record<string, unknown>, knownIds: string[]): string | null {
  if (body.tier !== undefined && !TIERS.includes(body.tier as SimTier)) return `tier must be one of ${TIERS.join(", ")}.`;
  if (body.projectId !== undefined && body.projectId !== null && typeof body.projectId !== "string") return "projectId must be a string or null.";
  for (const flag of ["revoked", "validationRequired", "banned"]) {
    if (body[flag] !== undefined && typeof body[flag] !== "boolean") return `${flag} must be a boolean.`;
  }
  const rate = body.rateLimitPerMinute;
  if (rate !== undefined && rate !== null && (typeof rate !== "number" || rate < 0)) return "rateLimitPerMinute must be a non-negative number or null.";
  const models = body.models;
  if (models !== undefined && models !== null) {
    if (!Array.isArray(models) || !models.every((m) => typeof m === "string")) return "models must be an array of model ids or null.";
    const unknown = models.filter((m) => !knownIds.includes(m));
    if (unknown.length > 0) return `unknown model ids ${unknown.join(", ")}; the lineup has ${knownIds.join(", ")}.`;
  }
  const quota = body.quota;
  if (quota !== undefined && typeof quota !== "number" && !(isRecord(quota) && Object.values(quota).every((v) => typeof v === "number"))) {
    return "quota must be a number or an object of numbers.";
  }
  if (body.buckets !== undefined) {
    const patch = readBucketPatch(body.buckets);
    if (typeof patch === "string") return patch;
  }
  return null;
}

async function patchAccount(ctx: SimContext, account: SimAccount): Promise<Response> {
  const { state } = ctx;
  const body = await readJson(ctx.req);
  if (!body.ok || !isRecord(body.value)) return rpcError("INVALID_ARGUMENT", "Body must be a JSON object.");
  const patch = body.value;
  const problem = accountFieldsProblem(patch, state.config.models.map((m) => m.id));
  if (problem) return rpcError("INVALID_ARGUMENT", problem);
  if (patch.resetInMs !== undefined && (typeof patch.resetInMs !== "number" || patch.resetInMs < 0)) {
    return rpcError("INVALID_ARGUMENT", "resetInMs must be a non-negative number.");
  }
  let fault: SimFault | null | undefined;
  if ("fault" in patch) {
    const normalised = normaliseFault(patch.fault);
    if (typeof normalised === "string") return rpcError("INVALID_ARGUMENT", normalised);
    fault = normalised;
  }

  // The tier first: it decides which windows exist, and quota lands on those.
  if (patch.tier !== undefined) account.tier = patch.tier as SimTier;
  if (patch.quota !== undefined) {
    state.setQuota(account, patch.quota as number | Record<string, number>, patch.resetInMs as number | undefined);
  }
  if (patch.buckets !== undefined) {
    const buckets = readBucketPatch(patch.buckets);
    if (typeof buckets !== "string") applyBucketPatch(state, account, buckets);
  }
  if (patch.rateLimitPerMinute !== undefined) {
    account.rateLimitPerMinute = (patch.rateLimitPerMinute as number | null) || null;
    account.recentRequests = [];
  }
  if (typeof patch.revoked === "boolean") account.revoked = patch.revoked;
  if (typeof patch.validationRequired === "boolean") account.validationRequired = patch.validationRequired;
  if (typeof patch.banned === "boolean") account.banned = patch.banned;
  if (patch.projectId !== undefined) account.projectId = patch.projectId as string | null;
  if (fault !== undefined) account.fault = fault;
  if (patch.expireAccessTokens === true) state.expireAccessTokens(account);
  if (patch.models !== undefined) account.models = patch.models === null ? null : [...(patch.models as string[])];
  return Response.json(state.view(account));
}

async function patchGate(ctx: SimContext): Promise<Response> {
  const { state } = ctx;
  const body = await readJson(ctx.req);
  if (!body.ok) return rpcError("INVALID_ARGUMENT", "Invalid JSON payload received.");
  const value = body.value;
  if (value === null || value === false) {
    state.config.gates = null;
    return Response.json(null);
  }
  if (!isRecord(value)) return rpcError("INVALID_ARGUMENT", "Body must be {desktop?, cli?} or null.");
  const next = resolveGates(state.config.gates ?? undefined);
  for (const [family, gate] of Object.entries(value)) {
    if (family !== "desktop" && family !== "cli") return rpcError("INVALID_ARGUMENT", `unknown family ${family}; use desktop or cli.`);
    if (!isRecord(gate)) return rpcError("INVALID_ARGUMENT", `${family} must be {minimum?, newerModels?}.`);
    for (const [key, version] of Object.entries(gate)) {
      if (key !== "minimum" && key !== "newerModels") return rpcError("INVALID_ARGUMENT", `unknown gate field ${key}.`);
      if (!isVersion(version)) return rpcError("INVALID_ARGUMENT", `${family}.${key} must be a version like "2.9.0".`);
      next![family][key] = version;
    }
  }
  state.config.gates = next;
  return Response.json(next);
}

async function reset(ctx: SimContext): Promise<Response> {
  const { state } = ctx;
  const body = await readJson(ctx.req);
  const options = body.ok && isRecord(body.value) ? body.value : {};
  state.resetCounters();
  for (const account of state.accounts.values()) {
    if (options.quotas === true) {
      state.setQuota(account, 1);
      account.recentRequests = [];
    }
    if (options.faults === true) account.fault = null;
  }
  if (options.faults === true) state.globalFault = null;
  return Response.json(state.stats());
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

