/** GET/PUT /api/settings: the console's settings editor (src/server/settings.ts). */
import type { H3Event } from "h3";
import { readJsonBody } from "../body.ts";
import type { Runtime } from "../runtime.ts";
import { changeSettings, settingsView } from "../settings.ts";

export function getSettingsHandler(rt: Runtime) {
  return () => settingsView(rt);
}

export function putSettingsHandler(rt: Runtime) {
  return async (event: H3Event) => changeSettings(rt, await readJsonBody(event, 64 * 1024));
}
