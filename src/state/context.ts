/** What the parts of one open store share: the backend, the Redis link, and how problems are reported. */
import type { PoolTuning } from "../pool/tuning.ts";
import type { AccountState } from "../pool/types.ts";
import type { Backend } from "./backend.ts";
import { checkRanges } from "./ranges.ts";
import { decodeDocument, encodeDocument, type DocKind, type DocValues, type Migration } from "./documents.ts";
import { dropExpired } from "./expiry.ts";
import { poolKey, stamp } from "./keys.ts";
import { forEachLimited } from "./limit.ts";
import type { StateMessage } from "./messages.ts";
import type { RedisLink } from "./redis-link.ts";
import type { StateLog, StateProblem } from "./types.ts";

/** Parallel reads/writes of account files. */
export const IO_CONCURRENCY = 32;

type Announcement = { t: "accounts" } | { t: "settings" } | { t: "keys" };

export interface StoreContext {
  backend: Backend;
  link?: RedisLink;
  log: StateLog;
  now: () => number;
  migrations: readonly Migration[];
  problems: StateProblem[];
  /**
   * Redis only: what the shared store last heard about each account (read, written, or received),
   * so a flush publishes only what this instance changed since.
   */
  known: Map<string, AccountState>;
  /** Reports a bad entry once and moves it aside. */
  reject(key: string, problem: string): Promise<void>;
  /** Reads one document; undefined when absent or bad (bad ones are rejected). Throws only on I/O errors. */
  read<K extends DocKind>(kind: K, key: string): Promise<DocValues[K] | undefined>;
  write<K extends DocKind>(kind: K, key: string, value: DocValues[K]): Promise<void>;
  /** Tells other instances (Redis) to re-read something; a no-op elsewhere or while offline. */
  announce(message: Announcement): Promise<void>;
  /** Saved states of these accounts that could be read, with expired facts dropped. */
  readStates(ids: readonly string[], tuning: PoolTuning): Promise<Map<string, AccountState>>;
}

export function createContext(init: {
  backend: Backend;
  link?: RedisLink;
  log: StateLog;
  now: () => number;
  migrations: readonly Migration[];
}): StoreContext {
  const { backend, link, log, now } = init;
  const problems: StateProblem[] = [];
  let readErrorLogged = false;

  const ctx: StoreContext = {
    ...init,
    problems,
    known: new Map(),

    async reject(key, problem) {
      const where = backend.describe(key);
      let movedTo: string | undefined;
      let moveError: string | undefined;
      try {
        movedTo = await backend.moveAside(key, stamp(now()));
      } catch (err) {
        moveError = (err as Error).message;
      }
      problems.push({ where, what: problem, ...(movedTo && { movedTo }), at: now() });
      const fate = movedTo
        ? `moved it to ${movedTo}`
        : moveError
          ? `could not move it aside (${moveError}), ignoring it`
          : "ignored it";
      log.warn(`State ${where} ${problem}; ${fate} and started with clean state for it.`);
    },

    async read(kind, key) {
      // ioredis's own words for this ("Stream isn't writeable...") would puzzle anyone reading the log.
      if (link && !link.online) throw new Error("Redis is not connected");
      const raw = await backend.storage.getItemRaw(key);
      if (raw === null || raw === undefined) return undefined;
      const decoded = decodeDocument(kind, raw, init.migrations);
      if (decoded.ok) return decoded.value;
      await ctx.reject(key, decoded.problem);
      return undefined;
    },

    async write(kind, key, value) {
      if (link && !link.online) throw new Error("Redis is not connected");
      await backend.storage.setItem(key, encodeDocument(kind, value));
    },

    async announce(message) {
      if (!link?.online) return;
      await link.publish({ v: 1, from: link.instanceId, ...message }).catch(() => {});
    },

    async readStates(ids, tuning) {
      const out = new Map<string, AccountState>();
      const at = now();
      await forEachLimited(ids, IO_CONCURRENCY, async (id) => {
        const key = poolKey(id);
        let doc: DocValues["account-state"] | undefined;
        try {
          doc = await ctx.read("account-state", key);
        } catch (err) {
          if (!readErrorLogged) log.warn(`Could not read saved state from ${backend.location}: ${(err as Error).message}; starting those accounts clean.`);
          readErrorLogged = true;
          return;
        }
        if (!doc) return;
        if (doc.state.id !== id) {
          await ctx.reject(key, `holds the state of account ${JSON.stringify(doc.state.id)}, not ${JSON.stringify(id)}`);
          return;
        }
        // Values of the right type but out of range are replaced by their defaults, reported here once.
        const checked = checkRanges(doc.state, at, tuning);
        if (checked.problems.length > 0) log.warn(`State ${backend.describe(key)}: ${checked.problems.join("; ")}.`);
        const pruned = dropExpired(checked.state, at, tuning);
        if (pruned.implausible.length > 0) {
          log.warn(
            `State ${backend.describe(key)}: dropped cooldown(s) for ${pruned.implausible.join(", ")} ending implausibly far in the future (clock change?).`,
          );
        }
        out.set(id, pruned.state);
      });
      return out;
    },
  };
  return ctx;
}

export type { StateMessage };
