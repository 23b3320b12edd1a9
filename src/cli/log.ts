import { consola, LogLevels } from "consola";
import type { AgcpLogLevel } from "../config/types.ts";

/** Map our config names onto consola's numeric levels. */
export function applyLogLevel(level: AgcpLogLevel): void {
  consola.level = LogLevels[level];
}
