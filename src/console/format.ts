/** Small, pure text helpers shared by the limits table, the CLI and the console's server side. */
import { formatDuration } from "../pool/explain.ts";

/** "never", "just now", "12s ago", "1h02m ago". */
export function formatAgo(at: number | undefined, now: number): string {
  if (!at) return "never";
  const ms = now - at;
  if (ms < 1000) return "just now";
  return `${formatDuration(ms)} ago`;
}

/** Whole percent, never rounding a non-empty quota down to a misleading 0% or up to 100%. */
export function formatPercent(fraction: number): string {
  const p = fraction * 100;
  if (p > 0 && p < 1) return "<1%";
  if (p < 100 && p > 99) return "99%";
  return `${Math.round(p)}%`;
}

/** Cuts `text` to `width` columns with an ellipsis, so one long label cannot break the alignment. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  if (text.length <= width) return text;
  return width === 1 ? "…" : `${text.slice(0, width - 1)}…`;
}

export type Align = "left" | "right";

/** Lays rows out in columns separated by two spaces; trailing spaces are trimmed. */
export function renderColumns(rows: readonly (readonly string[])[], align: readonly Align[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (align[i] === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd(),
  );
}
