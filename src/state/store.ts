/**
 * The state layer: routing state per account, accounts added at run time, and run-time settings,
 * on unstorage (memory, fs or redis). Usable without a server (`agcp accounts` opens it, changes
 * an account, closes it) and by the server (load into the pool, attach, flush on shutdown).
 */
import { hostname } from "node:os";
import type { Driver } from "unstorage";
import type { ResolvedStorage } from "../config/resolve.ts";
import type { Pool } from "../pool/pool.ts";
import type { AccountState, SelectionLevel } from "../pool/types.ts";
import type { KeyLimiter } from "../keys/local-limiter.ts";
import { createLocalLimiter } from "../keys/local-limiter.ts";
import { createAccountStore, type AccountStore } from "./accounts.ts";
import { createKeyStore, type KeyStore } from "./client-keys.ts";
import { createUsageStore, type UsageStore } from "./usage.ts";
import { createRedisKeyLimiter } from "./key-limits-redis.ts";
import { attachPool, type Attachment } from "./attach.ts";
import { openBackend, type DriverName } from "./backend.ts";
import { createContext } from "./context.ts";
import { watchFiles } from "./fs-watch.ts";
import { ACCOUNTS_KEY, CLIENT_KEYS_KEY, poolKey, SETTINGS_KEY } from "./keys.ts";
import { MIGRATIONS, type Migration } from "./documents.ts";
import { openRedisLink, type RedisLink } from "./redis-link.ts";
import { createSettingsStore, type SettingsStore } from "./settings.ts";
import type { StateLog, StateStatus } from "./types.ts";

export interface OpenStateOptions {
  storage: ResolvedStorage;
  log: StateLog;
  /** Clock for expiry checks, timestamps and the shared bucket; use the pool's. Default Date.now. */
  now?: () => number;
  /** Replaces the configured driver (tests, benchmarks). */
  driver?: Driver;
  /** Names this process in pub/sub messages. Default: host, pid and a random part. */
  instanceId?: string;
  /** Redis: how long startup waits for a first connection before going on without it. Default 2000. */
  connectTimeoutMs?: number;
  /** How soon a shared fact (cooldown, invalid flag, quota, enabled) is written after it changed. Default min(100, flushIntervalMs). */
  urgentDelayMs?: number;
  migrations?: readonly Migration[];
  /** fs: how often the accounts and settings files are checked for changes made by another process (the CLI). Default 1000. */
  watchIntervalMs?: number;
}

/** Something another instance changed that this one should read again. */
export type RemoteEvent = "accounts" | "settings" | "keys" | "resync";

export interface StateStore {
  readonly driver: DriverName;
  /** Directory, Redis URL (password hidden) or "memory". */
  readonly location: string;
  readonly accounts: AccountStore;
  readonly settings: SettingsStore;
  readonly keys: KeyStore;
  /** Requests, tokens and errors per hour per series (keys, accounts × models), 30 days. */
  readonly usage: UsageStore;
  /** Client key limits: shared and atomic on Redis, this process's own otherwise. */
  readonly keyLimiter: KeyLimiter;
  /** True when key limits hold across instances right now. */
  keyLimitsShared(): boolean;
  /**
   * Restores saved routing state into the pool's accounts (only `ids`, when given: accounts that
   * just joined); returns how many were restored.
   */
  loadInto(pool: Pool, ids?: readonly string[]): Promise<number>;
  /** Writes one account's routing state now, e.g. a renamed account's under its new id before other instances look for it. */
  saveState(state: AccountState): Promise<void>;
  /**
   * Starts saving the pool's changes in the background and returns the pool the server should use
   * (the same pool; on Redis its token buckets and round-robin position are shared). One pool per store.
   */
  attach(pool: Pool): Pool;
  /**
   * Redis: resolves once the shared bucket has answered the token just taken with consumeToken;
   * false means another instance spent it first (give it back, select again). True at once
   * without Redis, while it is away, and on the last-resort level (which ignores buckets).
   */
  tokenGranted(id: string, level: SelectionLevel): Promise<boolean>;
  /** Writes every pending change now (shutdown). Never throws: failures are logged. */
  flush(): Promise<void>;
  /** Deletes an account's saved routing state (after the account itself was removed). */
  forget(id: string): Promise<void>;
  status(): StateStatus;
  onRemote(listener: (event: RemoteEvent) => void): () => void;
  /** Flushes, then lets go of files and connections. */
  close(): Promise<void>;
}

function defaultInstanceId(): string {
  return `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function openStateStore(opts: OpenStateOptions): Promise<StateStore> {
  const now = opts.now ?? Date.now;
  const { log, storage: cfg } = opts;
  const backend = await openBackend({ storage: cfg, log, now, ...(opts.driver && { driver: opts.driver }) });
  let link: RedisLink | undefined;
  if (backend.redis) {
    link = await openRedisLink({
      client: backend.redis,
      prefix: cfg.prefix,
      location: backend.location,
      instanceId: opts.instanceId ?? defaultInstanceId(),
      log,
      connectTimeoutMs: opts.connectTimeoutMs ?? 2_000,
    });
  }
  const ctx = createContext({ backend, ...(link && { link }), log, now, migrations: opts.migrations ?? MIGRATIONS });
  const usage = createUsageStore(ctx, cfg.prefix);
  const remoteListeners = new Set<(e: RemoteEvent) => void>();
  const emit = (e: RemoteEvent) => {
    for (const l of remoteListeners) {
      try {
        l(e);
      } catch (err) {
        log.debug(`[state] remote listener: ${(err as Error).message}`);
      }
    }
  };
  let attachment: Attachment | undefined;
  let stopWatching: (() => void) | undefined;

  link?.onMessage((message) => {
    if (message.t === "accounts" || message.t === "settings" || message.t === "keys") emit(message.t);
    else attachment?.handle(message);
  });
  link?.onReconnect(() => {
    const resync = attachment ? attachment.resync() : Promise.resolve(emit("resync"));
    resync.catch((err: Error) => log.warn(`Resync with ${backend.location} failed: ${err.message}; retrying on the next reconnect.`));
  });

  let closing: Promise<void> | undefined;

  const store: StateStore = {
    driver: backend.driver,
    location: backend.location,
    accounts: createAccountStore(ctx),
    settings: createSettingsStore(ctx),
    usage,
    keys: createKeyStore(ctx, usage),
    keyLimiter: backend.redis && link ? createRedisKeyLimiter(backend.redis, cfg.prefix, () => link.online, log) : createLocalLimiter(),
    keyLimitsShared: () => (link ? link.online : false),

    async loadInto(pool, ids) {
      const states = await ctx.readStates(ids ?? pool.snapshot().map((s) => s.id), pool.tuning);
      if (link) for (const [id, s] of states) ctx.known.set(id, s);
      return pool.load([...states.values()]);
    },

    attach(pool) {
      if (attachment) throw new Error("This state store is already attached to a pool.");
      attachment = attachPool(ctx, pool, {
        flushIntervalMs: cfg.flushIntervalMs,
        urgentDelayMs: opts.urgentDelayMs ?? Math.min(100, cfg.flushIntervalMs),
        onResync: () => emit("resync"),
      });
      return attachment.pool;
    },

    tokenGranted(id, level) {
      return attachment ? attachment.granted(id, level) : Promise.resolve(true);
    },

    async flush() {
      try {
        await attachment?.flush();
      } catch (err) {
        log.warn(`Could not save state to ${backend.location}: ${(err as Error).message}`);
      }
    },

    async saveState(state) {
      await ctx.write("account-state", poolKey(state.id), { state });
      if (link) ctx.known.set(state.id, structuredClone(state));
    },

    async forget(id) {
      ctx.known.delete(id);
      await backend.storage.removeItem(poolKey(id));
    },

    status() {
      const lastFlushAt = attachment?.lastFlushAt();
      const lastError = attachment?.lastError();
      return {
        driver: backend.driver,
        location: backend.location,
        connected: link ? link.online : true,
        pending: attachment?.pending() ?? 0,
        ...(lastFlushAt !== undefined && { lastFlushAt }),
        ...(lastError !== undefined && { lastError }),
        problems: [...ctx.problems],
      };
    },

    onRemote(listener) {
      remoteListeners.add(listener);
      // Redis announces changes on its channel; with files, another process (the CLI) just writes them.
      if (backend.driver === "fs" && !opts.driver && !stopWatching) {
        const files = { accounts: backend.describe(ACCOUNTS_KEY), settings: backend.describe(SETTINGS_KEY), keys: backend.describe(CLIENT_KEYS_KEY) };
        stopWatching = watchFiles<"accounts" | "settings" | "keys">(files, opts.watchIntervalMs ?? 1_000, emit);
      }
      return () => remoteListeners.delete(listener);
    },

    close() {
      closing ??= (async () => {
        stopWatching?.();
        attachment?.detach();
        await store.flush();
        const left = attachment?.pending() ?? 0;
        if (left > 0) log.warn(`${left} account state change(s) could not be saved to ${backend.location} before exit.`);
        await link?.close();
        await backend.dispose();
      })();
      return closing;
    },
  };
  return store;
}
