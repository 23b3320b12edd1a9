import { accountBlocked, projectDenied } from "./access.ts";
import { agentIdentityRefusal } from "./agent-identity.ts";
import { takeFault, type ActiveFault } from "./faults.ts";
import { generate, type Generation, type OutPart } from "./generate.ts";
import { generateImage, imageGenProblem, isImageCall } from "./image-gen.ts";
import { authenticate, countRequest, invalidJson, readJson, sleep, type SimContext } from "./http.ts";
import { errorInfo, formatGoDuration, formatProseDuration, retryInfo, rpcError } from "./rpc-error.ts";
import { StallBudget, untilAborted } from "./stall.ts";
import { shortHash, type SimAccount } from "./state.ts";
import type { SimModel } from "./types.ts";
import { envelopeProblem } from "./request-rules.ts";
import { upstreamErrorResponse } from "./upstream-errors.ts";
import { validateGenerateRequest } from "./validate.ts";
import { judgeClient, NO_LONGER_SUPPORTED } from "./version-gate.ts";
import { isWebSearch, searchGeneration, searchMixProblem, type SearchGeneration } from "./web-search.ts";
import { isRecord, type WireGenerateRequest } from "./wire.ts";

type Mode = "sse" | "json-array" | "single";

/** Share of a repeated session's earlier prompt that counts as served from cache. */
const CACHE_SHARE = 0.9;

export async function handleGenerate(ctx: SimContext, streaming: boolean): Promise<Response> {
  const method = streaming ? "streamGenerateContent" : "generateContent";
  const auth = authenticate(ctx);
  if ("response" in auth) return auth.response;
  const { account } = auth;
  const { state } = ctx;
  countRequest(account, method);

  const parsed = await readJson(ctx.req);
  if (!parsed.ok) {
    account.counters.badRequests++;
    return invalidJson();
  }
  const body = parsed.value;
  account.counters.lastRequestBody = body;
  account.counters.lastGenerateBody = body;
  if (!isRecord(body)) {
    account.counters.badRequests++;
    return rpcError("INVALID_ARGUMENT", "Invalid JSON payload received. Expected an object.");
  }

  const blocked = accountBlocked(ctx, account) ?? projectDenied(account, body.project);
  if (blocked) return blocked;
  const malformed = envelopeProblem(body);
  if (malformed) {
    account.counters.badRequests++;
    return rpcError("INVALID_ARGUMENT", malformed);
  }

  const userAgent = ctx.req.headers.get("user-agent") ?? "";
  const requested = typeof body.model === "string" ? body.model : "";
  if (judgeClient(state.config.gates, userAgent, {}) === "unsupported") {
    // Upstream does not fail an outdated client: it "answers" every prompt with this sentence.
    const stand = state.model(requested) ?? { id: requested || "unknown", displayName: requested };
    return respond(ctx, account, body, stand, { contents: [] }, {}, () => {}, unsupportedAnswer());
  }
  // Unknown, retired and unentitled ids, and newer models below the newer-models gate, all look alike.
  const model = state.servedModel(account, requested);
  if (!model || judgeClient(state.config.gates, userAgent, model) === "newer-models-404") return entityNotFound();
  const validation = validateGenerateRequest(body.request, model);
  const problem = validation.ok ? imageGenProblem(body, model, validation.request) : validation.message;
  if (!validation.ok || problem) {
    account.counters.badRequests++;
    return rpcError("INVALID_ARGUMENT", problem ?? "");
  }
  const mixed = searchMixProblem(validation.request);
  if (mixed) {
    account.counters.badRequests++;
    return rpcError("INVALID_ARGUMENT", mixed);
  }

  const identityRefusal = agentIdentityRefusal(model, body.request);
  if (identityRefusal) {
    countRateLimited(account, "RESOURCE_EXHAUSTED");
    return identityRefusal;
  }

  const fault = takeFault(state, account);
  account.counters.inflight++;
  let settled = false;
  const settle = (outcome: "ok" | "aborted" | "failed") => {
    if (settled) return;
    settled = true;
    account.counters.inflight--;
    if (outcome === "ok") account.counters.successfulGenerates++;
    if (outcome === "aborted") account.counters.clientAborts++;
  };

  try {
    return await respond(ctx, account, body, model, validation.request, fault, settle);
  } catch (error) {
    settle("failed");
    throw error;
  }
}

async function respond(
  ctx: SimContext,
  account: SimAccount,
  body: Record<string, unknown>,
  model: SimModel,
  request: WireGenerateRequest,
  fault: ActiveFault,
  settle: (outcome: "ok" | "aborted" | "failed") => void,
  canned?: Generation,
): Promise<Response> {
  const { state } = ctx;
  const streaming = ctx.url.pathname.endsWith(":streamGenerateContent");
  const signal = ctx.req.signal;
  await sleep(fault.latencyMs ?? 0, signal);
  if (signal.aborted) {
    settle("aborted");
    return new Response(null, { status: 499 });
  }

  const refusal = canned ? null : refuse(ctx, account, model, fault);
  if (refusal) {
    settle("failed");
    return refusal;
  }

  const generation =
    canned ?? (isImageCall(body) ? generateImage(request) : isWebSearch(body, request) ? searchGeneration(request, ctx.url.origin) : generate(request, model));
  const cached = canned ? 0 : cachedTokens(account, request, generation.promptTokens);
  const faulty = fault.emptyStream === true || fault.dropAfterChunks !== undefined || fault.stallAfterBytes !== undefined;
  if (!faulty && !canned) state.consumeQuota(account, model.id);

  const envelope = { model, responseId: shortHash(JSON.stringify(body), 24), cached, generation };
  const mode: Mode = !streaming ? "single" : ctx.url.searchParams.get("alt") === "sse" ? "sse" : "json-array";
  const frames = fault.emptyStream ? emptyFrames(envelope, mode) : renderFrames(envelope, mode);
  return streamFrames(frames, {
    mode,
    delayMs: mode === "sse" ? state.config.chunkDelayMs : 0,
    dropAfter: fault.dropAfterChunks,
    empty: fault.emptyStream === true,
    served: ctx.served,
    signal,
    settle,
    ...(fault.stallAfterBytes !== undefined && { stall: new StallBudget(fault.stallAfterBytes) }),
  });
}

/** 404 exactly as upstream words it, for any model this client or account cannot use. */
export function entityNotFound(): Response {
  return rpcError("NOT_FOUND", "Requested entity was not found.");
}

function unsupportedAnswer(): Generation {
  return { chunks: [{ text: NO_LONGER_SUPPORTED }], finishReason: "STOP", promptTokens: 1, candidatesTokens: 20, thoughtsTokens: 0 };
}

/** Errors decided before any output: injected faults, rate limit, exhausted quota. */
function refuse(ctx: SimContext, account: SimAccount, model: SimModel, fault: ActiveFault): Response | null {
  const { state } = ctx;
  const count429 = (reason: string) => countRateLimited(account, reason);

  if (fault.error) {
    if (fault.error === "no_capacity") account.counters.serverErrors++;
    else if (fault.error === "resource_exhausted") count429("RESOURCE_EXHAUSTED");
    else account.counters.forbidden++;
    return upstreamErrorResponse(fault.error, { model: model.id, project: account.projectId ?? "" });
  }
  if (fault.serverError) {
    account.counters.serverErrors++;
    return rpcError("INTERNAL", "Internal error encountered.");
  }
  if (fault.capacity === "503") {
    account.counters.serverErrors++;
    return rpcError("UNAVAILABLE", "The service is currently unavailable. The model is overloaded. Please try again later.");
  }
  if (fault.capacity === "429") {
    count429("MODEL_CAPACITY_EXHAUSTED");
    return rpcError("RESOURCE_EXHAUSTED", `No capacity available for model ${model.id} on the server`, [
      errorInfo("MODEL_CAPACITY_EXHAUSTED", { model: model.id }),
    ]);
  }

  // An empty window refuses every model of its pool, with that window's reset as the hint.
  const empty = state.exhaustedBucket(account, model.id);
  if (empty) {
    count429("QUOTA_EXHAUSTED");
    const resetAt = empty.resetAt;
    const delay = Math.max(0, resetAt - state.now);
    return rpcError(
      "RESOURCE_EXHAUSTED",
      `You have exhausted your capacity on this model. Your quota will reset after ${formatProseDuration(delay)}.`,
      [
        errorInfo("QUOTA_EXHAUSTED", {
          model: model.id,
          quotaResetDelay: formatGoDuration(delay),
          quotaResetTimeStamp: new Date(resetAt).toISOString(),
        }),
        retryInfo(delay),
      ],
    );
  }
  const waitMs = state.takeRateSlot(account);
  if (waitMs > 0) {
    count429("RATE_LIMIT_EXCEEDED");
    const seconds = Math.ceil(waitMs / 1000);
    return rpcError(
      "RESOURCE_EXHAUSTED",
      `Resource has been exhausted (e.g. check quota). Rate limit exceeded for model ${model.id}; retry in ${seconds}s.`,
      [errorInfo("RATE_LIMIT_EXCEEDED", { model: model.id }), retryInfo(seconds * 1000)],
      { "retry-after": String(seconds) },
    );
  }

  return null;
}

function countRateLimited(account: SimAccount, reason: string): void {
  account.counters.rateLimited[reason] = (account.counters.rateLimited[reason] ?? 0) + 1;
}

function cachedTokens(account: SimAccount, request: WireGenerateRequest, promptTokens: number): number {
  if (typeof request.sessionId !== "string" || request.sessionId === "") return 0;
  const previous = account.rememberSession(request.sessionId, promptTokens);
  if (previous === undefined) return 0;
  return Math.floor(Math.min(previous, promptTokens) * CACHE_SHARE);
}

interface Envelope {
  model: SimModel;
  responseId: string;
  cached: number;
  generation: Generation | SearchGeneration;
}

function usage(envelope: Envelope): Record<string, number> {
  const g = envelope.generation;
  const out: Record<string, number> = {
    promptTokenCount: g.promptTokens,
    candidatesTokenCount: g.candidatesTokens,
    totalTokenCount: g.promptTokens + g.candidatesTokens,
  };
  if (envelope.cached > 0) out.cachedContentTokenCount = envelope.cached;
  if (g.thoughtsTokens > 0) out.thoughtsTokenCount = g.thoughtsTokens;
  return out;
}

function frame(envelope: Envelope, parts: OutPart[], last: boolean): Record<string, unknown> {
  const candidate: Record<string, unknown> = { content: { role: "model", parts } };
  if (last) candidate.finishReason = envelope.generation.finishReason;
  if (last && "grounding" in envelope.generation) candidate.groundingMetadata = envelope.generation.grounding;
  const response: Record<string, unknown> = { candidates: [candidate] };
  if (last) response.usageMetadata = usage(envelope);
  response.modelVersion = envelope.model.id;
  response.responseId = envelope.responseId;
  return { response, traceId: envelope.responseId.slice(0, 16) };
}

function renderFrames(envelope: Envelope, mode: Mode): string[] {
  const chunks = envelope.generation.chunks;
  if (mode === "single") return [JSON.stringify(frame(envelope, mergeParts(chunks), true))];
  const objects = chunks.length === 0 ? [frame(envelope, [], true)] : chunks.map((p, i) => frame(envelope, [p], i === chunks.length - 1));
  return objects.map((o) => JSON.stringify(o));
}

/** An "empty response": 200 and nothing a client could turn into content. */
function emptyFrames(envelope: Envelope, mode: Mode): string[] {
  if (mode === "sse") return [];
  if (mode === "json-array") return [];
  return [JSON.stringify({ response: { candidates: [], modelVersion: envelope.model.id, responseId: envelope.responseId }, traceId: envelope.responseId.slice(0, 16) })];
}

/**
 * Non-streaming answers carry whole parts: each run of thought pieces becomes one thought part and
 * each run of text pieces one text part (keeping the signature a piece carried); calls stay as they are.
 */
function mergeParts(chunks: OutPart[]): OutPart[] {
  const merged: OutPart[] = [];
  for (const part of chunks) {
    const last = merged.at(-1);
    if ("functionCall" in part || "inlineData" in part || !last || "functionCall" in last || "inlineData" in last || (last.thought === true) !== (part.thought === true)) {
      merged.push({ ...part });
      continue;
    }
    last.text += part.text;
    if (part.thoughtSignature && !last.thoughtSignature) last.thoughtSignature = part.thoughtSignature;
  }
  return merged;
}

interface StreamOptions {
  mode: Mode;
  delayMs: number;
  dropAfter?: number;
  /** An empty answer is not a successful generate. */
  empty: boolean;
  /** The response goes out through Bun.serve (rather than to an in-process caller). */
  served: boolean;
  signal: AbortSignal;
  settle: (outcome: "ok" | "aborted" | "failed") => void;
  /** stallAfterBytes: what may still be sent before the answer goes silent. */
  stall?: StallBudget;
}

const encoder = new TextEncoder();
const DROP_FLUSH_MS = 15;

/** Error used to cut a connection on purpose; the server's error hook stays quiet about it. */
export class SimulatedDrop extends Error {
  constructor() {
    super("simulated upstream connection drop");
  }
}

function streamFrames(frames: string[], opts: StreamOptions): Response {
  const { mode, signal, settle } = opts;
  const pieces: string[] =
    mode === "sse"
      ? frames.map((f) => `data: ${f}\r\n\r\n`)
      : mode === "json-array"
        ? frames.map((f, i) => `${i === 0 ? "[" : ",\r\n"}${f}${i === frames.length - 1 ? "]" : ""}`)
        : frames;
  if (mode === "json-array" && frames.length === 0) pieces.push("[]");

  let index = 0;
  let dropping = false;
  const onAbort = () => {
    if (!dropping) settle("aborted");
  };
  signal.addEventListener("abort", onAbort, { once: true });
  const finish = (outcome: "ok" | "failed") => {
    signal.removeEventListener("abort", onAbort);
    settle(outcome);
  };

  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (opts.dropAfter !== undefined && index >= Math.min(opts.dropAfter, pieces.length)) {
        dropping = true;
        if (mode === "single" && index === 0 && pieces[0]) {
          // Half a JSON body, then the connection dies.
          controller.enqueue(encoder.encode(pieces[0].slice(0, Math.floor(pieces[0].length / 2))));
        }
        finish("failed");
        // Let what was sent reach the wire first: the point is a break *after* N chunks.
        await sleep(DROP_FLUSH_MS);
        // Bun's server logs any error value except undefined; in-process readers get a real error.
        controller.error(opts.served ? undefined : new SimulatedDrop());
        return;
      }
      if (opts.stall?.spent && index < pieces.length) {
        // Silence with the connection open; the client's hang-up settles it as an abort.
        await untilAborted(signal);
        return;
      }
      if (index >= pieces.length) {
        finish(opts.empty ? "failed" : "ok");
        controller.close();
        return;
      }
      if (index > 0) await sleep(opts.delayMs, signal);
      if (signal.aborted) return;
      const piece = pieces[index];
      if (piece === undefined) return;
      const bytes = encoder.encode(piece);
      const out = opts.stall ? opts.stall.take(bytes) : bytes;
      // A piece cut by the stall budget is not done: the next pull finds the budget spent and waits.
      if (out === bytes) index++;
      if (out.byteLength > 0) controller.enqueue(out);
    },
    cancel() {
      if (!dropping) {
        signal.removeEventListener("abort", onAbort);
        settle("aborted");
      }
    },
  });

  const contentType = mode === "sse" ? "text/event-stream" : "application/json; charset=UTF-8";
  return new Response(stream, {
    status: 200,
    headers: { "content-type": contentType, "cache-control": "no-cache" },
  });
}
