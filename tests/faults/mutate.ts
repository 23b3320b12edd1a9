/**
 * Random damage for the fuzz loops of every door: drops, retypes, duplicates or adds a field
 * somewhere in a request. Seeded by the caller, so a failing case can be replayed.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const REPLACEMENTS: Json[] = [null, 0, -1, 1e308, 0.5, "", "x", "🙂", true, false, [], {}, [[]], [{}], { type: "text" }, "a".repeat(5_000)];

function paths(value: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []) {
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  if (prefix.length > 0) out.push(prefix);
  return out;
}

function parentOf(root: Json, path: Array<string | number>): { parent: Json[] | { [key: string]: Json }; key: string | number } {
  let node = root as Json[] | { [key: string]: Json };
  for (const step of path.slice(0, -1)) node = (node as Record<string | number, Json>)[step] as Json[] | { [key: string]: Json };
  return { parent: node, key: path[path.length - 1]! };
}

/** Drops, retypes, duplicates or adds a field somewhere in the request. */
export function mutate(req: { [key: string]: Json }, rnd: () => number): void {
  const all = paths(req);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const { parent, key } = parentOf(req, pick(all));
  const op = Math.floor(rnd() * 4);
  if (Array.isArray(parent)) {
    const i = key as number;
    if (op === 0) parent.splice(i, 1);
    else if (op === 1) parent[i] = structuredClone(pick(REPLACEMENTS));
    else if (op === 2) parent.splice(i, 0, structuredClone(parent[i]!));
    else parent.push(structuredClone(pick(REPLACEMENTS)));
  } else {
    const k = key as string;
    if (op === 0) delete parent[k];
    else if (op === 1) parent[k] = structuredClone(pick(REPLACEMENTS));
    else if (op === 2) parent[`${k}_extra`] = structuredClone(parent[k]!);
    else parent[k] = [parent[k]!];
  }
}
