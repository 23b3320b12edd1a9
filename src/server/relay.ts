import { ApiError } from "../anthropic/errors.ts";
import { applyAgentIdentityPolicy } from "../google/agent-identity.ts";
import type { ResolvedModel } from "../google/models.ts";
import type { CloudCodeRequest } from "../google/request.ts";
import type { ThinkingModelInfo } from "../google/thinking.ts";
import { formatDuration, isoOrNull } from "../pool/explain.ts";
import type { SelectionNone, Skip } from "../pool/types.ts";
import { isEntityNotFound } from "../google/gate-probe.ts";
import { UpstreamError } from "../upstream/errors.ts";
import { userAgentOf } from "../upstream/identity.ts";
import type { Caller } from "../keys/types.ts";
import { toApiError } from "./errors.ts";
import type { RequestAttempt } from "./request-log.ts";
import type { Runtime } from "./runtime.ts";
import { accountSeries } from "./usage-history.ts";
import { sleep } from "./sleep.ts";

/** The API door a request came in on; a label on metrics and logs, never a branch in the relay. */
export type ApiName = "anthropic" | "openai-chat" | "openai-responses" | "openai-images" | "gemini";

/** Where one attempt goes: the model (fallback may change it) and the chosen account's project. */
export interface AttemptTarget {
  model: ResolvedModel;
  projectId: string;
  /** The chosen account's catalog entry for the model (limits, thinking budget/level), when read. */
  thinkingInfo?: ThinkingModelInfo;
}

/**
 * One request as the relay sees it: what to send, to which model, for which conversation.
 * The relay speaks Cloud Code only; each door converts its own API's request in `prepare`, which
 * runs per attempt because the project (per account) and the model (fallback) may change.
 */
export interface RelayJob {
  api: ApiName;
  /** The model name the client asked for; `models.fallback` may be keyed by it. */
  requestedModel: string;
  model: ResolvedModel;
  sessionId: string;
  /** Which conversation, for account affinity; default sessionId (subagents of one session differ here). */
  affinityKey?: string;
  prepare(target: AttemptTarget): CloudCodeRequest;
  /** Ask upstream for SSE (streaming clients, and thinking models even for non-streaming ones). */
  upstreamStream: boolean;
  signal: AbortSignal;
  /** Who sent it: a client key's limits apply to the whole relay (all attempts are one request). */
  caller?: Caller;
}

/** An upstream answer that arrived with a 2xx, handed to the consumer to read. */
export interface Opened {
  accountId: string;
  attempt: number;
  model: ResolvedModel;
  response: Response;
  conversion: CloudCodeRequest;
  /** The consumer sets this once bytes went to the client: after that, no failover is possible. */
  delivered: boolean;
  /** Set by the consumer when the first byte went to the client (performance.now()), for TTFB. */
  firstByteAt?: number;
  /** Set by the consumer once known: what the request used, for the request log, usage and keys. */
  usage?: RelayUsage;
}

export interface RelayUsage {
  input: number;
  output: number;
  cached: number;
}

/** What the relay learns on the way, for the request log: attempts and the pool's reasons. */
interface Trail {
  attempts: RequestAttempt[];
  trace: string[];
  model: ResolvedModel;
  opened?: Opened;
}

/** Skipped accounts named per selection, at most (the rest are counted). */
const TRACE_SKIPS = 12;

export interface RelayHooks {
  /** Called before the relay sleeps (throttle, reset wait, capacity backoff), e.g. to start pinging. */
  onWait?(ms: number): void;
}

export interface RelayResult<T> {
  value: T;
  accountId: string;
  attempts: number;
}

/**
 * Sends a request to upstream through the pool, failing over between accounts until one answers
 * with content. `consume` reads the answer; if it throws an UpstreamError before it delivered
 * anything to the client (empty stream, drop before the first content), the relay tries again.
 *
 * Waiting is bounded: never more than `pool.maxWaitMs` in total, whatever the reason.
 */
export async function relay<T>(
  rt: Runtime,
  job: RelayJob,
  hooks: RelayHooks,
  consume: (opened: Opened) => Promise<T>,
): Promise<RelayResult<T>> {
  const started = { at: Date.now(), perf: performance.now() };
  const trail: Trail = { attempts: [], trace: [], model: job.model };
  let result: RelayResult<T> | undefined;
  let failure: unknown;
  try {
    // A client key over its limits is refused before any account is touched: never the pool's fault.
    const ticket = await rt.keys.admit(job.caller, { requested: job.requestedModel, upstream: job.model.upstream });
    try {
      // agcp's own queue comes next: no account is chosen, and no upstream deadline runs, while waiting.
      const release = await rt.upstreamGate.acquire(job.signal);
      try {
        result = await relayAttempts(rt, job, hooks, consume, trail);
        return result;
      } finally {
        release();
      }
    } finally {
      rt.keys.settle(ticket, result !== undefined);
    }
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    recordRequest(rt, job, trail, started, result, failure);
  }
}

/**
 * Every request, whatever door it came by, is recorded here once: the request log (and access
 * log line), usage per account × model, and the client key's usage.
 */
function recordRequest(rt: Runtime, job: RelayJob, trail: Trail, started: { at: number; perf: number }, result: RelayResult<unknown> | undefined, failure: unknown): void {
  const end = performance.now();
  const ok = result !== undefined;
  const aborted = !ok && job.signal.aborted;
  const apiError = ok || aborted ? undefined : toApiError(failure);
  const outcome = ok ? "ok" : aborted ? "client_abort" : (apiError as ApiError).type;
  const usage = trail.opened?.usage ?? { input: 0, output: 0, cached: 0 };
  // A stream the client left still had an account serving it: name that account.
  const account = result?.accountId ?? trail.opened?.accountId ?? null;
  // The id the serving account knows the model by (its own best id for a mapped name).
  const model = trail.opened?.model.upstream ?? trail.model.upstream;
  rt.requests.add({
    at: new Date(started.at).toISOString(),
    api: job.api,
    stream: job.upstreamStream,
    model: job.requestedModel,
    upstreamModel: model,
    account,
    ...(job.caller?.role === "client" && { key: job.caller.key.name }),
    session: shortHash(job.sessionId),
    conversation: shortHash(job.affinityKey ?? job.sessionId),
    attempts: trail.attempts,
    trace: trail.trace,
    status: ok ? 200 : aborted ? 499 : (apiError as ApiError).status,
    outcome,
    ...(apiError && { error: apiError.message }),
    ttfbMs: ok ? Math.round((trail.opened?.firstByteAt ?? end) - started.perf) : null,
    totalMs: Math.round(end - started.perf),
    tokens: usage,
  });
  rt.usage.note(accountSeries(account ?? "-", model), { requests: 1, inputTokens: usage.input + usage.cached, outputTokens: usage.output, errors: ok ? 0 : 1 });
  rt.keys.record(job.caller, { ok, upstreamModel: model, inputTokens: usage.input + usage.cached, outputTokens: usage.output });
}

/** Names a session in the log without repeating the id the client sent upstream. */
function shortHash(id: string): string {
  return Bun.hash(id).toString(36);
}

async function relayAttempts<T>(
  rt: Runtime,
  job: RelayJob,
  hooks: RelayHooks,
  consume: (opened: Opened) => Promise<T>,
  trail: Trail,
): Promise<RelayResult<T>> {
  const { pool, config, log } = rt;
  const tuning = config.pool;
  const startedAt = Date.now();
  const deadline = startedAt + tuning.maxWaitMs;
  const maxAttempts = Math.max(tuning.minAttempts, pool.size + 1);
  const debug = log.level >= 4;
  // Naming every skipped account walks the whole pool: only for pools small enough (or debugging).
  const explain = debug || pool.size <= config.requestLog.traceAccounts;

  let model = job.model;
  let fallbackTried = false;
  let capacityRetries = 0;
  let emptyRetries = 0;
  let refusals = 0;
  let lastError: UpstreamError | undefined;
  /** The account whose last answer in this request was a capacity error. */
  let capacityFrom: string | undefined;

  const wait = async (ms: number) => {
    hooks.onWait?.(ms);
    await sleep(ms, job.signal);
  };
  const canWait = (ms: number) => Date.now() + ms <= deadline;

  for (let attempt = 1; attempt <= maxAttempts; ) {
    // Only accounts whose catalog has the model (or, for a mapped name, a stand-in) may be picked.
    const exclude = rt.catalog.cannotServe(model);
    const selection = pool.select(model.upstream, {
      sessionId: job.affinityKey ?? job.sessionId,
      explain,
      maxWaitMs: Math.max(0, deadline - Date.now()),
      ...(exclude.size > 0 && { exclude }),
    });
    if (debug) for (const s of selection.skipped) log.debug(`[pool] ${model.upstream}: skip ${s.accountId}: ${s.why}`);
    traceSkips(trail, model.upstream, selection.skipped);

    if (!selection.ok) {
      // The accounts left out for their catalog were the only usable ones.
      if (selection.reason === "unavailable" && exclude.size > 0) throw notServed(rt, model, exclude, lastError);
      if (selection.reason === "busy") {
        // Every account that could serve is at its in-flight cap: the first one to finish takes this.
        const left = deadline - Date.now();
        if (left <= 0) throw allLimited(rt, model, selection, lastError);
        trail.trace.push(`every account at its in-flight cap for ${model.upstream}: waited for a free slot`);
        rt.metrics.slotWaits.inc({ model: model.upstream });
        hooks.onWait?.(left);
        await slotFree(pool, left, job.signal);
        continue;
      }
      if (selection.waitMs !== undefined && canWait(selection.waitMs)) {
        log.info(`[pool] every account is limited for ${model.upstream}; waiting ${formatDuration(selection.waitMs)} for the first reset`);
        trail.trace.push(`every account limited for ${model.upstream}: waited ${formatDuration(selection.waitMs)} for the first reset`);
        await wait(selection.waitMs);
        continue;
      }
      const fallback = !fallbackTried ? fallbackFor(rt, job, model) : undefined;
      if (fallback) {
        fallbackTried = true;
        log.info(`[pool] every account is limited for ${model.upstream}; falling back to ${fallback.upstream}`);
        trail.trace.push(`every account limited for ${model.upstream}: fell back to ${fallback.upstream}`);
        model = fallback;
        trail.model = model;
        continue;
      }
      throw allLimited(rt, model, selection, lastError);
    }

    if (selection.delayMs > 0) {
      // A throttle or a sticky wait that does not fit in what is left is the same as no account.
      if (!canWait(selection.delayMs)) {
        throw allLimited(rt, model, { ok: false, reason: "cooling", message: "", skipped: [], earliestResetAt: Date.now() + selection.delayMs }, lastError);
      }
      await wait(selection.delayMs);
    }
    const accountId = selection.accountId;
    if (accountId === capacityFrom) {
      // The pool offers again the account that just answered "no capacity": no other account is
      // usable for this model, so back off before asking it again. (While another one is usable,
      // the capacity cooldown keeps this account out and the request moves on at once.)
      const delay = tuning.capacityRetryDelaysMs[capacityRetries++];
      if (delay === undefined || !canWait(delay)) break;
      await wait(delay);
    }
    capacityFrom = undefined;
    const chose = `${model.upstream}: chose ${accountId} (${selection.level}${selection.why ? `: ${selection.why}` : ""})`;
    if (debug) log.debug(`[pool] ${chose}`);
    trail.trace.push(selection.delayMs > 0 ? `${chose} after waiting ${formatDuration(selection.delayMs)}` : chose);
    const credentials = rt.credentials.get(accountId);
    if (!credentials) throw new ApiError("api_error", `Account ${accountId} has no credentials loaded.`);
    pool.consumeToken(accountId);
    // In flight from the moment it is chosen: concurrent requests selecting while this one awaits
    // the shared bucket must already see it (the in-flight cap, least-busy scoring).
    pool.started(accountId);
    // With several instances the shared bucket (Redis) has the last word; a refusal has already
    // emptied the local bucket, so the next selection looks elsewhere. Bounded, in case the store
    // keeps refusing. A store that fails to answer is a store that is away: serve on local state.
    const granted = await rt.state.tokenGranted(accountId, selection.level).catch(() => true);
    if (!granted && refusals++ < maxAttempts) {
      pool.finished(accountId);
      pool.refundToken(accountId);
      continue;
    }

    let opened: Opened | undefined;
    const attemptAt = performance.now();
    // What this account calls the model: its own best id for a mapped name, a retired id's successor.
    const served = rt.catalog.forAccount(accountId, model) ?? model;
    if (debug && served.upstream !== model.upstream) log.debug(`[models] ${accountId} serves ${model.upstream} as ${served.upstream}`);
    try {
      const projectId = credentials.projectId ?? (await rt.upstream.discover(credentials)).projectId;
      const entry = rt.catalog.accountCatalog(accountId)?.models[served.upstream];
      const conversion = job.prepare({ model: served, projectId, ...(entry && { thinkingInfo: entry }) });
      // Whatever door the request came in by: Gemini refuses `claude -p`'s identity sentence.
      const identity = applyAgentIdentityPolicy(conversion.envelope.request, served.family, rt.config.agentSdkIdentity);
      const sentAt = performance.now();
      const response = await rt.upstream.generate(credentials, conversion.envelope, {
        stream: job.upstreamStream || conversion.thinking,
        signal: job.signal,
        thinking: conversion.thinking,
        agentSdkIdentity: identity.present && served.family === "gemini",
      });
      rt.metrics.upstreamLatency.observe({ model: model.upstream }, (performance.now() - sentAt) / 1000);
      opened = { accountId, attempt, model: served, response, conversion, delivered: false };
      trail.opened = opened;
      const value = await consume(opened);
      pool.reportSuccess(accountId, model.upstream);
      trail.attempts.push({ account: accountId, model: model.upstream, outcome: "ok", ms: Math.round(performance.now() - sentAt) });
      return { value, accountId, attempts: attempt };
    } catch (err) {
      if (job.signal.aborted) {
        pool.refundToken(accountId);
        throw job.signal.reason ?? err;
      }
      if (!(err instanceof UpstreamError)) {
        // agcp's own failure (conversion, a bug): never the account's fault.
        pool.refundToken(accountId);
        throw err;
      }
      rt.metrics.upstreamErrors.inc({ kind: err.kind, account: accountId });
      trail.attempts.push({ account: accountId, model: served.upstream, outcome: err.kind, message: err.message, ms: Math.round(performance.now() - attemptAt) });
      if (!opened?.delivered && isEntityNotFound(err)) {
        // The account does not have this model after all (entitlement changed, or upstream's gate
        // for newer models): no fault of its own, so nothing cools; the next pick leaves it out.
        pool.refundToken(accountId);
        rt.catalog.markMissing(accountId, served.upstream);
        log.warn(`[models] ${accountId} → 404 for ${served.upstream} (attempt ${attempt}); routing it elsewhere`);
        lastError = err;
        attempt++;
        continue;
      }
      if (!opened?.delivered) pool.refundToken(accountId);
      const outcome = pool.reportFailure(accountId, model.upstream, err);
      log.warn(`[pool] ${accountId} → ${err.kind} on ${model.upstream} (attempt ${attempt}): ${err.message} [${describeOutcome(outcome)}]`);
      // After a timeout the client has already waited upstream.requestTimeoutMs: trying the next
      // account could make it wait that long again, for every account. Its answer is due now.
      if (opened?.delivered || err.kind === "bad_request" || err.timedOut) throw err;
      lastError = err;
      attempt++;

      if (err.kind === "capacity") {
        // No wait here: the next selection decides between another account now and a backoff.
        capacityFrom = accountId;
      } else if (err.kind === "empty_response") {
        const delay = tuning.emptyResponseRetryDelaysMs[emptyRetries++];
        if (delay === undefined || !canWait(delay)) break;
        await wait(delay);
      }
    } finally {
      pool.finished(accountId);
    }
  }
  throw lastError ?? new ApiError("api_error", `No upstream attempt succeeded for ${model.upstream}.`);
}

/** Resolves when an account at its in-flight cap finishes a request, or after `ms`; rejects on abort. */
function slotFree(pool: Runtime["pool"], ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      off();
      signal.removeEventListener("abort", aborted);
      resolve();
    };
    const aborted = () => {
      clearTimeout(timer);
      off();
      reject(signal.reason);
    };
    const timer = setTimeout(done, ms);
    const off = pool.onSlotFree(done);
    if (signal.aborted) return aborted();
    signal.addEventListener("abort", aborted, { once: true });
  });
}

/**
 * No account can serve the model: none lists it, or every one that did answered 404. The latter is
 * also how upstream's newer-models gate looks from here, so say what to raise.
 */
function notServed(rt: Runtime, model: ResolvedModel, exclude: ReadonlySet<string>, lastError?: UpstreamError): ApiError {
  const able = rt.pool.accounts().filter((a) => !exclude.has(a.id));
  let message: string;
  if (lastError && isEntityNotFound(lastError)) {
    message =
      `Upstream answered 404 "Requested entity was not found" for ${model.upstream} on every account that lists it. ` +
      `When the catalogs list a model but generation says it does not exist, upstream's version gate for newer models is refusing ` +
      `agcp's client identity (${userAgentOf(rt.config.upstream.identity)}, from ${rt.config.identitySource}): raise upstream.identity.version ` +
      `or AGCP_CLIENT_VERSION, and check with \`agcp accounts verify\`.`;
  } else if (able.length > 0) {
    message = `Only ${able.map((a) => a.id).join(", ")} can serve ${model.upstream}, and none of them is usable now (disabled or invalid).`;
  } else {
    message = `No account serves ${model.upstream}: it is not in the catalog of any of the ${rt.pool.size} accounts.`;
    const available = rt.catalog.list().filter((m) => m.accounts.length > 0).map((m) => m.id);
    if (available.length > 0) message += ` Models your accounts serve: ${available.join(", ")}.`;
  }
  return new ApiError("not_found_error", message);
}

function fallbackFor(rt: Runtime, job: RelayJob, model: ResolvedModel): ResolvedModel | undefined {
  const name = rt.config.models.fallback[model.upstream] ?? rt.config.models.fallback[job.requestedModel];
  if (!name) return undefined;
  try {
    const fallback = rt.catalog.resolve(name);
    return fallback.upstream === model.upstream ? undefined : fallback;
  } catch {
    return undefined;
  }
}

/**
 * Every account is limited for this model, beyond what we may wait. The answer is a 429 (it is a
 * rate limit) with `x-should-retry: false`: Anthropic's SDK — and so Claude Code — obeys that
 * header, so the client stops instead of hammering, and the user reads when to come back.
 */
function allLimited(rt: Runtime, model: ResolvedModel, sel: SelectionNone, lastError?: UpstreamError): ApiError {
  const counts = rt.pool.counts();
  const now = Date.now();
  let message: string;
  if (sel.reason === "empty") message = "No accounts are configured.";
  else if (sel.reason === "unavailable")
    message = `None of the ${counts.total} accounts can serve requests (${counts.invalid} invalid, ${counts.disabled} disabled). Run \`agcp accounts verify\`.`;
  else if (sel.reason === "busy") {
    // Not out of quota: the cap the user set was full for the whole wait. Worth retrying soon.
    return new ApiError("rate_limit_error", `${sel.message} None finished within ${formatDuration(rt.config.pool.maxWaitMs)}.`, {
      headers: { "retry-after": "1" },
      status: 429,
    });
  } else {
    const resetAt = sel.earliestResetAt;
    const when = resetAt ? `the first resets in ${formatDuration(resetAt - now)} (at ${isoOrNull(resetAt) ?? "an unknown time"})` : "no reset time is known";
    const out = sel.poolOut;
    // Upstream limits per pool: say which, and whether it is the weekly wall, so nobody waits 5 hours for a week.
    const detail = out
      ? ` (${out.accounts} out of the ${out.pool} quota pool${out.weekly > 0 ? `, ${out.weekly} until its weekly reset` : ""})`
      : "";
    message = `All ${counts.total} accounts are rate-limited or out of quota for ${model.upstream}${detail}; ${when}.`;
  }
  if (lastError) message += ` Last upstream error: ${lastError.message}`;
  const headers: Record<string, string> = { "x-should-retry": "false" };
  if (sel.earliestResetAt) headers["retry-after"] = String(Math.max(1, Math.ceil((sel.earliestResetAt - now) / 1000)));
  const type = sel.reason === "cooling" ? "rate_limit_error" : "api_error";
  return new ApiError(type, message, { headers, status: type === "api_error" ? 503 : 429 });
}

function describeOutcome(outcome: { action: string } & Record<string, unknown>): string {
  const parts = [outcome.action];
  if (typeof outcome.until === "number") parts.push(`until ${isoOrNull(outcome.until) ?? "an unknown time"}`);
  return parts.join(" ");
}

function traceSkips(trail: Trail, model: string, skipped: readonly Skip[]): void {
  for (const s of skipped.slice(0, TRACE_SKIPS)) trail.trace.push(`${model}: skipped ${s.accountId}: ${s.why}`);
  if (skipped.length > TRACE_SKIPS) trail.trace.push(`${model}: skipped ${skipped.length - TRACE_SKIPS} more accounts`);
}
