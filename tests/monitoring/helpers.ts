import { expect } from "bun:test";
import type { Stack } from "../support/stack.ts";

/** Every credential the simulator has handed out or knows: none may appear in any output. */
export function simSecrets(stack: Pick<Stack, "sim">): string[] {
  const state = stack.sim.state;
  return [...state.accessTokens.keys(), ...[...state.accounts.values()].map((a) => a.refreshToken)];
}

export function expectNoSecrets(text: string, secrets: readonly string[], where: string): void {
  expect(secrets.length).toBeGreaterThan(0);
  for (const secret of secrets) {
    if (text.includes(secret)) throw new Error(`${where} contains a secret (${secret.slice(0, 12)}…)`);
  }
  // Shapes of Google tokens, in case something other than the simulator's own leaked.
  expect(text).not.toMatch(/\bya29\.|\b1\/\/0/);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * A strict-enough parser for the Prometheus text format 0.0.4: HELP/TYPE lines, samples with
 * quoted, escaped label values, and every sample belonging to a declared metric family.
 */
export function parseExposition(text: string): Exposition {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const [i, line] of text.slice(0, -1).split("\n").entries()) {
    const where = `line ${i + 1}: ${line}`;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (!m) throw new Error(`bad comment, ${where}`);
      if (!NAME.test(m[2]!)) throw new Error(`bad metric name, ${where}`);
      if (m[1] === "TYPE") {
        if (!["counter", "gauge", "histogram", "summary", "untyped"].includes(m[3]!)) throw new Error(`bad type, ${where}`);
        types.set(m[2]!, m[3]!);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`bad sample, ${where}`);
    const labels: Record<string, string> = {};
    let rest = m[3] ?? "";
    while (rest.length > 0) {
      const lm = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)/.exec(rest);
      if (!lm) throw new Error(`bad labels, ${where}`);
      labels[lm[1]!] = lm[2]!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
      rest = rest.slice(lm[0].length);
    }
    const raw = m[4]!;
    const value = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    if (raw !== "NaN" && Number.isNaN(value)) throw new Error(`bad value, ${where}`);
    const family = m[1]!.replace(/_(bucket|sum|count)$/, "");
    if (!types.has(m[1]!) && types.get(family) !== "histogram") throw new Error(`sample without TYPE, ${where}`);
    samples.push({ name: m[1]!, labels, value });
  }
  return { types, samples };
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sum(exp: Exposition, name: string, match: Record<string, string> = {}): number {
  return exp.samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}
