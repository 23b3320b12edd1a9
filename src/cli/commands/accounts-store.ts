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
  if (driver === "redis") return "Running agcp instances sharing this Redis store pick the change up at once.";
  if (driver === "fs") return "A running agcp on this state folder picks the change up within a second.";
  return "With memory storage nothing is shared: a running agcp does not see this change.";
}
