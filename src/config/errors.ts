/**
 * ConfigError: the one error type of the config boundary. Its message is meant to be printed
 * as-is: one line per problem, `file: path: expected X, found Y`.
 */
import type { z } from "zod";

/** Where a bad value came from; decides the prefix of its message line. */
export type ConfigIssueOrigin = "file" | "env" | "flag";

export interface ConfigIssue {
  /** e.g. `accounts[2].quota.floor`, `AGCP_PORT`, `--port`. */
  path: string;
  expected: string;
  found: string;
  origin: ConfigIssueOrigin;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly issues: ConfigIssue[];
  /** The config file involved, as given to the user (relative to cwd when inside it). */
  readonly file: string | undefined;

  constructor(issues: ConfigIssue[], file?: string, options?: { cause?: unknown }) {
    super(formatIssues(issues, file), options);
    this.issues = issues;
    this.file = file;
  }
}

export function formatIssues(issues: ConfigIssue[], file?: string): string {
  return issues
    .map((i) => {
      const where = i.origin === "file" && file ? `${file}: ` : "";
      const path = i.path ? `${i.path}: ` : "";
      return `${where}${path}expected ${i.expected}, found ${i.found}`;
    })
    .join("\n");
}

type PathKey = PropertyKey;

/** `["accounts", 2, "quota", "floor"]` → `accounts[2].quota.floor`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "symbol") out += `[${String(key)}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

const SECRET_KEY = /token|secret|apikey|password/i;

/**
 * A short, safe rendering of a user value. Values under secret-looking keys are never echoed:
 * a misplaced refresh token must not end up in a terminal or a log.
 */
export function describeValue(value: unknown, path: readonly PathKey[] = []): string {
  const key = path.at(-1);
  const secret = typeof key === "string" && SECRET_KEY.test(key);
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") {
    if (secret) return "a string (value hidden)";
    return value.length > 60 ? `${JSON.stringify(value.slice(0, 57))}…` : JSON.stringify(value);
  }
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (typeof value === "function") return "a function";
  if (typeof value === "object") return "an object";
  return typeof value;
}

function valueAt(root: unknown, path: readonly PathKey[]): unknown {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * zod issues → ConfigIssues. `knownKeysAt` lists the allowed keys of the object at a path so an
 * unknown key can get a "did you mean" hint.
 */
export function issuesFromZod(
  error: z.ZodError,
  input: unknown,
  knownKeysAt: (path: readonly PathKey[]) => readonly string[],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(issue.path);
      for (const key of issue.keys) {
        const hint = suggest(key, known);
        out.push({
          path: formatPath([...issue.path, key]),
          expected: hint ? `a known key (did you mean "${hint}"?)` : `one of the known keys (${known.join(", ")})`,
          found: "an unknown key",
          origin: "file",
        });
      }
      continue;
    }
    const found = valueAt(input, issue.path);
    out.push({
      path: formatPath(issue.path),
      expected: issue.message.replace(/^Invalid input: expected /, ""),
      found: describeValue(found, issue.path),
      origin: "file",
    });
  }
  return out;
}
