/**
 * Usage per key per hour: what `agcp keys list`, the table, the console and /metrics report.
 * Kept 30 days; the state store holds it (Redis: counters every instance adds to; fs: one
 * document this process writes), so it survives restarts.
 */
export interface UsageCell {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  errors: number;
}

export const HOUR_MS = 3_600_000;
export const USAGE_KEEP_MS = 30 * 24 * HOUR_MS;

export const hourOf = (now: number) => Math.floor(now / HOUR_MS) * HOUR_MS;

export const emptyCell = (): UsageCell => ({ requests: 0, inputTokens: 0, outputTokens: 0, errors: 0 });

export function addCell(into: UsageCell, d: Partial<UsageCell>): void {
  into.requests += d.requests ?? 0;
  into.inputTokens += d.inputTokens ?? 0;
  into.outputTokens += d.outputTokens ?? 0;
  into.errors += d.errors ?? 0;
}

/** key id → hour start → counts. */
export type UsageTable = Record<string, Record<string, UsageCell>>;

/** Totals per key over hours at or after `from`. */
export function totals(table: UsageTable, from: number): Map<string, UsageCell> {
  const out = new Map<string, UsageCell>();
  for (const [id, hours] of Object.entries(table)) {
    const sum = emptyCell();
    for (const [hour, cell] of Object.entries(hours)) if (Number(hour) >= from) addCell(sum, cell);
    out.set(id, sum);
  }
  return out;
}

/** Drops hours older than the keep window (in place). */
export function prune(table: UsageTable, now: number): void {
  const oldest = hourOf(now - USAGE_KEEP_MS);
  for (const hours of Object.values(table)) for (const hour of Object.keys(hours)) if (Number(hour) < oldest) delete hours[hour];
}
