import type { SimAccount, SimState } from "./state.ts";
import type { SimFault } from "./types.ts";
import { UPSTREAM_ERROR_FAULTS } from "./upstream-errors.ts";

/** The misbehaviour that applies to one generate request (account faults win over global ones). */
export type ActiveFault = Omit<SimFault, "failNext">;

export function takeFault(state: SimState, account: SimAccount): ActiveFault {
  const global = consume(state.globalFault, () => (state.globalFault = null));
  const own = consume(account.fault, () => (account.fault = null));
  return { ...global, ...own };
}

/** Counts a use of a fault limited by failNext; clears it when used up. */
function consume(fault: SimFault | null, clear: () => void): ActiveFault {
  if (!fault) return {};
  const { failNext, ...active } = fault;
  if (failNext !== undefined) {
    if (failNext <= 1) clear();
    else fault.failNext = failNext - 1;
  }
  return active;
}

export function normaliseFault(value: unknown): SimFault | null | string {
  if (value === null) return null;
  if (typeof value !== "object" || Array.isArray(value)) return "fault must be an object or null";
  const input = value as Record<string, unknown>;
  const fault: SimFault = {};
  for (const [key, v] of Object.entries(input)) {
    switch (key) {
      case "latencyMs":
      case "dropAfterChunks":
      case "stallAfterBytes":
      case "failNext":
        if (typeof v !== "number" || !Number.isFinite(v) || v < 0) return `${key} must be a non-negative number`;
        fault[key] = v;
        break;
      case "emptyStream":
      case "serverError":
        if (typeof v !== "boolean") return `${key} must be a boolean`;
        fault[key] = v;
        break;
      case "error":
        if (!(UPSTREAM_ERROR_FAULTS as readonly unknown[]).includes(v)) return `error must be one of ${UPSTREAM_ERROR_FAULTS.join(", ")}`;
        fault.error = v as SimFault["error"];
        break;
      case "capacity":
        if (v !== "503" && v !== "429" && v !== 503 && v !== 429) return `capacity must be "503" or "429"`;
        fault.capacity = String(v) as "503" | "429";
        break;
      default:
        return `unknown fault field ${key}`;
    }
  }
  // "Fail the next 0 requests" is no fault at all.
  return fault.failNext === 0 ? null : fault;
}
