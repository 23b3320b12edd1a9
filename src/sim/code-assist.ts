import { accountBlocked, projectDenied } from "./access.ts";
import { availableModels } from "./catalog.ts";
import { authenticate, countRequest, invalidJson, readJson, type SimContext } from "./http.ts";
import { rpcError } from "./rpc-error.ts";
import { projectIdFor, shortHash, type SimAccount } from "./state.ts";
import type { SimTier } from "./types.ts";
import { isRecord } from "./wire.ts";

/** loadCodeAssist, onboardUser (a long-running operation) and fetchAvailableModels. */

interface TierInfo {
  id: string;
  name: string;
  description: string;
}

/** Consumer (Google AI Pro / free) accounts all share this project [X-AGY120; X-BB]. */
export const CONSUMER_PROJECT = "aicode-consumers";

const FREE: TierInfo = { id: "free-tier", name: "Antigravity", description: "Free tier" };
const STANDARD: TierInfo = { id: "standard-tier", name: "Gemini Code Assist", description: "Standard tier" };
const PRO_PAID: TierInfo = { id: "g1-pro-tier", name: "Google AI Pro", description: "Google AI Pro subscription" };
const ULTRA: TierInfo = { id: "g1-ultra-tier", name: "Google AI Ultra", description: "Google AI Ultra subscription" };

function currentTier(tier: SimTier): TierInfo {
  return tier === "free" ? FREE : tier === "pro" ? STANDARD : ULTRA;
}

function paidTier(tier: SimTier): TierInfo | undefined {
  return tier === "pro" ? PRO_PAID : tier === "ultra" ? ULTRA : undefined;
}

function allowedTiers(tier: SimTier): (TierInfo & { isDefault?: boolean })[] {
  const own = currentTier(tier);
  const others = [FREE, STANDARD].filter((t) => t.id !== own.id);
  return [{ ...own, isDefault: true }, ...others];
}

const METADATA_ENUMS = ["ideType", "platform", "pluginType"] as const;

/** Upstream accepts enum names or their numbers; anything else is a 400. */
function metadataProblem(metadata: unknown): string | null {
  if (metadata === undefined) return null;
  if (!isRecord(metadata)) return "Invalid value at 'metadata': expected an object.";
  for (const key of METADATA_ENUMS) {
    const value = metadata[key];
    if (value === undefined) continue;
    const ok = (typeof value === "string" && /^[A-Z0-9_]+$/.test(value)) || (typeof value === "number" && Number.isInteger(value) && value >= 0);
    if (!ok) return `Invalid value at 'metadata.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}' (TYPE_ENUM), ${JSON.stringify(value)}`;
  }
  return null;
}

async function begin(ctx: SimContext, method: string): Promise<{ account: SimAccount; body: Record<string, unknown> } | Response> {
  const auth = authenticate(ctx);
  if ("response" in auth) return auth.response;
  countRequest(auth.account, method);
  const parsed = await readJson(ctx.req);
  if (!parsed.ok) {
    auth.account.counters.badRequests++;
    return invalidJson();
  }
  auth.account.counters.lastRequestBody = parsed.value;
  if (!isRecord(parsed.value)) {
    auth.account.counters.badRequests++;
    return rpcError("INVALID_ARGUMENT", "Invalid JSON payload received. Expected an object.");
  }
  return { account: auth.account, body: parsed.value };
}

export async function handleLoadCodeAssist(ctx: SimContext): Promise<Response> {
  const started = await begin(ctx, "loadCodeAssist");
  if (started instanceof Response) return started;
  const { account, body } = started;
  const problem = metadataProblem(body.metadata);
  if (problem) {
    account.counters.badRequests++;
    return rpcError("INVALID_ARGUMENT", problem);
  }
  if (account.projectId === CONSUMER_PROJECT) return Response.json(consumerAnswer(account.tier));
  const answer: Record<string, unknown> = {};
  if (account.projectId !== null) {
    answer.currentTier = { ...currentTier(account.tier), userDefinedCloudaicompanionProject: false };
    answer.cloudaicompanionProject = account.projectId;
  }
  answer.allowedTiers = allowedTiers(account.tier);
  const paid = paidTier(account.tier);
  if (paid && account.projectId !== null) answer.paidTier = paid;
  answer.gcpManaged = false;
  return Response.json(answer);
}

/** The consumer shape agy sees: free-tier current tier, the subscription as paidTier with its credits. */
function consumerAnswer(tier: SimTier): Record<string, unknown> {
  const answer: Record<string, unknown> = { currentTier: { id: FREE.id, name: FREE.name } };
  const paid = paidTier(tier);
  if (paid) {
    answer.paidTier = {
      id: paid.id,
      name: paid.name,
      availableCredits: [{ creditType: "GOOGLE_ONE_AI", creditAmount: "1000", minimumCreditAmountForUsage: "10" }],
    };
  }
  answer.cloudaicompanionProject = CONSUMER_PROJECT;
  return answer;
}

export async function handleOnboardUser(ctx: SimContext): Promise<Response> {
  const started = await begin(ctx, "onboardUser");
  if (started instanceof Response) return started;
  const { account, body } = started;
  const problem = metadataProblem(body.metadata);
  const tierIds = allowedTiers(account.tier).map((t) => t.id);
  if (problem || typeof body.tierId !== "string" || !tierIds.includes(body.tierId)) {
    account.counters.badRequests++;
    return rpcError("INVALID_ARGUMENT", problem ?? `Invalid tierId ${JSON.stringify(body.tierId ?? "")}; allowed: ${tierIds.join(", ")}.`);
  }
  return Response.json(pollOnboarding(account));
}

/** GET /v1internal/operations/<id>: the same operation, for clients that poll it directly. */
export function handleGetOperation(ctx: SimContext, name: string): Response {
  const auth = authenticate(ctx);
  if ("response" in auth) return auth.response;
  const { account } = auth;
  countRequest(account, "getOperation");
  if (!account.onboarding || account.onboarding.name !== name) {
    if (account.projectId !== null && name === operationName(account)) return Response.json(doneOperation(account));
    return rpcError("NOT_FOUND", `Operation ${name} not found.`);
  }
  return Response.json(pollOnboarding(account));
}

function operationName(account: SimAccount): string {
  return `operations/onboard-${shortHash(account.email, 12)}`;
}

function doneOperation(account: SimAccount): Record<string, unknown> {
  return {
    name: operationName(account),
    done: true,
    response: {
      "@type": "type.googleapis.com/google.internal.cloud.code.v1internal.OnboardUserResponse",
      cloudaicompanionProject: { id: account.projectId, name: `Simulated project for ${account.email}` },
    },
  };
}

/** First call starts the operation; the next one finds it done and the project exists from then on. */
function pollOnboarding(account: SimAccount): Record<string, unknown> {
  if (account.projectId !== null) {
    account.onboarding = null;
    return doneOperation(account);
  }
  if (!account.onboarding) {
    account.onboarding = { name: operationName(account), polls: 0 };
    return { name: account.onboarding.name, done: false };
  }
  account.onboarding = null;
  account.projectId = projectIdFor(account.email);
  return doneOperation(account);
}

export async function handleFetchAvailableModels(ctx: SimContext): Promise<Response> {
  const started = await begin(ctx, "fetchAvailableModels");
  if (started instanceof Response) return started;
  const { account, body } = started;
  const denied = accountBlocked(ctx, account) ?? (body.project === undefined ? null : projectDenied(account, body.project));
  if (denied) return denied;
  return Response.json(availableModels(ctx.state, account));
}
