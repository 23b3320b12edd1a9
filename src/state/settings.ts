/** Settings changed while agcp runs (today: the strategy), and which one applies at startup. */
import type { StrategyName } from "../pool/tuning.ts";
import type { StoreContext } from "./context.ts";
import { SETTINGS_KEY } from "./keys.ts";
import type { ConsoleOverrides, StoredSettings } from "./types.ts";

export interface SettingsStore {
  get(): Promise<StoredSettings>;
  /** Remembers a run-time strategy change; `configured` is what the configuration said then. */
  setStrategy(name: StrategyName, configured: StrategyName): Promise<void>;
  clearStrategy(): Promise<void>;
  /** Remembers settings changed in the console (replaces the previous set). */
  setOverrides(overrides: ConsoleOverrides): Promise<void>;
}

export function createSettingsStore(ctx: StoreContext): SettingsStore {
  const get = async () => (await ctx.read("settings", SETTINGS_KEY)) ?? {};
  const put = async (settings: StoredSettings) => {
    await ctx.write("settings", SETTINGS_KEY, settings);
    await ctx.announce({ t: "settings" });
  };
  return {
    get,
    async setStrategy(name, configured) {
      await put({ ...(await get()), strategy: { name, replaced: configured, changedAt: ctx.now() } });
    },
    async setOverrides(overrides) {
      await put({ ...(await get()), overrides: { ...overrides, changedAt: ctx.now() } });
    },
    async clearStrategy() {
      const { strategy: _, ...rest } = await get();
      await put(rest);
    },
  };
}

export interface StartupStrategy {
  name: StrategyName;
  from: "config" | "stored";
  /** A stored choice the configuration has since moved away from (drop it). */
  outdated: boolean;
}

/**
 * A strategy changed at run time survives restarts while the configuration (file, env, flag) still
 * says what it said when the change was made. Once the configuration names another strategy, the
 * user has spoken again at startup: that wins and the stored choice is outdated.
 */
export function startupStrategy(stored: StoredSettings, configured: StrategyName): StartupStrategy {
  const s = stored.strategy;
  if (!s) return { name: configured, from: "config", outdated: false };
  if (s.replaced === configured) return { name: s.name, from: "stored", outdated: false };
  return { name: configured, from: "config", outdated: true };
}
