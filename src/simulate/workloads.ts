/**
 * Who sends what, when: built-in profiles over virtual days, and a replay of agcp's own access log.
 * Times are virtual (epoch ms from a Monday 00:00 UTC); a profile is deterministic for its seed.
 */
import { seeded } from "./random.ts";

export interface SimRequest {
  at: number;
  /** The conversation: main sessions keep one id; each subagent of a burst has its own. */
  sessionId: string;
  /** The main conversation a subagent belongs to (for burst spreading and affinity figures). */
  mainSession: string;
  subagent: boolean;
  model: string;
}

export const WORKLOADS = ["dev", "team", "ci", "night-shift"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Monday 2026-11-30 00:00 UTC: every run starts at the same instant. */
export const EPOCH = Date.UTC(2026, 10, 30);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

export const MODELS = { claude: "claude-sonnet-4-6", gemini: "gemini-3-flash" } as const;

interface DevShape {
  /** Working hours (UTC) and whether weekends count. */
  from: number;
  to: number;
  weekends: boolean;
  /** Share of turns on Claude (the rest on Gemini). */
  claudeShare: number;
  /** Chance that a turn fans out into parallel subagents, and how many. */
  burstChance: number;
  burstSize: [number, number];
  /** Seconds between turns. */
  gap: [number, number];
  /** Turns per session. */
  turns: [number, number];
}

function developer(name: string, shape: DevShape, days: number, random: () => number, out: SimRequest[]): void {
  const between = (r: [number, number]) => r[0] + random() * (r[1] - r[0]);
  let session = 0;
  for (let d = 0; d < days; d++) {
    const weekday = (d % 7) < 5;
    if (!weekday && !shape.weekends) continue;
    let t = EPOCH + d * DAY + shape.from * HOUR + random() * 40 * MIN;
    const end = EPOCH + d * DAY + shape.to * HOUR;
    while (t < end) {
      const id = `${name}-s${++session}`;
      const turns = Math.round(between(shape.turns));
      for (let i = 0; i < turns && t < end; i++) {
        const model = random() < shape.claudeShare ? MODELS.claude : MODELS.gemini;
        out.push({ at: Math.round(t), sessionId: id, mainSession: id, subagent: false, model });
        if (random() < shape.burstChance) {
          const n = Math.round(between(shape.burstSize));
          for (let k = 0; k < n; k++) out.push({ at: Math.round(t) + k, sessionId: `${id}/agent-${i}-${k}`, mainSession: id, subagent: true, model });
        }
        t += between(shape.gap) * 1000;
      }
      // A break between sessions.
      t += (5 + random() * 25) * MIN;
    }
  }
}

const DEV: DevShape = { from: 9, to: 18, weekends: false, claudeShare: 0.8, burstChance: 0.03, burstSize: [2, 4], gap: [25, 120], turns: [15, 60] };

/** Built-in profiles. `night-shift` is kept aside: strategies are never tuned on it. */
export function workload(name: WorkloadName, days: number, seed: number): SimRequest[] {
  const random = seeded(seed);
  const out: SimRequest[] = [];
  switch (name) {
    case "dev":
      developer("dev", DEV, days, random, out);
      break;
    case "team":
      // Six people over working hours, with Claude Code's parallel subagents now and then.
      for (let p = 0; p < 6; p++) developer(`p${p}`, { ...DEV, from: 8 + (p % 3), to: 17 + (p % 3), burstChance: 0.12, burstSize: [3, 10] }, days, random, out);
      break;
    case "ci":
      // A pipeline every two hours, round the clock: 40 Gemini-heavy requests in a few minutes.
      for (let t = EPOCH + 30 * MIN; t < EPOCH + days * DAY; t += 2 * HOUR) {
        const id = `ci-${t}`;
        for (let k = 0; k < 40; k++) out.push({ at: t + Math.round(random() * 4 * MIN), sessionId: `${id}-${k % 4}`, mainSession: `${id}-${k % 4}`, subagent: false, model: random() < 0.3 ? MODELS.claude : MODELS.gemini });
      }
      break;
    case "night-shift":
      // Held out: two time zones, weekends too, long sessions and heavy Claude use.
      for (let p = 0; p < 4; p++) {
        developer(`n${p}`, { ...DEV, from: p < 2 ? 1 : 14, to: p < 2 ? 11 : 23, weekends: true, claudeShare: 0.9, burstChance: 0.08, burstSize: [2, 6], gap: [15, 90], turns: [30, 90] }, days, random, out);
      }
      break;
  }
  return out.sort((a, b) => a.at - b.at);
}

/**
 * Replays an access log (`agcp start --access-log` lines): each line's time, model, session and
 * conversation. A session's first conversation is its main one; the others are its subagents.
 * Times keep their spacing, moved to start at the simulation's epoch; unreadable lines are skipped.
 */
export function replay(text: string): SimRequest[] {
  const out: SimRequest[] = [];
  const mainOf = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line.trim().startsWith("{")) continue;
    let e: { at?: unknown; upstreamModel?: unknown; model?: unknown; session?: unknown; conversation?: unknown };
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    const at = typeof e.at === "string" ? Date.parse(e.at) : Number.NaN;
    if (!Number.isFinite(at)) continue;
    const model = typeof e.upstreamModel === "string" ? e.upstreamModel : typeof e.model === "string" ? e.model : MODELS.claude;
    const conversation = typeof e.conversation === "string" ? e.conversation : `replay-${out.length}`;
    const session = typeof e.session === "string" ? e.session : conversation;
    if (!mainOf.has(session)) mainOf.set(session, conversation);
    const main = mainOf.get(session) as string;
    out.push({ at, sessionId: conversation, mainSession: main, subagent: conversation !== main, model });
  }
  out.sort((a, b) => a.at - b.at);
  const shift = out.length > 0 ? EPOCH - (out[0] as SimRequest).at : 0;
  for (const r of out) r.at += shift;
  return out;
}
