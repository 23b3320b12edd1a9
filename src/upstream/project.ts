/**
 * Which Cloud Code project (and subscription tier) an account generates under. Asked once per
 * account via loadCodeAssist; accounts that never used the IDE have no project yet and are
 * onboarded first. Configured project ids skip all of this.
 */
import { UpstreamError } from "./errors.ts";
import { isRecord } from "./rpc.ts";

export type AccountTier = "ultra" | "pro" | "free" | "unknown";

export interface ProjectInfo {
  projectId: string;
  tier: AccountTier;
}

export type CodeAssistMethod = "loadCodeAssist" | "onboardUser";
/** Calls one v1internal method for the account and returns the parsed JSON answer. */
export type CodeAssistCall = (method: CodeAssistMethod, body: unknown) => Promise<unknown>;

export interface DiscoveryOptions {
  /** Pause between onboardUser polls. */
  onboardIntervalMs?: number;
  /** Give up onboarding after this many onboardUser calls. */
  maxOnboardAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export const CLIENT_METADATA = {
  ideType: "ANTIGRAVITY",
  platform: "PLATFORM_UNSPECIFIED",
  pluginType: "GEMINI",
} as const;

const DEFAULT_ONBOARD_INTERVAL_MS = 2_000;
const DEFAULT_ONBOARD_ATTEMPTS = 10;
const FALLBACK_TIER_ID = "free-tier";

/** Tier ids are free-form (`g1-ultra-tier`, `standard-tier`, ...); map them to the words users know. */
export function tierWord(id: string | undefined): AccountTier | undefined {
  if (!id) return undefined;
  const lower = id.toLowerCase();
  if (lower.includes("ultra")) return "ultra";
  if (lower.includes("standard-tier") || lower.includes("pro") || lower.includes("premium")) return "pro";
  if (lower.includes("free")) return "free";
  return undefined;
}

export interface CodeAssistState {
  projectId?: string;
  tier: AccountTier;
  /** Which tier to onboard into when there is no project yet. */
  onboardTierId: string;
}

export function readLoadCodeAssist(answer: unknown): CodeAssistState {
  const res = isRecord(answer) ? answer : {};
  const allowed = Array.isArray(res.allowedTiers) ? res.allowedTiers.filter(isRecord) : [];
  const defaultAllowed = allowed.find((t) => t.isDefault === true) ?? allowed[0];
  const idOf = (value: unknown) => (isRecord(value) && typeof value.id === "string" ? value.id : undefined);
  // Paid beats current beats default: a subscriber's currentTier can still read "standard".
  const tier =
    tierWord(idOf(res.paidTier)) ?? tierWord(idOf(res.currentTier)) ?? tierWord(idOf(defaultAllowed)) ?? "unknown";
  return {
    projectId: projectIdOf(res.cloudaicompanionProject),
    tier,
    onboardTierId: idOf(defaultAllowed) ?? idOf(res.currentTier) ?? FALLBACK_TIER_ID,
  };
}

function projectIdOf(value: unknown): string | undefined {
  if (typeof value === "string" && value) return value;
  if (isRecord(value) && typeof value.id === "string" && value.id) return value.id;
  return undefined;
}

export async function discoverProject(call: CodeAssistCall, options: DiscoveryOptions = {}): Promise<ProjectInfo> {
  const state = readLoadCodeAssist(await call("loadCodeAssist", { metadata: CLIENT_METADATA }));
  if (state.projectId) return { projectId: state.projectId, tier: state.tier };

  const attempts = Math.max(1, options.maxOnboardAttempts ?? DEFAULT_ONBOARD_ATTEMPTS);
  const interval = options.onboardIntervalMs ?? DEFAULT_ONBOARD_INTERVAL_MS;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const body = { tierId: state.onboardTierId, metadata: CLIENT_METADATA };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const operation = await call("onboardUser", body);
    if (isRecord(operation) && operation.done === true) {
      const response = isRecord(operation.response) ? operation.response : {};
      const projectId = projectIdOf(response.cloudaicompanionProject);
      if (projectId) {
        const tier = state.tier !== "unknown" ? state.tier : (tierWord(state.onboardTierId) ?? "unknown");
        return { projectId, tier };
      }
      throw new UpstreamError({ kind: "server", message: "onboarding finished without a project id" });
    }
    if (attempt < attempts) await sleep(interval);
  }
  throw new UpstreamError({
    kind: "server",
    message: `onboarding did not finish after ${attempts} attempts; try again later`,
  });
}

export interface ProjectCache<A extends { id: string; projectId?: string }> {
  get(account: A): Promise<ProjectInfo>;
  /** Forget an account's project (re-authenticated, removed, or upstream said the project is gone). */
  invalidate(id: string): void;
}

/** One discovery per account, shared by concurrent callers; failures are not cached. */
export function createProjectCache<A extends { id: string; projectId?: string }>(
  discover: (account: A) => Promise<ProjectInfo>,
): ProjectCache<A> {
  const known = new Map<string, Promise<ProjectInfo>>();
  return {
    get(account) {
      if (account.projectId) return Promise.resolve({ projectId: account.projectId, tier: "unknown" });
      const cached = known.get(account.id);
      if (cached) return cached;
      const promise = discover(account);
      known.set(account.id, promise);
      promise.catch(() => {
        if (known.get(account.id) === promise) known.delete(account.id);
      });
      return promise;
    },
    invalidate(id) {
      known.delete(id);
    },
  };
}
