/**
 * Settings the console can change while agcp runs — quota floors (global, per model, per pool and
 * window), model fallbacks, log level, body limit — checked with the config file's own rules,
 * stored in the state store (so every instance on one Redis and the next start see them), and
 * applied at once. At start the configuration (file, env, flag) wins for any value it sets; the
 * console says where each value comes from.
 */
import { LogLevels } from "consola";
import { z } from "zod";
import { floorSchema, LOG_LEVELS } from "../config/schema.ts";
import type { ConsoleOverrides } from "../state/types.ts";
import { parseBody } from "./body.ts";
import type { Runtime } from "./runtime.ts";

export const SETTING_KEYS = ["floor", "modelFloors", "poolFloors", "fallback", "logLevel", "bodyLimit"] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];
export type SettingSource = "default" | "file" | "browser";

const windows = z.object({ "5h": floorSchema().optional(), weekly: floorSchema().optional() }).strict();
export const settingsPatchSchema = z
  .object({
    floor: floorSchema().optional(),
    modelFloors: z.record(z.string().min(1), floorSchema()).optional(),
    poolFloors: z.object({ gemini: windows.optional(), claude: windows.optional() }).strict().optional(),
    fallback: z.record(z.string().min(1), z.string().min(1)).optional(),
    logLevel: z.enum(LOG_LEVELS).optional(),
    bodyLimit: z.number().int().min(1024).max(2 ** 31).optional(),
  })
  .strict();

export interface SettingsView {
  values: Required<Omit<ConsoleOverrides, "changedAt">>;
  sources: Record<SettingKey, SettingSource>;
}

/** Where each value came from, per runtime: starts as the configuration left it. */
const sourcesByRuntime = new WeakMap<Runtime, Record<SettingKey, SettingSource>>();
function sourcesOf(rt: Runtime): Record<SettingKey, SettingSource> {
  let s = sourcesByRuntime.get(rt);
  if (!s) {
    s = Object.fromEntries(SETTING_KEYS.map((k) => [k, rt.config.setAtStart[k] ? "file" : "default"])) as Record<SettingKey, SettingSource>;
    sourcesByRuntime.set(rt, s);
  }
  return s;
}

export function settingsView(rt: Runtime): SettingsView {
  const c = rt.config;
  return {
    values: {
      floor: c.quota.floor,
      modelFloors: { ...c.quota.models },
      poolFloors: structuredClone(c.quota.pools ?? {}),
      fallback: { ...c.models.fallback },
      logLevel: c.logLevel,
      bodyLimit: c.bodyLimit,
    },
    sources: { ...sourcesOf(rt) },
  };
}

/** Applies values now (to this runtime's config, pool and logger) and marks them as the console's. */
export function applySettings(rt: Runtime, o: ConsoleOverrides, only: (key: SettingKey) => boolean = () => true): SettingKey[] {
  const config = rt.config as { -readonly [K in keyof typeof rt.config]: (typeof rt.config)[K] };
  const applied: SettingKey[] = [];
  const take = (key: SettingKey, present: boolean, apply: () => void) => {
    if (!present || !only(key)) return;
    apply();
    sourcesOf(rt)[key] = "browser";
    applied.push(key);
  };
  take("floor", o.floor !== undefined, () => (config.quota = { ...config.quota, floor: o.floor as number }));
  take("modelFloors", o.modelFloors !== undefined, () => (config.quota = { ...config.quota, models: { ...o.modelFloors } }));
  take("poolFloors", o.poolFloors !== undefined, () => (config.quota = { ...config.quota, pools: structuredClone(o.poolFloors) }));
  take("fallback", o.fallback !== undefined, () => (config.models = { ...config.models, fallback: { ...o.fallback } }));
  take("logLevel", o.logLevel !== undefined, () => {
    config.logLevel = o.logLevel as typeof config.logLevel;
    rt.log.level = LogLevels[config.logLevel];
  });
  take("bodyLimit", o.bodyLimit !== undefined, () => (config.bodyLimit = o.bodyLimit as number));
  if (applied.some((k) => k === "floor" || k === "modelFloors" || k === "poolFloors")) {
    rt.pool.setFloors({ globalFloor: config.quota.floor, modelFloors: config.quota.models, windowFloors: config.quota.pools });
  }
  return applied;
}

/** At start: the stored console choices, except where the configuration set a value itself. */
export async function restoreSettings(rt: Runtime): Promise<void> {
  const stored = (await rt.state.store.settings.get().catch(() => ({}) as { overrides?: ConsoleOverrides })).overrides;
  if (!stored) return;
  const applied = applySettings(rt, stored, (k) => !rt.config.setAtStart[k]);
  if (applied.length > 0) rt.log.info(`Settings changed in the console apply: ${applied.join(", ")}.`);
}

/** Another instance (or this one's console on a shared store) changed them: apply all, as it did. */
export function followSettings(rt: Runtime): () => void {
  return rt.state.store.onRemote((event) => {
    if (event !== "settings") return;
    rt.state.store.settings
      .get()
      .then((s) => s.overrides && applySettings(rt, s.overrides))
      .catch((err: Error) => rt.log.warn(`Could not apply settings changed elsewhere: ${err.message}`));
  });
}

/** PUT /api/settings: validate, store (shared), apply. */
export async function changeSettings(rt: Runtime, body: unknown): Promise<SettingsView> {
  const patch = parseBody(settingsPatchSchema, body) as ConsoleOverrides;
  const stored = (await rt.state.store.settings.get()).overrides ?? {};
  const { changedAt: _, ...merged } = { ...stored, ...patch };
  await rt.state.store.settings.setOverrides(merged);
  const applied = applySettings(rt, patch);
  rt.log.info(`Settings changed in the console: ${applied.join(", ") || "nothing"}.`);
  return settingsView(rt);
}
