import type { ApiError } from "../anthropic/errors.ts";
import type { ResolvedModel } from "../google/models.ts";
import type { CloudCodeRequest } from "../google/request.ts";
import type { CloudCodeResponse } from "../google/types.ts";
import type { Caller } from "../keys/types.ts";
import { UpstreamError } from "../upstream/errors.ts";
import { toApiError } from "./errors.ts";
import { relay, type ApiName, type AttemptTarget, type Opened } from "./relay.ts";
import type { Runtime } from "./runtime.ts";
import { SseChannel, type SseFormat } from "./sse-channel.ts";
import { readUpstream, readUpstreamBounded } from "./upstream-read.ts";
import { versionRefusalGuard } from "./version-refusal.ts";

/** Waits shorter than this (ladder throttles) do not commit a stream's headers early. */
const COMMIT_WAIT_MS = 1000;

/** What a door (OpenAI, Gemini API, images) hands the relay: one request, already validated. */
export interface DoorRequest {
  api: ApiName;
  requestedModel: string;
  model: ResolvedModel;
  sessionId: string;
  /** performance.now() when the request arrived (time-to-first-byte). */
  receivedAt: number;
  prepare(target: AttemptTarget): CloudCodeRequest;
  /** The client key that sent it (limits and usage per key); undefined without keys. */
  caller: Caller | undefined;
}

export interface TokenUsage {
  input: number;
  output: number;
  cacheRead: number;
}

/**
 * Turns one attempt's upstream chunks into the door's answer. Streaming doors send what `start`,
 * `push` and `finish` return; non-streaming doors ignore those strings and send `result()`.
 */
export interface DoorTranslator<T> {
  start(): string;
  push(chunk: CloudCodeResponse): string;
  finish(): string;
  result(): T;
  /** Whether upstream produced anything a client could use; false means an empty answer (retried). */
  readonly hasContent: boolean;
  /** Whether upstream said the answer is finished; content without it was cut. */
  readonly complete: boolean;
  readonly usage: TokenUsage | undefined;
}

/**
 * The non-door-specific half of serving a request from any door other than Anthropic's: relay
 * through the pool with failover, always reading upstream's SSE (one reading path), and
 * recording metrics under the door's `api` label. The Anthropic door (routes/messages.ts) has
 * its own copy of this flow for its non-streaming upstream path.
 */
export async function answerJson<T>(
  rt: Runtime,
  door: DoorRequest,
  signal: AbortSignal,
  translate: (opened: Opened) => DoorTranslator<T>,
): Promise<Response> {
  let usage: TokenUsage | undefined;
  const result = await relay(rt, relayJob(door, signal), {}, async (opened) => {
    const t = translate(opened);
    t.start();
    await readUpstream(
      opened,
      rt.config.upstream.requestTimeoutMs,
      (chunks) => {
        for (const chunk of chunks) t.push(chunk);
      },
      versionRefusalGuard(rt),
      rt.config.limits.maxSseLineBytes,
    );
    assertComplete(t);
    t.finish();
    usage = t.usage;
    if (usage) opened.usage = { input: usage.input, output: usage.output, cached: usage.cacheRead };
    return t.result();
  }).catch((err) => {
    record(rt, door, "-", signal.aborted ? "client_abort" : toApiError(err).type);
    throw err;
  });
  record(rt, door, result.accountId, "ok", usage);
  rt.metrics.ttfb.observe({ model: door.model.upstream }, (performance.now() - door.receivedAt) / 1000);
  return Response.json(result.value, { headers: decisionHeaders(result.accountId, result.attempts) });
}

/**
 * Streams a door's answer. Nothing goes out before the first content, so an empty or failed
 * attempt can still move to another account unseen by the client.
 */
export function answerStream(
  rt: Runtime,
  door: DoorRequest,
  clientSignal: AbortSignal,
  format: SseFormat,
  translate: (opened: Opened) => DoorTranslator<unknown>,
): Promise<Response> {
  const channel = new SseChannel(rt.config.server.pingIntervalMs, {}, format);
  const slowTimer = setTimeout(() => channel.commit(), rt.config.server.pingIntervalMs);
  const signal = channel.abort.signal;
  clientSignal.addEventListener("abort", () => channel.abort.abort(clientSignal.reason), { once: true });
  let usage: TokenUsage | undefined;

  relay(rt, relayJob(door, signal), {
    onWait: (ms) => {
      if (ms >= COMMIT_WAIT_MS) channel.commit();
    },
  }, async (opened) => {
    const t = translate(opened);
    let pending = t.start();
    await readUpstreamBounded(rt, opened, (chunks) => {
      let text = "";
      for (const chunk of chunks) text += t.push(chunk);
      if (opened.delivered) return text === "" ? undefined : channel.send(text);
      pending += text;
      if (!t.hasContent) return;
      clearTimeout(slowTimer);
      opened.delivered = true;
      opened.firstByteAt = performance.now();
      rt.metrics.ttfb.observe({ model: opened.model.upstream }, (performance.now() - door.receivedAt) / 1000);
      channel.send(pending, decisionHeaders(opened.accountId, opened.attempt));
      pending = "";
    }, versionRefusalGuard(rt));
    assertComplete(t);
    channel.send(t.finish());
    usage = t.usage;
    if (usage) opened.usage = { input: usage.input, output: usage.output, cached: usage.cacheRead };
    channel.close();
  })
    .then((r) => record(rt, door, r.accountId, "ok", usage))
    .catch((err) => {
      clearTimeout(slowTimer);
      if (signal.aborted) {
        record(rt, door, "-", "client_abort");
        return channel.close();
      }
      const apiError: ApiError = toApiError(err);
      if (apiError.type === "api_error" && apiError.status === 500) rt.log.error(err);
      record(rt, door, "-", apiError.type);
      channel.fail(apiError);
    });
  return channel.response;
}

function relayJob(door: DoorRequest, signal: AbortSignal) {
  return {
    api: door.api,
    requestedModel: door.requestedModel,
    model: door.model,
    sessionId: door.sessionId,
    upstreamStream: true,
    signal,
    prepare: door.prepare,
    ...(door.caller && { caller: door.caller }),
  };
}

function assertComplete(t: DoorTranslator<unknown>): void {
  if (!t.hasContent) throw new UpstreamError({ kind: "empty_response", message: "Upstream stream had no content." });
  if (!t.complete) throw new UpstreamError({ kind: "network", message: "Upstream stream ended before the answer was finished." });
}

/** Explains the routing decision to the client; the label is whatever the user named the account. */
export function decisionHeaders(accountId: string, attempts: number): Record<string, string> {
  return { "x-agcp-account": accountId, "x-agcp-attempts": String(attempts) };
}

function record(rt: Runtime, door: DoorRequest, account: string, outcome: string, usage?: TokenUsage): void {
  const { metrics } = rt;
  const model = door.model.upstream;
  // The request log, usage history and the client key's use are recorded by the relay.
  metrics.requests.inc({ api: door.api, model, account, outcome });
  if (!usage) return;
  if (usage.input) metrics.tokens.inc({ model, direction: "input" }, usage.input);
  if (usage.output) metrics.tokens.inc({ model, direction: "output" }, usage.output);
  if (usage.cacheRead) metrics.tokens.inc({ model, direction: "cache_read" }, usage.cacheRead);
}
