import type { ArgsDef } from "citty";
import { UsageError } from "./errors.ts";

/** Accepted by every command so `agcp <cmd> --log-level debug` works wherever it is placed. */
export const globalArgs = {
  "log-level": {
    type: "string",
    description: "silent | fatal | error | warn | info | debug | trace | verbose (env AGCP_LOG_LEVEL)",
    valueHint: "level",
  },
} as const satisfies ArgsDef;

/** citty hands flag values over as strings; this turns one into a bounded integer or a usage error. */
export function intFlag(name: string, value: unknown, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name}: expected an integer between ${min} and ${max}, found ${JSON.stringify(String(value))}`);
  }
  return n;
}

/** citty gives `""` for a string flag used without a value (`--config` at the end). */
export function stringFlag(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name}: expected a value`);
  return value;
}
