import type { H3Event } from "h3";
import { accumulateMessage } from "../../anthropic/accumulate.ts";
import { countTokens } from "../../anthropic/count-tokens.ts";
import { applyContextManagement } from "../../anthropic/context-management.ts";
import { parseMessagesRequest } from "../../anthropic/schema.ts";
import { encodeEvent } from "../../anthropic/sse.ts";
import type { AnthropicMessage, AnthropicStreamEvent, MessagesRequest, Usage } from "../../anthropic/types.ts";
import { mixesWebSearch, planWebSearch } from "../../anthropic/web-search.ts";
import type { ResolvedModel } from "../../google/models.ts";
import { chunkText } from "../../google/gate-probe.ts";
import { hasContent, toAnthropicMessage } from "../../google/response.ts";
import { toCloudCodeRequest } from "../../google/request.ts";
import { deriveSession } from "../../google/session.ts";
import { createStreamTranslator, type StreamTranslator } from "../../google/stream.ts";
import { thinkingRequested } from "../../google/thinking.ts";
import type { CloudCodeResponse } from "../../google/types.ts";
import { readBodyWithin } from "../../upstream/deadline.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import type { Caller } from "../../keys/types.ts";
import { callerOf } from "../auth.ts";
import { readJsonBody } from "../body.ts";
import { conversionOptions } from "../conversion-options.ts";
import { toApiError } from "../errors.ts";
import { relay, type Opened, type RelayJob, type RelayUsage } from "../relay.ts";
import type { Runtime } from "../runtime.ts";
import { withEffortTier } from "../effort-tier.ts";
import { SseChannel } from "../sse-channel.ts";
import { readUpstream as readUpstreamChunks } from "../upstream-read.ts";
import { versionRefusalGuard } from "../version-refusal.ts";
import { webSearchResponse } from "./web-search.ts";

/** Waits shorter than this (ladder throttles) do not commit a stream's headers early. */
const COMMIT_WAIT_MS = 1000;

/**
 * POST /v1/messages: validate → map the model → relay through the pool → translate back.
 * Streaming answers are held until the first content arrives so a failed or empty attempt can
 * still move to another account unseen by the client.
 */
export function messagesHandler(rt: Runtime) {
  return async (event: H3Event): Promise<Response> => {
    const receivedAt = performance.now();
    const req = applyContextManagement(parseMessagesRequest(await readJsonBody(event, rt.config.bodyLimit)));
    // Right after start, wait (bounded) for the first quota read. Without it, names resolve against
    // the build-time model list and may map to a model upstream does not offer, and the pool cannot
    // tell exhausted or below-floor accounts from full ones, so a burst lands on each exhausted
    // account several times before its first 429 comes back. Resolved at once after that.
    await rt.quota.whenReady();
    const model = withEffortTier(rt, req, rt.catalog.resolve(req.model));
    const { sessionId, conversation } = deriveSession(req);
    const ctx = { rt, req, model, sessionId, conversation, receivedAt, caller: callerOf(event) };
    const search = planWebSearch(req);
    if (search) return webSearchResponse({ ...ctx, plan: search }, event.req.signal);
    if (mixesWebSearch(req)) rt.log.debug("[web search] the request also has function tools; Cloud Code takes only one kind per call, so the search tool is left out");
    return req.stream ? streamMessage(ctx, event.req.signal) : createMessage(ctx, event.req.signal);
  };
}

interface MessageContext {
  rt: Runtime;
  req: MessagesRequest;
  model: ResolvedModel;
  sessionId: string;
  /** The conversation within the session, for account affinity (subagents share a session). */
  conversation: string;
  receivedAt: number;
  caller: Caller | undefined;
  /** What message_start reports as input_tokens before upstream's usage arrives (streams only). */
  estimatedInputTokens?: number;
}

async function createMessage(ctx: MessageContext, signal: AbortSignal): Promise<Response> {
  const { rt, model } = ctx;
  const result = await relay(rt, relayJob(ctx, false, signal), {}, async (opened) => {
    if (opened.conversion.thinking) return collectStream(ctx, opened);
    // Every read bounded by upstream.requestTimeoutMs (response.json() would wait for ever on a stall).
    const bytes = await readBodyWithin(opened.response, { idleMs: rt.config.upstream.requestTimeoutMs, signal });
    let body: { response?: CloudCodeResponse } & CloudCodeResponse;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      throw new UpstreamError({ kind: "network", message: "Upstream answer was cut off or not JSON." });
    }
    const response = body.response ?? body;
    if (!hasContent(response)) throw new UpstreamError({ kind: "empty_response", message: "Upstream answered with no content." });
    versionRefusalGuard(ctx.rt)(chunkText(response));
    const message = toAnthropicMessage(response, translationContext(ctx, opened));
    opened.usage = usageOf(message.usage);
    return message;
  }).catch((err) => {
    record(ctx, "-", signal.aborted ? "client_abort" : toApiError(err).type);
    throw err;
  });
  record(ctx, result.accountId, "ok", result.value.usage);
  rt.metrics.ttfb.observe({ model: model.upstream }, (performance.now() - ctx.receivedAt) / 1000);
  return Response.json(result.value, { headers: decisionHeaders(result.accountId, result.attempts) });
}

function relayJob(ctx: MessageContext, upstreamStream: boolean, signal: AbortSignal): RelayJob {
  const { rt, req, sessionId } = ctx;
  return {
    api: "anthropic",
    requestedModel: req.model,
    model: ctx.model,
    sessionId,
    affinityKey: ctx.conversation,
    upstreamStream,
    signal,
    caller: ctx.caller,
    prepare: ({ model, projectId, thinkingInfo }) =>
      toCloudCodeRequest(req, {
        upstreamModel: model.upstream,
        projectId,
        sessionId,
        signatures: rt.signatures,
        ...conversionOptions(rt, model.upstream),
        ...(thinkingInfo && { thinkingInfo }),
      }),
  };
}

/** Thinking models answer non-streaming clients through the stream, collected into one message. */
async function collectStream(ctx: MessageContext, opened: Opened): Promise<AnthropicMessage> {
  const translator = createStreamTranslator(translationContext(ctx, opened));
  const events: AnthropicStreamEvent[] = translator.start();
  await readUpstream(ctx, opened, (chunks) => {
    for (const chunk of chunks) for (const ev of translator.push(chunk)) events.push(ev);
  });
  assertComplete(translator);
  for (const ev of translator.finish()) events.push(ev);
  const message = accumulateMessage(events);
  opened.usage = usageOf(message.usage);
  return message;
}

function streamMessage(ctx: MessageContext, clientSignal: AbortSignal): Promise<Response> {
  const { rt, req } = ctx;
  // Clients read usage where Anthropic puts it, in message_start, but upstream's figure comes only
  // with the last chunk. The local estimate stands in (no extra upstream round trip before every
  // stream); message_delta carries upstream's exact count.
  ctx.estimatedInputTokens = countTokens(req);
  const channel = new SseChannel(rt.config.server.pingIntervalMs);
  // A slow upstream must not leave the client staring at nothing: start pinging after one interval.
  const slowTimer = setTimeout(() => channel.commit(), rt.config.server.pingIntervalMs);
  // The client's request signal feeds the channel's own (cheaper than AbortSignal.any per stream).
  const signal = channel.abort.signal;
  clientSignal.addEventListener("abort", () => channel.abort.abort(clientSignal.reason), { once: true });
  let usage: Usage | undefined;

  relay(rt, relayJob(ctx, true, signal), {
    onWait: (ms) => {
      if (ms >= COMMIT_WAIT_MS) channel.commit();
    },
  }, async (opened) => {
    const translator = createStreamTranslator(translationContext(ctx, opened));
    let pending = encodeAll(translator.start());
    // One write per upstream read, however many events it carried.
    await readUpstream(ctx, opened, (chunks) => {
      let text = "";
      for (const chunk of chunks) text += encodeAll(translator.push(chunk));
      if (opened.delivered) return text === "" ? undefined : channel.send(text);
      pending += text;
      if (!translator.hasContent) return;
      clearTimeout(slowTimer);
      opened.delivered = true;
      opened.firstByteAt = performance.now();
      rt.metrics.ttfb.observe({ model: opened.model.upstream }, (performance.now() - ctx.receivedAt) / 1000);
      channel.send(pending, decisionHeaders(opened.accountId, opened.attempt));
      pending = "";
    });
    assertComplete(translator);
    const tail = translator.finish();
    for (const ev of tail) if (ev.type === "message_delta") usage = ev.usage as Usage;
    opened.usage = usageOf(usage);
    channel.send(encodeAll(tail));
    channel.close();
  })
    .then((r) => record(ctx, r.accountId, "ok", usage))
    .catch((err) => {
      clearTimeout(slowTimer);
      if (signal.aborted) {
        record(ctx, "-", "client_abort");
        return channel.close();
      }
      const apiError = toApiError(err);
      if (apiError.type === "api_error" && apiError.status === 500) rt.log.error(err);
      record(ctx, "-", apiError.type);
      channel.fail(apiError);
    });
  return channel.response;
}

/**
 * An upstream stream that ended without content is an empty response (retried); one that ended
 * after content but before upstream said it was finished was cut, and must not pass for a whole answer.
 */
function assertComplete(translator: StreamTranslator): void {
  if (!translator.hasContent) throw new UpstreamError({ kind: "empty_response", message: "Upstream stream had no content." });
  if (!translator.complete) throw new UpstreamError({ kind: "network", message: "Upstream stream ended before the answer was finished." });
}

function readUpstream(ctx: MessageContext, opened: Opened, onChunks: (chunks: CloudCodeResponse[]) => void): Promise<void> {
  return readUpstreamChunks(opened, ctx.rt.config.upstream.requestTimeoutMs, onChunks, versionRefusalGuard(ctx.rt), ctx.rt.config.limits.maxSseLineBytes);
}

function translationContext(ctx: MessageContext, opened: Opened) {
  return {
    requestedModel: ctx.req.model,
    toolNames: opened.conversion.toolNames,
    signatures: ctx.rt.signatures,
    family: opened.model.family,
    estimatedInputTokens: ctx.estimatedInputTokens,
    omitThinking: thinkingOmitted(ctx.req),
    // Only a client that asked for thinking is shown thinking blocks, as with Anthropic's API.
    hideThinking: !thinkingRequested(ctx.req),
  };
}

/** Claude Code asks for thinking blocks without their text (`display: "omitted"`), as Anthropic serves them. */
function thinkingOmitted(req: MessagesRequest): boolean {
  const thinking = req.thinking;
  return (thinking?.type === "adaptive" || thinking?.type === "enabled") && thinking.display === "omitted";
}

function encodeAll(events: AnthropicStreamEvent[]): string {
  let out = "";
  for (const ev of events) out += encodeEvent(ev);
  return out;
}

/** Explains the routing decision to the client; the label is whatever the user named the account. */
function decisionHeaders(accountId: string, attempts: number): Record<string, string> {
  return { "x-agcp-account": accountId, "x-agcp-attempts": String(attempts) };
}

function record(ctx: MessageContext, account: string, outcome: string, usage?: Partial<Usage>) {
  const { metrics } = ctx.rt;
  const model = ctx.model.upstream;
  metrics.requests.inc({ api: "anthropic", model, account, outcome });
  if (!usage) return;
  if (usage.input_tokens) metrics.tokens.inc({ model, direction: "input" }, usage.input_tokens);
  if (usage.output_tokens) metrics.tokens.inc({ model, direction: "output" }, usage.output_tokens);
  if (usage.cache_read_input_tokens) metrics.tokens.inc({ model, direction: "cache_read" }, usage.cache_read_input_tokens);
}

/** Anthropic's usage as the relay records it (input here excludes what was read from the cache). */
export function usageOf(u: Partial<Usage> | undefined): RelayUsage {
  return { input: u?.input_tokens ?? 0, output: u?.output_tokens ?? 0, cached: u?.cache_read_input_tokens ?? 0 };
}
