import type { H3Event } from "h3";
import { applyContextManagement } from "../../anthropic/context-management.ts";
import { countTokens } from "../../anthropic/count-tokens.ts";
import { parseCountTokensRequest } from "../../anthropic/schema.ts";
import type { CountTokensRequest } from "../../anthropic/types.ts";
import { toCountTokensRequest } from "../../google/count-request.ts";
import type { ResolvedModel } from "../../google/models.ts";
import { deriveSessionId } from "../../google/session.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import { readJsonBody } from "../body.ts";
import { withEffortTier } from "../effort-tier.ts";
import type { Runtime } from "../runtime.ts";
import { createTokenCountCache, tokenCountKey, type TokenCountCache } from "../token-count-cache.ts";

/** Which count answered: upstream's exact one (fresh or cached) or agcp's local estimate. */
export const TOKEN_COUNT_HEADER = "x-agcp-token-count";

/** Upstream errors that say something true about the account even when met on a count. */
const ACCOUNT_ERRORS = new Set<UpstreamError["kind"]>(["quota_exhausted", "rate_limited", "unauthenticated", "auth_revoked", "verification_required", "banned"]);

/**
 * POST /v1/messages/count_tokens. Claude Code decides when to compact from this number, so it
 * asks upstream's countTokens (exact, for what upstream will see) through one account of the pool,
 * remembers the answer for the same content a short while, and answers the local estimate
 * (src/anthropic/count-tokens.ts) whenever upstream cannot say. The `x-agcp-token-count` header
 * tells which: `upstream` or `estimate`.
 *
 * A count is not a generation: it takes no token from the account's bucket and does not count as
 * a use of its quota. Only an answer that says something about the account itself (a 429, a
 * revoked login) is reported to the pool, as it would be from any other call.
 */
export function countTokensHandler(rt: Runtime) {
  const cache = createTokenCountCache({ ttlMs: rt.config.tokenCount.cacheTtlMs, maxEntries: rt.config.tokenCount.cacheMaxEntries });
  // After a failed count, upstream is left alone for a while (per model): a count that hangs until
  // the timeout must not slow every count_tokens call down. One entry per upstream model at most.
  const backoffUntil = new Map<string, number>();
  return async (event: H3Event) => {
    const req = applyContextManagement(parseCountTokensRequest(await readJsonBody(event, rt.config.bodyLimit)));
    // Same bounded wait as /v1/messages: the model list must be upstream's before names are judged.
    await rt.quota.whenReady();
    const model = withEffortTier(rt, req, rt.catalog.resolve(req.model));
    const exact = rt.config.tokenCount.upstream ? await upstreamCount(rt, { cache, backoffUntil }, req, model, event.req.signal) : undefined;
    const source = exact === undefined ? "estimate" : "upstream";
    return Response.json({ input_tokens: exact ?? countTokens(req) }, { headers: { [TOKEN_COUNT_HEADER]: source } });
  };
}

interface CountState {
  cache: TokenCountCache;
  backoffUntil: Map<string, number>;
}

async function upstreamCount(
  rt: Runtime,
  { cache, backoffUntil }: CountState,
  req: CountTokensRequest,
  model: ResolvedModel,
  clientSignal: AbortSignal,
): Promise<number | undefined> {
  let body: ReturnType<typeof toCountTokensRequest>;
  try {
    body = toCountTokensRequest(req, {
      upstreamModel: model.upstream,
      signatures: rt.signatures,
      identity: rt.config.agentSdkIdentity,
      envelope: rt.config.upstream.envelope,
    });
  } catch (err) {
    rt.log.debug(`[count] cannot build upstream count request: ${(err as Error).message}`);
    return undefined;
  }
  const key = tokenCountKey(model.upstream, body);
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  if ((backoffUntil.get(model.upstream) ?? 0) > Date.now()) return undefined;

  // The account the conversation would use, chosen as for a generation but not charged for it.
  const selection = rt.pool.select(model.upstream, { sessionId: deriveSessionId(req) });
  if (!selection.ok) return undefined;
  const credentials = rt.credentials.get(selection.accountId);
  if (!credentials) return undefined;
  const signal = AbortSignal.any([clientSignal, AbortSignal.timeout(rt.config.tokenCount.timeoutMs)]);
  try {
    const count = await rt.upstream.countTokens(credentials, body, { signal });
    cache.set(key, count);
    return count;
  } catch (err) {
    if (clientSignal.aborted) return undefined;
    backoffUntil.set(model.upstream, Date.now() + rt.config.tokenCount.backoffMs);
    if (err instanceof UpstreamError) {
      if (ACCOUNT_ERRORS.has(err.kind)) rt.pool.reportFailure(selection.accountId, model.upstream, err);
      rt.log.info(`[count] upstream countTokens failed on ${selection.accountId} (${err.kind}: ${err.message}); answering the estimate for ${rt.config.tokenCount.backoffMs} ms`);
    } else {
      rt.log.info(`[count] upstream countTokens did not answer (${signal.aborted ? "timed out or cancelled" : (err as Error).message}); answering the estimate for ${rt.config.tokenCount.backoffMs} ms`);
    }
    return undefined;
  }
}
