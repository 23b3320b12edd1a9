/** The simulator's results as a terminal table, and as an SVG bar chart. */
import type { StrategyResult } from "./engine.ts";

export function renderTable(workload: string, results: readonly StrategyResult[]): string {
  const head = ["strategy", "served", "before 1st refusal", "refused", "waited", "expired", "affinity", "peak/acct/min", "1st refusal", "429s", "burst spread"];
  const rows = results.map((r) => [
    r.name,
    String(r.served),
    String(r.servedBeforeFirstRefusal),
    String(r.refused),
    `${r.waited} (${Math.round(r.waitSeconds)} s)`,
    r.expired.toFixed(1),
    `${(r.affinityRate * 100).toFixed(1)}%`,
    String(r.peakPerAccountPerMinute),
    r.hoursToFirstRefusal === null ? "never" : `${r.hoursToFirstRefusal.toFixed(1)} h`,
    String(r.upstream429),
    r.burstSpread.toFixed(2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ");
  return [`workload ${workload}`, line(head), ...rows.map(line)].join("\n");
}

/** Served before the first refusal, and served in all, per strategy and workload. */
export function renderChart(runs: ReadonlyArray<{ workload: string; strategies: readonly StrategyResult[] }>): string {
  const W = 760;
  const rowH = 22;
  const label = 190;
  const max = Math.max(1, ...runs.flatMap((r) => r.strategies.map((s) => s.requests)));
  const lines: string[] = [];
  let y = 30;
  for (const run of runs) {
    lines.push(`<text x="8" y="${y}" font-weight="bold">${esc(run.workload)}</text>`);
    y += 8;
    for (const s of run.strategies) {
      const served = ((W - label - 20) * s.served) / max;
      const before = ((W - label - 20) * s.servedBeforeFirstRefusal) / max;
      lines.push(`<text x="16" y="${y + 15}">${esc(s.name)}</text>`);
      lines.push(`<rect x="${label}" y="${y + 4}" width="${served.toFixed(1)}" height="14" fill="#9ab7e8"><title>served ${s.served}</title></rect>`);
      lines.push(`<rect x="${label}" y="${y + 4}" width="${before.toFixed(1)}" height="14" fill="#1f5fd1"><title>before the first refusal ${s.servedBeforeFirstRefusal}</title></rect>`);
      lines.push(`<text x="${label + served + 6}" y="${y + 15}" fill="#59636e">${s.servedBeforeFirstRefusal} / ${s.served}</text>`);
      y += rowH;
    }
    y += 16;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" font-family="system-ui, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="8" y="16" fill="#59636e">requests served before the first refusal (dark) and in all (light), per strategy</text>
${lines.join("\n")}
</svg>
`;
}

function esc(s: string): string {
  return s.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}
