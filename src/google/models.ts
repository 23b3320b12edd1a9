/**
 * Which upstream model answers a requested model name. Claude Code sends Anthropic's names
 * (`claude-sonnet-4-5-20250929`, `claude-haiku-4-5`); Antigravity knows its own ids
 * (`claude-opus-5-5-high`, `gemini-3.8-flash-low`). Exact entries win, then names upstream already knows
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
  /**
   * The client's name was mapped to this id (a Claude Code name, an alias), rather than being the
   * upstream id itself: an account without the id may then serve a stand-in (DEFAULT_MODEL_ALTERNATIVES).
   */
  mapped?: boolean;
}

/**
 * Upstream ids known at build time (the late-2026 lineup, cloudcode-protocol.md "Model lineup"); each
 * maps to itself so it works before any account's catalog is read. Which of them an account really
 * serves is its own catalog's business (Claude 5.5 is per-account entitlement).
 */
export const KNOWN_UPSTREAM_MODELS = [
  "gemini-3.8-flash-high",
  "gemini-3.8-flash-medium",
  "gemini-3.8-flash-low",
  "gemini-3.7-flash-high",
  "gemini-3.7-flash-medium",
  "gemini-3.7-flash-low",
  "gemini-pro-agent",
  "gemini-3.1-pro-low",
  "claude-opus-5-5-high",
  "claude-opus-5-5-medium",
  "claude-opus-5-5-low",
  "claude-sonnet-5-5-high",
  "claude-sonnet-5-5-medium",
  "claude-sonnet-5-5-low",
  "claude-opus-4-6-thinking",
  "claude-sonnet-4-6",
  "gpt-oss-120b-medium",
  "gemini-3.1-flash-lite",
  "gemini-3.1-flash-image",
  "gemini-3-flash",
] as const;

/**
 * Claude Code's names go to the best tier of their family; an account without it takes the next id
 * of `DEFAULT_MODEL_ALTERNATIVES` it has (opus → Claude 5.5 where entitled, else 4.6). Haiku is
 * Claude Code's fast, cheap helper: a Gemini Flash tier plays that part.
 */
export const DEFAULT_MODEL_MAPPING: ModelMapping = {
  exact: Object.fromEntries(KNOWN_UPSTREAM_MODELS.map((id) => [id, id])),
  patterns: [
    { match: "claude-opus-*", to: "claude-opus-5-5-high" },
    { match: "claude-sonnet-*", to: "claude-sonnet-5-5-high" },
    { match: "claude-haiku-*", to: "gemini-3.8-flash-low" },
    { match: "claude-3-5-haiku*", to: "gemini-3.8-flash-low" },
    // Older Claude Code releases and SDK examples still send the claude-3-x naming.
    { match: "claude-3-7-sonnet*", to: "claude-sonnet-5-5-high" },
    { match: "claude-3-5-sonnet*", to: "claude-sonnet-5-5-high" },
    { match: "claude-3-opus*", to: "claude-opus-5-5-high" },
  ],
};

/**
 * When a client name maps to an id the chosen account does not serve, the first of these it does
 * serve stands in: nearer tiers first, then the previous generation. Ids the client named itself
 * never move (the client asked for exactly that model).
 */
export const DEFAULT_MODEL_ALTERNATIVES: Record<string, string[]> = {
  "claude-opus-5-5-high": ["claude-opus-5-5-medium", "claude-opus-5-5-low", "claude-opus-4-6-thinking"],
  "claude-sonnet-5-5-high": ["claude-sonnet-5-5-medium", "claude-sonnet-5-5-low", "claude-sonnet-4-6"],
  "gemini-3.8-flash-low": ["gemini-3.7-flash-low", "gemini-3-flash"],
  "gemini-3.8-flash-medium": ["gemini-3.7-flash-medium", "gemini-3-flash"],
  "gemini-3.8-flash-high": ["gemini-3.7-flash-high", "gemini-3-flash"],
  "gemini-pro-agent": ["gemini-3.1-pro-low"],
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
  return { upstream, family: modelFamily(upstream), thinkingModel: isThinkingModel(upstream), mapped: upstream !== name };
}

function lookupExact(exact: Record<string, string>, name: string): string | undefined {
  return Object.hasOwn(exact, name) ? exact[name] : undefined;
}

/** Anything that is not Claude speaks Gemini's dialect on Cloud Code (thinking config, signatures). */
export function modelFamily(id: string): ModelFamily {
  return id.toLowerCase().startsWith("claude") ? "claude" : "gemini";
}

/**
 * Thinking models get a thinking config even when the client did not ask for one. On Antigravity
 * every Claude from 4.6 on thinks (Sonnet 4.6 is shown "(Thinking)" without saying so in its id;
 * Claude 5.5 ids carry the reasoning tier); older Claude ids say so (`-thinking`). Gemini 2.5 and
 * later always think. `gpt-oss` has a budget but no thinking switch.
 */
export function isThinkingModel(id: string): boolean {
  const lower = id.toLowerCase();
  if (lower.startsWith("claude")) {
    if (lower.includes("thinking")) return true;
    const v = /^claude-(?:opus|sonnet|haiku)-(\d+)-(\d+)(?:-|$)/.exec(lower);
    return v !== null && (Number(v[1]) > 4 || (Number(v[1]) === 4 && Number(v[2]) >= 6));
  }
  if (lower.includes("thinking")) return true;
  // The helper models (search, commit messages, images) report no thinking fields [X-FAM].
  if (/-(lite|image)(-|$)/.test(lower)) return false;
  const m = /^gemini-(\d+)(?:\.(\d+))?/.exec(lower);
  // Versionless Gemini ids are current agent aliases (`gemini-pro-agent` = 3.1 Pro High).
  if (!m) return lower.startsWith("gemini-") && lower.endsWith("-agent");
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
