/** The state layer's public surface. */
export { openStateStore, type OpenStateOptions, type RemoteEvent, type StateStore } from "./store.ts";
export {
  connectRuntimeState,
  credentialsOf,
  poolConfigOf,
  storedAccountsBeside,
  resignedTokens,
  storedAccountsFor,
  type ConfiguredAccount,
  type ManagedAccount,
  type RuntimeState,
  type RuntimeStateOptions,
} from "./runtime-state.ts";
export type { AccountStore } from "./accounts.ts";
export { startupStrategy, type SettingsStore, type StartupStrategy } from "./settings.ts";
export { MIGRATIONS, decodeDocument, encodeDocument, type DocKind, type Migration } from "./documents.ts";
export { dropExpired, MAX_COOLDOWN_MS } from "./expiry.ts";
export { applyDelta, diffState, type AccountDelta } from "./delta.ts";
export {
  STATE_SCHEMA_VERSION,
  StateError,
  type NewStoredAccount,
  type StateLog,
  type StateProblem,
  type StateStatus,
  type StoredAccount,
  type StoredSettings,
} from "./types.ts";
