/**
 * Upstream's version gate, answered the way upstream answers it (cloudcode-protocol.md,
 * "Version-gate history"): a client below the minimum gets a normal-looking completion whose only
 * text is "This version of Antigravity is no longer supported…" — not an HTTP error —, and a client
 * below the newer-models gate gets 404 "Requested entity was not found" for newer models only.
 *
 * Official clients identify only by User-Agent, in four families: `antigravity/hub/<v> …`,
 * `antigravity/ide/<v> …`, `antigravity/cli/<v> (aidev_client; …)` and the legacy
 * `antigravity/<v> <os>/<arch>`. Hub, IDE and legacy share the desktop numbering (2.x in late 2026);
 * agy counts on its own (1.x), so it has its own gate.
 */
import type { SimVersionGate, SimVersionGates } from "./types.ts";

/**
 * Today's gates. Desktop: 2.9.0 for newer models (CPA, 2026-08-22); the old gate sits at 2.0.0, where
 * peers had to move once upstream stopped accepting 1.x identities (May 2026). agy: 1.2.0 generated
 * with Gemini 3.8 in the Sep–Oct captures, so its newer-models gate is at most that; its old gate is
 * a guess below every agy seen. Configurable, because Google keeps raising them.
 */
export const DEFAULT_VERSION_GATES: SimVersionGates = {
  desktop: { minimum: "2.0.0", newerModels: "2.9.0" },
  cli: { minimum: "1.0.0", newerModels: "1.2.0" },
};

export const NO_LONGER_SUPPORTED =
  "This version of Antigravity is no longer supported. Please upgrade to receive the latest features.";

export type ClientFamily = "hub" | "ide" | "cli" | "acp" | "legacy";

export interface ClientIdentity {
  family: ClientFamily;
  version: string;
}

/** The family and version a User-Agent claims, or null for anything that is not an Antigravity client. */
export function parseClientIdentity(userAgent: string): ClientIdentity | null {
  const m = /\bantigravity\/(?:(hub|ide|cli|acp)\/)?(\d+(?:\.\d+)*)/i.exec(userAgent);
  if (!m?.[2]) return null;
  const family = (m[1]?.toLowerCase() ?? "legacy") as ClientFamily;
  return { family, version: m[2] };
}

export type GateVerdict = "ok" | "unsupported" | "newer-models-404";

/** What the gate makes of this client for this model. Clients that name no version are not judged. */
export function judgeClient(gates: SimVersionGates | null, userAgent: string, model: { newer?: boolean }): GateVerdict {
  if (!gates) return "ok";
  const client = parseClientIdentity(userAgent);
  if (!client) return "ok";
  const gate = client.family === "cli" || client.family === "acp" ? gates.cli : gates.desktop;
  if (compareVersions(client.version, gate.minimum) < 0) return "unsupported";
  if (model.newer && compareVersions(client.version, gate.newerModels) < 0) return "newer-models-404";
  return "ok";
}

export function resolveGates(
  input: { desktop?: Partial<SimVersionGate>; cli?: Partial<SimVersionGate> } | false | undefined,
): SimVersionGates | null {
  if (input === false) return null;
  return {
    desktop: { ...DEFAULT_VERSION_GATES.desktop, ...input?.desktop },
    cli: { ...DEFAULT_VERSION_GATES.cli, ...input?.cli },
  };
}

export function isVersion(text: unknown): text is string {
  return typeof text === "string" && /^\d+(\.\d+){0,3}$/.test(text);
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
