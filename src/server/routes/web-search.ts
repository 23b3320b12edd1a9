import { encodeEvent } from "../../anthropic/sse.ts";
import type { Caller } from "../../keys/types.ts";
import type { AnthropicMessage, MessagesRequest } from "../../anthropic/types.ts";
import { readGrounding, toWebSearchEnvelope, toWebSearchMessage, webSearchEvents, type Grounded, type WebSearchPlan } from "../../anthropic/web-search.ts";
import { resolveGroundingUrls } from "../../google/grounding-urls.ts";
import { randomId } from "../../google/ids.ts";
import { modelFamily, type ResolvedModel } from "../../google/models.ts";
import { createToolNameMap } from "../../google/tool-names.ts";
import type { CloudCodeResponse } from "../../google/types.ts";
import { readBodyWithin } from "../../upstream/deadline.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import { proxyFor } from "../../upstream/proxy.ts";
import { toApiError } from "../errors.ts";
import { relay, type RelayJob } from "../relay.ts";
import type { Runtime } from "../runtime.ts";
import { SseChannel } from "../sse-channel.ts";

/** Waits shorter than this (ladder throttles) do not commit a stream's headers early. */
const COMMIT_WAIT_MS = 1000;

export interface WebSearchContext {
  rt: Runtime;
  req: MessagesRequest;
  plan: WebSearchPlan;
  /** The model the client's name resolved to; used for the search when it is a web search model. */
  model: ResolvedModel;
  sessionId: string;
  receivedAt: number;
  caller: Caller | undefined;
}

/**
 * A Messages request whose only tools are Anthropic web search: one Cloud Code `web_search` call
 * (Google Search grounding) through the relay — so pool, failover and metrics apply — answered the
 * way Anthropic answers a search, streaming or not. Upstream is asked without streaming: the
 * grounding metadata arrives whole at the end anyway, and the answer is short.
 */
export function webSearchResponse(ctx: WebSearchContext, signal: AbortSignal): Promise<Response> {
  return ctx.req.stream ? streamSearch(ctx, signal) : Promise.resolve().then(() => createSearch(ctx, signal));
}

/**
 * The model for the search: the requested one when an account's catalog names it for web search,
 * else the one most catalogs name (`webSearchModelIds`), else `webSearch.model` (before any catalog
 * was read, or when catalogs name none). Never a stand-in: a search needs a search model.
 */
export function webSearchModel(rt: Runtime, requested: ResolvedModel): ResolvedModel {
  const named = rt.catalog.roleModelIds("webSearchModelIds");
  const ids = named.length > 0 ? named : [rt.config.webSearch.model];
  const upstream = ids.includes(requested.upstream) ? requested.upstream : ids[0]!;
  return { upstream, family: modelFamily(upstream), thinkingModel: false, mapped: false };
}

function job(ctx: WebSearchContext, signal: AbortSignal): RelayJob {
  const toolNames = createToolNameMap([]);
  return {
    api: "anthropic",
    requestedModel: ctx.req.model,
    model: webSearchModel(ctx.rt, ctx.model),
    sessionId: ctx.sessionId,
    upstreamStream: false,
    signal,
    caller: ctx.caller,
    prepare: ({ model, projectId }) => ({ envelope: toWebSearchEnvelope(ctx.plan, model.upstream, projectId), toolNames, thinking: false }),
  };
}

async function search(ctx: WebSearchContext, signal: AbortSignal, hooks: Parameters<typeof relay>[2] = {}) {
  const result = await relay(ctx.rt, job(ctx, signal), hooks, async (opened) => {
    // Bounded like every upstream wait (upstream.requestTimeoutMs between reads): json() would wait for ever on a stall.
    const bytes = await readBodyWithin(opened.response, { idleMs: ctx.rt.config.upstream.requestTimeoutMs, signal });
    let body: { response?: CloudCodeResponse } & CloudCodeResponse;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new UpstreamError({ kind: "network", message: "Upstream search answer was cut off or not JSON." });
    }
    const grounded = readGrounding(body.response ?? body);
    if (!grounded.text && grounded.sources.length === 0) throw new UpstreamError({ kind: "empty_response", message: "Upstream search answered with no content." });
    opened.usage = { input: grounded.usage.prompt, output: grounded.usage.output, cached: 0 };
    return grounded;
  });
  const message = await toMessage(ctx, result.value, result.accountId);
  return { message, accountId: result.accountId, attempts: result.attempts };
}

async function toMessage(ctx: WebSearchContext, grounded: Grounded, accountId: string): Promise<AnthropicMessage> {
  const { webSearch, upstream } = ctx.rt.config;
  // Through the same proxy as the account's own upstream calls: behind a proxy, direct would only time out.
  const accountProxy = ctx.rt.credentials.get(accountId)?.proxy;
  const resolved = webSearch.resolveRedirects
    ? await resolveGroundingUrls(
        grounded.sources.map((s) => s.uri),
        { timeoutMs: webSearch.resolveTimeoutMs, proxyFor: (uri) => proxyFor(uri, accountProxy, upstream) },
      )
    : new Map<string, string>();
  return toWebSearchMessage(grounded, {
    requestedModel: ctx.req.model,
    fallbackQuery: ctx.plan.prompt,
    maxUses: ctx.plan.maxResults,
    resolved,
    messageId: randomId("msg"),
    toolUseId: randomId("toolu").replace(/^toolu_/, "srvtoolu_"),
  });
}

async function createSearch(ctx: WebSearchContext, signal: AbortSignal): Promise<Response> {
  const model = webSearchModel(ctx.rt, ctx.model).upstream;
  const result = await search(ctx, signal).catch((err) => {
    record(ctx, model, "-", signal.aborted ? "client_abort" : toApiError(err).type);
    throw err;
  });
  record(ctx, model, result.accountId, "ok", result.message);
  return Response.json(result.message, { headers: decisionHeaders(result.accountId, result.attempts) });
}

function streamSearch(ctx: WebSearchContext, clientSignal: AbortSignal): Promise<Response> {
  const { rt } = ctx;
  const model = webSearchModel(rt, ctx.model).upstream;
  const channel = new SseChannel(rt.config.server.pingIntervalMs);
  // A slow search must not leave the client staring at nothing: start pinging after one interval.
  const slowTimer = setTimeout(() => channel.commit(), rt.config.server.pingIntervalMs);
  const signal = channel.abort.signal;
  clientSignal.addEventListener("abort", () => channel.abort.abort(clientSignal.reason), { once: true });

  search(ctx, signal, { onWait: (ms) => ms >= COMMIT_WAIT_MS && channel.commit() })
    .then((result) => {
      clearTimeout(slowTimer);
      let text = "";
      for (const ev of webSearchEvents(result.message)) text += encodeEvent(ev);
      channel.send(text, decisionHeaders(result.accountId, result.attempts));
      channel.close();
      record(ctx, model, result.accountId, "ok", result.message);
    })
    .catch((err) => {
      clearTimeout(slowTimer);
      if (signal.aborted) {
        record(ctx, model, "-", "client_abort");
        return channel.close();
      }
      const apiError = toApiError(err);
      if (apiError.type === "api_error" && apiError.status === 500) rt.log.error(err);
      record(ctx, model, "-", apiError.type);
      channel.fail(apiError);
    });
  return channel.response;
}

function decisionHeaders(accountId: string, attempts: number): Record<string, string> {
  return { "x-agcp-account": accountId, "x-agcp-attempts": String(attempts) };
}

function record(ctx: WebSearchContext, model: string, account: string, outcome: string, message?: AnthropicMessage) {
  const { metrics } = ctx.rt;
  metrics.requests.inc({ api: "anthropic", model, account, outcome });
  if (outcome === "ok") metrics.ttfb.observe({ model }, (performance.now() - ctx.receivedAt) / 1000);
  const usage = message?.usage;
  if (!usage) return;
  if (usage.input_tokens) metrics.tokens.inc({ model, direction: "input" }, usage.input_tokens);
  if (usage.output_tokens) metrics.tokens.inc({ model, direction: "output" }, usage.output_tokens);
}
