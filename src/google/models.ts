/**
 * Which upstream model answers a requested model name. Claude Code sends Anthropic's names
 * (`claude-sonnet-4-5-20250929`, `claude-haiku-4-5`); Antigravity knows its own ids
 * (`claude-sonnet-4-6`, `gemini-3-flash`). Exact entries win, then names upstream already knows
 * pass through unchanged, then the first matching pattern.
 */
import type { ModelFamily } from "./types.ts";

export type { ModelFamily };

export interface ModelMapping {
  exact: Record<string, string>;
  /** Tried in order; `match` is a glob where `*` stands for any run of characters. */
  patterns: Array<{ match: string; to: string }>;
}

export interface ResolvedModel {
  upstream: string;
  family: ModelFamily;
  thinkingModel: boolean;
}

/** Upstream ids known at build time; each maps to itself so it works before the model list is fetched. */
export const KNOWN_UPSTREAM_MODELS = [
  "claude-sonnet-4-6",
  "claude-opus-4-6-thinking",
  "claude-sonnet-4-5",
  "claude-sonnet-4-5-thinking",
  "claude-opus-4-5-thinking",
  "gemini-3-flash",
  "gemini-3-pro-high",
  "gemini-3-pro-low",
  "gemini-3.1-pro-high",
  "gemini-3.1-pro-low",
  "gemini-2.5-flash",
  "gemini-2.5-pro",
] as const;

export const DEFAULT_MODEL_MAPPING: ModelMapping = {
  exact: Object.fromEntries(KNOWN_UPSTREAM_MODELS.map((id) => [id, id])),
  patterns: [
    { match: "claude-opus-*", to: "claude-opus-4-6-thinking" },
    { match: "claude-sonnet-*", to: "claude-sonnet-4-6" },
    { match: "claude-haiku-*", to: "gemini-3-flash" },
    { match: "claude-3-5-haiku*", to: "gemini-3-flash" },
    // Older Claude Code releases and SDK examples still send the claude-3-x naming.
    { match: "claude-3-7-sonnet*", to: "claude-sonnet-4-6" },
    { match: "claude-3-5-sonnet*", to: "claude-sonnet-4-6" },
    { match: "claude-3-opus*", to: "claude-opus-4-6-thinking" },
  ],
};

export function resolveModel(
  requested: string,
  mapping: ModelMapping,
  knownUpstream: readonly string[],
): ResolvedModel | undefined {
  // Claude Code marks long-context variants as "name[1m]"; the suffix is not part of the id.
  const name = requested.trim().replace(/\[[^\]]*\]$/, "");
  if (!name) return undefined;
  const upstream =
    lookupExact(mapping.exact, name) ??
    (knownUpstream.includes(name) ? name : undefined) ??
    mapping.patterns.find((p) => globMatch(p.match, name))?.to;
  if (!upstream) return undefined;
  return { upstream, family: modelFamily(upstream), thinkingModel: isThinkingModel(upstream) };
}

function lookupExact(exact: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(exact, name) ? exact[name] : undefined;
}

/** Anything that is not Claude speaks Gemini's dialect on Cloud Code (thinking config, signatures). */
export function modelFamily(id: string): ModelFamily {
  return id.toLowerCase().startsWith("claude") ? "claude" : "gemini";
}

/**
 * Claude ids say so (`-thinking`); Gemini 2.5 and later always think. Thinking models get a
 * thinking config even when the client did not ask for one.
 */
export function isThinkingModel(id: string): boolean {
  const lower = id.toLowerCase();
  if (lower.startsWith("claude")) return lower.includes("thinking");
  if (lower.includes("thinking")) return true;
  const m = /^gemini-(\d+)(?:\.(\d+))?/.exec(lower);
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2] ?? 0);
  return major > 2 || (major === 2 && minor >= 5);
}

const globCache = new Map<string, RegExp>();

export function globMatch(glob: string, name: string): boolean {
  let re = globCache.get(glob);
  if (!re) {
    const body = glob
      .split("*")
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    re = new RegExp(`^${body}$`, "i");
    if (globCache.size < 1000) globCache.set(glob, re);
  }
  return re.test(name);
}
