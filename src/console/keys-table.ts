/** The "Client keys" section of the limits table: who used how much, against which limits. */
import type { DayUse } from "../keys/limits.ts";
import type { KeyLimits, KeyView } from "../keys/types.ts";
import type { UsageCell } from "../keys/usage.ts";
import { renderColumns } from "./format.ts";

export interface KeyRow extends KeyView {
  today: Record<"gemini" | "claude", DayUse>;
  last24h: UsageCell;
}

function limitsText(l: KeyLimits): string {
  const parts: string[] = [];
  if (l.rpm !== undefined) parts.push(`${l.rpm}/min`);
  if (l.concurrency !== undefined) parts.push(`${l.concurrency} at once`);
  const budget = (b: KeyLimits["requestsPerDay"], unit: string) =>
    b === undefined ? undefined : typeof b === "number" ? `${b} ${unit}/day` : Object.entries(b).map(([p, n]) => `${p} ${n} ${unit}/day`).join(" ");
  const r = budget(l.requestsPerDay, "req");
  const t = budget(l.tokensPerDay, "tok");
  if (r) parts.push(r);
  if (t) parts.push(t);
  if (l.poolShare !== undefined) parts.push(`${Math.round(l.poolShare * 100)}% share`);
  if (l.models) parts.push(`models ${l.models.join(",")}`);
  return parts.length > 0 ? parts.join(", ") : "-";
}

export function renderKeysSection(rows: readonly KeyRow[]): string {
  if (rows.length === 0) return "";
  const header = ["Key", "Status", "Today req", "Today tok", "24h req", "24h in/out tok", "24h err", "Limits"];
  const body = rows.map((r) => [
    r.name,
    r.status,
    String(r.today.claude.requests + r.today.gemini.requests),
    String(r.today.claude.tokens + r.today.gemini.tokens),
    String(r.last24h.requests),
    `${r.last24h.inputTokens}/${r.last24h.outputTokens}`,
    String(r.last24h.errors),
    limitsText(r.limits),
  ]);
  return `\nClient keys\n${renderColumns([header, ...body], ["left", "left", "right", "right", "right", "right", "right", "left"]).join("\n")}\n`;
}
