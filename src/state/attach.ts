/**
 * Keeps the store in step with a live pool without touching the request path: pool changes only
 * mark the account dirty (a Set.add); a background timer writes dirty accounts, coalesced, every
 * flushIntervalMs. Changes others must know soon (a cooldown, an invalid flag, new quota, an
 * account enabled or disabled) bring the next write forward to within `urgentDelayMs`.
 *
 * With Redis, each write also publishes what changed, other instances' changes are applied as
 * they arrive, every token taken goes through the shared bucket, and an outage ends in a resync.
 */
import type { Pool } from "../pool/pool.ts";
import type { AccountState, SelectionLevel } from "../pool/types.ts";
import type { StoreContext } from "./context.ts";
import { IO_CONCURRENCY } from "./context.ts";
import { applyDelta, diffState, type AccountDelta } from "./delta.ts";
import { encodeDocument } from "./documents.ts";
import { dropExpired } from "./expiry.ts";
import { poolKey } from "./keys.ts";
import { forEachLimited } from "./limit.ts";
import type { StateMessage } from "./messages.ts";

/** Deltas per published message; keeps one message well under Redis's limits for huge pools. */
const CHANGES_PER_MESSAGE = 200;

export interface AttachOptions {
  flushIntervalMs: number;
  urgentDelayMs: number;
  /** Called after a resync, so account lists and settings can be re-read too. */
  onResync?: () => void;
}

export interface Attachment {
  /** The pool the server should use: the same pool, with shared-fact writes flushed early and (Redis) shared buckets. */
  pool: Pool;
  flush(): Promise<void>;
  /**
   * Redis: whether the token just taken for `id` (consumeToken) was really there in the shared
   * bucket, one round trip after the take. False means another instance spent it first: give it
   * back and select again. Resolves true at once without Redis or while it is away.
   */
  granted(id: string, level: SelectionLevel): Promise<boolean>;
  pending(): number;
  lastFlushAt(): number | undefined;
  lastError(): string | undefined;
  handle(message: StateMessage): void;
  resync(): Promise<void>;
  detach(): void;
}

export function attachPool(ctx: StoreContext, pool: Pool, opts: AttachOptions): Attachment {
  const { backend, link, log, now, known } = ctx;
  const dirty = new Set<string>();
  let quiet = 0;
  let failing = false;
  let lastError: string | undefined;
  let lastFlushAt: number | undefined;

  const unsubscribe = pool.onChange((id) => {
    if (quiet === 0) dirty.add(id);
  });

  /** Applies a state that came from the shared store: not a local change, so not written back. */
  const applyQuietly = (state: AccountState) => {
    quiet++;
    try {
      pool.applyRemote(state);
    } finally {
      quiet--;
    }
  };

  // ---- flushing ----------------------------------------------------------------------------

  async function flushOnce(): Promise<void> {
    if (dirty.size === 0) return;
    // While Redis is away the changes stay dirty; the resync pushes them.
    if (link && !link.online) return;
    const ids = [...dirty];
    dirty.clear();
    const at = now();
    const changes: Array<{ id: string; delta: AccountDelta }> = [];
    let error: Error | undefined;
    await forEachLimited(ids, IO_CONCURRENCY, async (id) => {
      const state = pool.stateOf(id);
      if (!state) return; // removed meanwhile
      try {
        const doc = encodeDocument("account-state", { state: dropExpired(state, at, pool.tuning).state });
        await backend.storage.setItem(poolKey(id), doc);
      } catch (err) {
        error = err as Error;
        dirty.add(id);
        return;
      }
      if (link) {
        const delta = diffState(known.get(id), state);
        if (delta) changes.push({ id, delta });
        known.set(id, state);
      }
    });
    if (link && changes.length > 0) {
      for (let i = 0; i < changes.length; i += CHANGES_PER_MESSAGE) {
        const batch = changes.slice(i, i + CHANGES_PER_MESSAGE);
        await link.publish({ v: 1, t: "state", from: link.instanceId, changes: batch }).catch((err: Error) => {
          error ??= err;
        });
      }
    }
    if (error) {
      lastError = error.message;
      if (!failing) {
        log.warn(
          `Could not save state to ${backend.location}: ${error.message}. Requests are unaffected; retrying every ${opts.flushIntervalMs} ms.`,
        );
      }
      failing = true;
      return;
    }
    if (failing) log.info(`State saved to ${backend.location} again.`);
    failing = false;
    lastError = undefined;
    lastFlushAt = now();
  }

  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  function flush(): Promise<void> {
    if (!running) {
      running = flushOnce().finally(() => {
        running = undefined;
      });
      return running;
    }
    // One write at a time; requests made meanwhile share the next one.
    queued ??= running.then(() => {
      queued = undefined;
      return flush();
    });
    return queued;
  }
  const background = () => void flush().catch((err: Error) => log.debug(`[state] flush: ${err.message}`));

  const timer = setInterval(background, opts.flushIntervalMs);
  timer.unref?.();
  let urgentTimer: ReturnType<typeof setTimeout> | undefined;
  const urgent = (id: string) => {
    dirty.add(id);
    if (urgentTimer) return;
    urgentTimer = setTimeout(() => {
      urgentTimer = undefined;
      background();
    }, opts.urgentDelayMs);
    urgentTimer.unref?.();
  };

  // ---- shared buckets (Redis) ----------------------------------------------------------------

  /** Per account, whether the latest take found a token in the shared bucket (see `granted`). */
  const pendingTakes = new Map<string, Promise<boolean>>();

  const shareBucket = (id: string, mode: "take" | "refund") => {
    if (!link?.online) return;
    const t = pool.tuning.bucket;
    const answered = link.bucket(id, mode, t, now()).then(
      (answer) => {
        const state = pool.stateOf(id);
        if (state) {
          // The shared bucket is the truth: the next select here sees what every instance spent.
          state.bucket = { tokens: answer.tokens, updatedAt: answer.at };
          applyQuietly(state);
          if (mode === "take" && pool.strategy === "round-robin") pool.setCursor(answer.cursor);
        }
        return answer.before >= t.cost;
      },
      (err: Error) => {
        // Offline: the link has said so once; the local bucket keeps limiting this instance.
        log.debug(`[state] shared bucket ${mode}: ${err.message}`);
        return true;
      },
    );
    if (mode !== "take") return;
    pendingTakes.set(id, answered);
    void answered.then(() => {
      if (pendingTakes.get(id) === answered) pendingTakes.delete(id);
    });
  };

  function granted(id: string, level: SelectionLevel): Promise<boolean> {
    // The last rung ignores buckets on purpose; everything else needs a token someone has not spent.
    if (level === "last-resort") return Promise.resolve(true);
    return pendingTakes.get(id) ?? Promise.resolve(true);
  }

  // ---- the pool handed to the server ---------------------------------------------------------

  const wrapped = Object.create(pool) as Pool;
  Object.assign(wrapped, {
    consumeToken(id: string) {
      const ok = pool.consumeToken(id);
      if (ok) shareBucket(id, "take");
      return ok;
    },
    refundToken(id: string) {
      const ok = pool.refundToken(id);
      if (ok) shareBucket(id, "refund");
      return ok;
    },
    reportFailure(id, model, err) {
      const outcome = pool.reportFailure(id, model, err);
      if (outcome.action === "cooled" || outcome.action === "invalidated") urgent(id);
      return outcome;
    },
    setQuota(id, snapshot, windows) {
      pool.setQuota(id, snapshot, windows);
      urgent(id);
    },
    setTier(id, tier) {
      pool.setTier(id, tier);
      urgent(id);
    },
    setEnabled(id, enabled) {
      pool.setEnabled(id, enabled);
      urgent(id);
    },
    resetAccount(id) {
      const ok = pool.resetAccount(id);
      if (ok) urgent(id);
      return ok;
    },
    addAccount(cfg) {
      pool.addAccount(cfg);
      urgent(cfg.id);
    },
  } satisfies Partial<Pool>);

  // ---- other instances (Redis) ---------------------------------------------------------------

  function handle(message: StateMessage): void {
    if (message.t === "state") {
      for (const { id, delta } of message.changes) {
        const current = pool.stateOf(id);
        if (!current) continue;
        applyQuietly(applyDelta(current, delta));
        const k = known.get(id);
        if (k) known.set(id, applyDelta(k, delta));
      }
    } else if (message.t === "bucket") {
      const state = pool.stateOf(message.id);
      if (!state) return;
      state.bucket = { tokens: message.tokens, updatedAt: message.at };
      applyQuietly(state);
    }
  }

  /** After an outage: take the shared picture, replay what changed here meanwhile on top, push. */
  async function resync(): Promise<void> {
    if (!link) return;
    const locals = pool.snapshot();
    const remote = await ctx.readStates(
      locals.map((s) => s.id),
      pool.tuning,
    );
    for (const local of locals) {
      const shared = remote.get(local.id);
      if (!shared) {
        // The store lost it (a Redis restart without persistence): ours is all there is.
        known.delete(local.id);
        dirty.add(local.id);
        continue;
      }
      const mine = dirty.has(local.id) ? diffState(known.get(local.id), local) : undefined;
      const merged = mine ? applyDelta(shared, mine) : shared;
      applyQuietly({ ...merged, bucket: local.bucket });
      known.set(local.id, shared);
      if (mine) dirty.add(local.id);
    }
    await flush();
    opts.onResync?.();
  }

  return {
    pool: wrapped,
    flush,
    granted,
    pending: () => dirty.size,
    lastFlushAt: () => lastFlushAt,
    lastError: () => lastError,
    handle,
    resync,
    detach() {
      clearInterval(timer);
      if (urgentTimer) clearTimeout(urgentTimer);
      unsubscribe();
    },
  };
}
