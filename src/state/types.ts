/** Shapes the state layer stores and hands out. Plain JSON, like the pool's own state. */
import type { AccountQuotaFloors } from "../config/account-floors.ts";
import type { StrategyName } from "../pool/tuning.ts";

/** Bumped when a stored document changes shape; older documents go through `migrations`. */
export const STATE_SCHEMA_VERSION = 1;

/** The logger the state layer needs (consola fits). Never given tokens. */
export interface StateLog {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** An account added at run time (`agcp accounts add`, the console), refresh token included. */
export interface StoredAccount {
  label: string;
  email?: string;
  refreshToken: string;
  projectId?: string;
  /** Outbound proxy for this account (`agcp accounts add|import --proxy`); absent: the global one. */
  proxy?: string;
  enabled: boolean;
  /** Epoch ms. */
  addedAt: number;
  /** This account's own quota floors, shaped like `accounts[].quota` in agcp.config.ts (set in the console). */
  floors?: AccountQuotaFloors;
}

export interface NewStoredAccount {
  /** Default: the e-mail. */
  label?: string;
  email?: string;
  refreshToken: string;
  projectId?: string;
  /** Default: the one stored before (a re-login keeps it), else none. */
  proxy?: string;
  /** Default: true. */
  enabled?: boolean;
}

/** Settings changed while agcp runs. */
export interface StoredSettings {
  /**
   * The strategy chosen at run time, and the configured one it replaced: the stored choice only
   * applies while the configuration still says `replaced` (editing the config, a flag or an env
   * var given at startup wins).
   */
  strategy?: { name: StrategyName; replaced: StrategyName; changedAt: number };
  /** Settings changed in the console (floors, fallback, log level, body limit); see src/server/settings.ts. */
  overrides?: ConsoleOverrides;
}

export interface ConsoleOverrides {
  floor?: number;
  modelFloors?: Record<string, number>;
  poolFloors?: Partial<Record<"gemini" | "claude", Partial<Record<"5h" | "weekly", number>>>>;
  fallback?: Record<string, string>;
  logLevel?: string;
  bodyLimit?: number;
  changedAt?: number;
}

/** Something that could not be read, reported once and moved aside. */
export interface StateProblem {
  /** File path or Redis key. */
  where: string;
  what: string;
  /** Where the bad entry went, when it could be moved. */
  movedTo?: string;
  at: number;
}

export interface StateStatus {
  driver: "memory" | "fs" | "redis";
  /** Directory or Redis URL (password hidden). */
  location: string;
  /** Redis: connected right now. Always true for memory and fs. */
  connected: boolean;
  /** Accounts changed since the last successful write. */
  pending: number;
  lastFlushAt?: number;
  /** The last write error, until a write succeeds again. */
  lastError?: string;
  problems: StateProblem[];
}

/** Thrown by account and settings changes the caller got wrong (the message says how). */
export class StateError extends Error {
  override readonly name = "StateError";
  constructor(
    readonly code: "invalid" | "conflict" | "not_found",
    message: string,
  ) {
    super(message);
  }
}
