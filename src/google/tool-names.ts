/**
 * Upstream accepts tool names made of [a-zA-Z0-9_-], at most 64 long, starting with a letter or
 * underscore; MCP tools (`mcp__server__do.thing`) and some clients break that. Names are cleaned
 * on the way up and restored on the way back, per request: the map is built from the request's
 * tools and grows when history mentions a tool the request no longer declares.
 */

export const MAX_TOOL_NAME_LENGTH = 64;

export interface ToolNameMap {
  /** The upstream name for a client name (registering it if new). */
  toUpstream(original: string): string;
  /** The client name for an upstream name; unknown names come back unchanged. */
  toOriginal(upstream: string): string;
}

/** What upstream accepts as it is; most names (Read, Bash, mcp__x__y) pass this test and need no rewriting. */
const VALID_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/;

export function cleanToolName(name: string): string {
  if (VALID_NAME.test(name)) return name;
  let out = name.replace(/[^a-zA-Z0-9_-]/g, "_");
  if (!/^[a-zA-Z_]/.test(out)) out = `_${out}`;
  return out.slice(0, MAX_TOOL_NAME_LENGTH);
}

export function createToolNameMap(originals: Iterable<string> = []): ToolNameMap {
  const up = new Map<string, string>();
  const down = new Map<string, string>();

  const register = (original: string): string => {
    const known = up.get(original);
    if (known !== undefined) return known;
    const base = cleanToolName(original);
    let candidate = base;
    // A cleaned name may collide with another tool's (cleaned or verbatim) name: add a suffix.
    for (let n = 2; down.has(candidate); n++) {
      const suffix = `_${n}`;
      candidate = base.slice(0, MAX_TOOL_NAME_LENGTH - suffix.length) + suffix;
    }
    up.set(original, candidate);
    down.set(candidate, original);
    return candidate;
  };

  // Valid names claim themselves first, so a tool already named "a_b" keeps it and "a.b" moves.
  const list = [...originals];
  for (const name of list) if (cleanToolName(name) === name) register(name);
  for (const name of list) register(name);

  return {
    toUpstream: register,
    toOriginal: (upstream) => down.get(upstream) ?? upstream,
  };
}
