/**
 * The state layer as a running server uses it: restores the pool and the run-time strategy,
 * keeps saving, and offers the changes the console makes (strategy, accounts) as one call each,
 * applied to the pool, the credentials and the store together.
 */
import { ownFloors, poolFloorsOf, type AccountQuotaFloors } from "../config/account-floors.ts";
import type { Pool } from "../pool/pool.ts";
import type { StrategyName } from "../pool/tuning.ts";
import type { AccountConfigLike, SelectionLevel } from "../pool/types.ts";
import type { UpstreamAccount } from "../upstream/client.ts";
import { startupStrategy } from "./settings.ts";
import type { StateStore } from "./store.ts";
import { StateError, type NewStoredAccount, type StateLog, type StateStatus, type StoredAccount } from "./types.ts";

/** An account as the console lists it. Never carries the refresh token. */
export interface ManagedAccount {
  label: string;
  email?: string;
  projectId?: string;
  enabled: boolean;
  /** "config": from agcp.config.ts (cannot be removed at run time); "stored": added at run time. */
  source: "config" | "stored";
  addedAt?: number;
  /** The account's own quota floors, as `accounts[].quota` in agcp.config.ts; absent: the global ones apply. */
  floors?: AccountQuotaFloors;
}

export interface ConfiguredAccount {
  label: string;
  email?: string;
  projectId?: string;
  quota?: AccountQuotaFloors;
}

export interface RuntimeState {
  readonly store: StateStore;
  /** The pool the server should use (see StateStore.attach). */
  readonly pool: Pool;
  status(): StateStatus;
  /**
   * For the relay, right after `pool.consumeToken(id)`: false when several instances share the
   * pool and another one spent this account's last token first (refund it and select again).
   * Resolves at once (true) unless the store is Redis.
   */
  tokenGranted(id: string, level: SelectionLevel): Promise<boolean>;
  /** Switches the pool's strategy now, on every instance sharing the store, and after restarts (a failed save is logged, not thrown). */
  setStrategy(name: StrategyName): Promise<void>;
  accounts: {
    list(): Promise<ManagedAccount[]>;
    /** Adds (or re-logs) a stored account; routable at once. Labels of configured accounts are refused. */
    add(input: NewStoredAccount): Promise<ManagedAccount>;
    /** Removes a stored account. Configured accounts are refused (edit agcp.config.ts). */
    remove(label: string): Promise<boolean>;
    /** Works for both kinds; a configured account's choice is kept in its routing state. */
    setEnabled(label: string, enabled: boolean): Promise<boolean>;
    /**
     * Gives a stored account another label, on every instance sharing the store; its routing state
     * (cooldowns, quota, health) moves with it. Undefined when there is no such account.
     */
    rename(from: string, to: string): Promise<ManagedAccount | undefined>;
    /** A stored account's own floors (undefined: none); routing uses them at once, everywhere. */
    setFloors(label: string, floors: AccountQuotaFloors | undefined): Promise<ManagedAccount | undefined>;
  };
  /** Flushes and closes the store. */
  close(): Promise<void>;
}

export interface RuntimeStateOptions {
  store: StateStore;
  /** Created with the configured accounts plus `storedAccountsBeside(...)`. */
  pool: Pool;
  credentials: Map<string, UpstreamAccount>;
  configAccounts: readonly ConfiguredAccount[];
  configuredStrategy: StrategyName;
  log: StateLog;
}

/**
 * Stored accounts that join the pool as accounts of their own. One with a configured account's
 * label is not one of them: it is that account signed in again (see `resignedTokens`).
 */
export function storedAccountsBeside(
  configLabels: Iterable<string>,
  stored: readonly StoredAccount[],
  _log?: StateLog,
): StoredAccount[] {
  const taken = new Set(configLabels);
  return stored.filter((a) => !taken.has(a.label));
}

/**
 * Refresh tokens that replace a configured account's own: signing a config-file account in again
 * (`agcp accounts add --label <it>` / `accounts import`) stores the new token in the state store,
 * where it wins over the file's `refreshToken` / `refreshTokenEnv` until `agcp accounts remove`
 * drops it. This is what ends the circle of a revoked token living in a file agcp cannot edit.
 */
export function resignedTokens(configLabels: Iterable<string>, stored: readonly StoredAccount[]): Map<string, string> {
  const taken = new Set(configLabels);
  return new Map(stored.filter((a) => taken.has(a.label)).map((a) => [a.label, a.refreshToken]));
}

/**
 * The stored accounts to add to the pool at startup. Never fails startup: a store that cannot be
 * read (Redis away) yields none now, and they are added when the store comes back.
 */
export async function storedAccountsFor(store: StateStore, configLabels: Iterable<string>, log: StateLog): Promise<StoredAccount[]> {
  try {
    return storedAccountsBeside(configLabels, await store.accounts.list(), log);
  } catch (err) {
    log.warn(`Could not read accounts added with \`agcp accounts add\` from ${store.location}: ${(err as Error).message}`);
    return [];
  }
}

export function poolConfigOf(a: StoredAccount): AccountConfigLike {
  const floors = poolFloorsOf(a.floors);
  return { id: a.label, label: a.label, enabled: a.enabled, ...(floors && { floors }) };
}

export function credentialsOf(a: StoredAccount): UpstreamAccount {
  return { id: a.label, refreshToken: a.refreshToken, ...(a.projectId && { projectId: a.projectId }), ...(a.proxy && { proxy: a.proxy }) };
}

export async function connectRuntimeState(opts: RuntimeStateOptions): Promise<RuntimeState> {
  const { store, credentials, log } = opts;
  const configLabels = new Set(opts.configAccounts.map((a) => a.label));
  const base = opts.pool;

  async function restoreStrategy(initial: boolean): Promise<void> {
    const pick = startupStrategy(await store.settings.get(), opts.configuredStrategy);
    if (pick.outdated && initial) {
      log.info(`Strategy ${pick.name} from the configuration replaces the one chosen at run time earlier.`);
      await store.settings.clearStrategy().catch(() => {});
    }
    if (pick.from === "stored" && base.strategy !== pick.name) {
      base.setStrategy(pick.name);
      if (initial) {
        log.info(
          `Strategy ${pick.name} (chosen at run time; a different strategy in agcp.config.ts, --strategy or AGCP_STRATEGY overrides it).`,
        );
      }
    }
  }

  log.info(`State: ${store.driver} (${store.location})`);
  await restoreStrategy(true).catch((err: Error) => log.warn(`Could not read run-time settings from ${store.location}: ${err.message}`));
  await store.loadInto(base);
  const pool = store.attach(base);

  // The config file's own credentials, to fall back to when a re-signed token is removed.
  const configCredentials = new Map([...configLabels].flatMap((label) => {
    const c = credentials.get(label);
    return c ? [[label, c] as const] : [];
  }));
  /** Puts re-signed tokens in place of configured ones (and the file's back when one is removed). */
  function applyResigned(all: readonly StoredAccount[], initial: boolean): void {
    const resigned = resignedTokens(configLabels, all);
    for (const [label, own] of configCredentials) {
      const token = resigned.get(label) ?? own.refreshToken;
      if (credentials.get(label)?.refreshToken === token) continue;
      credentials.set(label, { ...own, refreshToken: token });
      // A new sign-in fixes what made the account invalid; its quota cooldowns still hold.
      if (pool.account(label)?.invalid) pool.resetAccount(label);
      if (!initial) log.info(`Account "${label}": ${resigned.has(label) ? "using the token it was signed in again with" : "back to the config file's token"}.`);
    }
    if (initial && resigned.size > 0) {
      log.info(`Using tokens signed in again with agcp (state store) instead of the config file's for: ${[...resigned.keys()].join(", ")}.`);
    }
  }
  await store.accounts.list().then(
    (all) => applyResigned(all, true),
    () => {},
  );

  /** Makes the pool and credentials match the stored accounts (another instance or the CLI changed them). */
  async function syncStored(): Promise<void> {
    const all = await store.accounts.list();
    applyResigned(all, false);
    const stored = storedAccountsBeside(configLabels, all);
    const wanted = new Map(stored.map((a) => [a.label, a]));
    for (const id of [...credentials.keys()]) {
      if (configLabels.has(id) || wanted.has(id)) continue;
      pool.removeAccount(id);
      credentials.delete(id);
    }
    const joined: string[] = [];
    for (const a of stored) {
      credentials.set(a.label, credentialsOf(a));
      const current = pool.stateOf(a.label);
      if (!current) {
        pool.addAccount(poolConfigOf(a));
        joined.push(a.label);
        continue;
      }
      if (current.enabled !== a.enabled) pool.setEnabled(a.label, a.enabled);
      const floors = poolFloorsOf(a.floors);
      if (JSON.stringify(current.floors) !== JSON.stringify(floors)) pool.setAccountFloors(a.label, floors);
    }
    // An account renamed elsewhere keeps its routing state: it was saved under the new name first.
    if (joined.length > 0) await store.loadInto(pool, joined);
  }

  const stopListening = store.onRemote((event) => {
    const work =
      event === "accounts" ? syncStored() : event === "settings" ? restoreStrategy(false) : Promise.all([syncStored(), restoreStrategy(false)]);
    work.catch((err: Error) => log.warn(`Could not apply a change from another agcp instance: ${err.message}`));
  });

  const summary = async (): Promise<ManagedAccount[]> => {
    const stored = await store.accounts.list();
    const views = new Map(pool.accounts().map((v) => [v.id, v]));
    const fromConfig: ManagedAccount[] = opts.configAccounts.map((a) => {
      const floors = ownFloors(a.quota);
      return {
        label: a.label,
        ...(a.email !== undefined && { email: a.email }),
        ...(a.projectId !== undefined && { projectId: a.projectId }),
        enabled: views.get(a.label)?.enabled ?? false,
        source: "config",
        ...(floors && { floors }),
      };
    });
    const fromStore: ManagedAccount[] = storedAccountsBeside(configLabels, stored).map((a) => managed(a));
    return [...fromConfig, ...fromStore];
  };

  return {
    store,
    pool,
    status: () => store.status(),
    tokenGranted: (id, level) => store.tokenGranted(id, level),

    async setStrategy(name) {
      pool.setStrategy(name);
      // The switch has happened; failing to remember it must not make it look as if it had not.
      await store.settings
        .setStrategy(name, opts.configuredStrategy)
        .catch((err: Error) => log.warn(`Strategy ${name} is in effect but could not be saved to ${store.location}: ${err.message}`));
    },

    accounts: {
      list: summary,

      async add(input) {
        const label = (input.label ?? input.email ?? "").trim();
        if (configLabels.has(label)) {
          throw new StateError("conflict", `"${label}" is an account in agcp.config.ts; choose another label.`);
        }
        const { account } = await store.accounts.add(input);
        credentials.set(account.label, credentialsOf(account));
        if (!pool.stateOf(account.label)) pool.addAccount(poolConfigOf(account));
        else {
          // A re-login fixes what made the account invalid; its quota cooldowns still hold.
          if (pool.account(account.label)?.invalid) pool.resetAccount(account.label);
          pool.setEnabled(account.label, account.enabled);
        }
        return managed(account);
      },

      async remove(label) {
        if (configLabels.has(label)) {
          throw new StateError("conflict", `"${label}" is configured in agcp.config.ts; remove it there.`);
        }
        const removed = await store.accounts.remove(label);
        if (!removed) return false;
        pool.removeAccount(label);
        credentials.delete(label);
        await store.forget(label).catch(() => {});
        return true;
      },

      async setEnabled(label, enabled) {
        if (!pool.stateOf(label)) return false;
        // In effect at once; the routing state carrying it is saved in the background like any change.
        pool.setEnabled(label, enabled);
        if (!configLabels.has(label)) {
          await store.accounts
            .setEnabled(label, enabled)
            .catch((err: Error) => log.warn(`"${label}" is ${enabled ? "enabled" : "disabled"} now but could not be saved to ${store.location}: ${err.message}`));
        }
        return true;
      },

      async rename(from, to) {
        const label = to.trim();
        if (configLabels.has(from)) {
          throw new StateError("conflict", `"${from}" is configured in agcp.config.ts; rename it there (accounts[].label).`);
        }
        if (configLabels.has(label)) throw new StateError("conflict", `"${label}" is an account in agcp.config.ts; choose another label.`);
        const all = await store.accounts.list();
        const account = all.find((a) => a.label === from);
        if (!account) return undefined;
        if (label === from) return managed(account);
        if (all.some((a) => a.label === label)) throw new StateError("conflict", `There is already an account "${label}"; choose another label.`);
        // The routing state goes first, under the new name, so an instance that hears of the
        // rename finds the account's cooldowns and quota rather than starting it blind.
        const carried = pool.stateOf(from);
        const moved = carried && { ...carried, id: label, label };
        if (moved) await store.saveState(moved);
        let renamed: StoredAccount | undefined;
        try {
          renamed = await store.accounts.rename(from, label);
        } catch (err) {
          if (moved && !(await store.accounts.get(label).catch(() => undefined))) await store.forget(label).catch(() => {});
          throw err;
        }
        if (!renamed) return undefined;
        pool.removeAccount(from);
        credentials.delete(from);
        credentials.set(label, credentialsOf(renamed));
        if (!pool.stateOf(label)) pool.addAccount(poolConfigOf(renamed));
        if (moved) pool.applyRemote(moved);
        await store.forget(from).catch(() => {});
        return managed(renamed);
      },

      async setFloors(label, floors) {
        if (configLabels.has(label)) {
          throw new StateError("conflict", `"${label}" is configured in agcp.config.ts; set its floors there (accounts[].quota).`);
        }
        const updated = await store.accounts.setFloors(label, ownFloors(floors));
        if (!updated) return undefined;
        pool.setAccountFloors(label, poolFloorsOf(updated.floors));
        return managed(updated);
      },
    },

    async close() {
      stopListening();
      await store.close();
    },
  };
}

function managed(a: StoredAccount): ManagedAccount {
  return {
    label: a.label,
    ...(a.email !== undefined && { email: a.email }),
    ...(a.projectId !== undefined && { projectId: a.projectId }),
    enabled: a.enabled,
    source: "stored",
    addedAt: a.addedAt,
    ...(a.floors !== undefined && { floors: structuredClone(a.floors) }),
  };
}
