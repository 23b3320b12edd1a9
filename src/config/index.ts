export { defineConfig } from "./types.ts";
export type * from "./types.ts";
export { ConfigError, type ConfigIssue, type ConfigIssueOrigin } from "./errors.ts";
export { loadConfig, type LoadConfigOptions, type LoadedConfig } from "./load.ts";
export {
  resolveConfig,
  defaultStateDir,
  DEFAULTS,
  type ResolvedConfig,
  type ResolvedAccount,
  type ResolvedStorage,
  type ConfigFlags,
  type ConfigEnv,
} from "./resolve.ts";
export { LOG_LEVELS, STRATEGY_NAMES, STORAGE_DRIVERS } from "./schema.ts";
