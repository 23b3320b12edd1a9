/**
 * One quota read for one account: the catalog's per-model `quotaInfo` and the quota summary's
 * windows, side by side (both are free of charge). The summary is best effort — some tiers answer
 * it with 403 SUBSCRIPTION_REQUIRED, older hosts may not know it — so its failure leaves the
 * windows unknown instead of failing the read; account-level problems still surface through the
 * catalog call.
 */
import { poolOfModel, type QuotaWindow } from "../google/quota-pools.ts";
import { readAvailableModels, type ModelQuota, type UpstreamAccount, type UpstreamClient } from "./client.ts";
import { UpstreamError } from "./errors.ts";

export interface AccountQuota {
  models: Record<string, ModelQuota>;
  /** The whole fetchAvailableModels answer: the account's catalog (src/google/catalog.ts parses it). Undefined from a client that only gives quota. */
  catalogAnswer?: unknown;
  /** Undefined when the summary could not be read this time. */
  windows?: QuotaWindow[];
  /** Why the summary could not be read (for debug logs). */
  summaryProblem?: string;
}

export async function readAccountQuota(
  upstream: Pick<UpstreamClient, "fetchModels" | "fetchQuotaSummary"> & Partial<Pick<UpstreamClient, "fetchAvailableModels">>,
  account: UpstreamAccount,
  options: { signal?: AbortSignal } = {},
): Promise<AccountQuota> {
  // The whole catalog answer when the client can give it (one call serves catalog and quota).
  const catalogCall = upstream.fetchAvailableModels
    ? upstream.fetchAvailableModels(account, options).then((answer) => ({ answer, models: readAvailableModels(answer) }))
    : upstream.fetchModels(account, options).then((models) => ({ answer: undefined, models }));
  const [{ answer: catalogAnswer, models }, summary] = await Promise.all([
    catalogCall,
    upstream.fetchQuotaSummary(account, options).then(
      (windows) => ({ windows }),
      (error: unknown) => ({ problem: error instanceof UpstreamError ? `${error.kind}: ${error.message}` : String(error) }),
    ),
  ]);
  if ("problem" in summary) return { models, catalogAnswer, summaryProblem: summary.problem };
  return { models: withWindows(models, summary.windows), catalogAnswer, windows: summary.windows };
}

/**
 * A model whose fraction upstream left out takes its pool's tightest window instead of the
 * inferred 0, when the summary covers that pool: free tier leaves it out for third-party models
 * that are anything but exhausted.
 */
export function withWindows(models: Record<string, ModelQuota>, windows: readonly QuotaWindow[]): Record<string, ModelQuota> {
  const out: Record<string, ModelQuota> = {};
  for (const [id, q] of Object.entries(models)) {
    const pool = poolOfModel(id);
    const own = pool ? windows.filter((w) => w.pool === pool) : [];
    if (!q.inferred || own.length === 0) {
      out[id] = q;
      continue;
    }
    const tightest = own.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    const { inferred: _inferred, ...rest } = q;
    out[id] = { ...rest, fraction: tightest.remaining, ...(tightest.resetAt !== undefined && { resetAt: tightest.resetAt }) };
  }
  return out;
}
