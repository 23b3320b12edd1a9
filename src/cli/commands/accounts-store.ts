/**
 * Where `agcp accounts` keeps what it changes: the state layer's store, opened for one command and
 * closed after it. Accounts it adds live there (refresh token included); the config file's do not.
 */
import type { ConsolaInstance } from "consola";
import type { ResolvedConfig } from "../../config/resolve.ts";
import { openStateStore, type StateStore } from "../../state/index.ts";

export type AccountsStore = StateStore;

export function openAccountsStore(config: ResolvedConfig, log: ConsolaInstance): Promise<AccountsStore> {
  return openStateStore({ storage: config.storage, log });
}

/** How soon a running server sees a change made here, in the user's terms. */
export function pickupNote(driver: ResolvedConfig["storage"]["driver"]): string {
  return driver === "redis"
    ? "Running agcp instances sharing this Redis store pick the change up at once."
    : "A running agcp picks the change up when it restarts.";
}
