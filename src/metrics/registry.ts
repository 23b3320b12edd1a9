/**
 * A minimal Prometheus text-format registry. Hand-written rather than a dependency because
 * the format is a few lines and the binary should stay lean; series are keyed by their raw
 * label names and values, so an increment is one Map lookup on the hot path and the escaped
 * Prometheus label string is built once, when a series first appears.
 */
type Labels = Record<string, string>;

interface Series<T> {
  labels: string;
  value: T;
}

abstract class Metric<T> {
  protected readonly series = new Map<string, Series<T>>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: "counter" | "gauge" | "histogram",
  ) {}

  protected get(labels: Labels | undefined, init: () => T): Series<T> {
    const key = labels ? seriesKey(labels) : "";
    let s = this.series.get(key);
    if (!s) {
      s = { labels: labels ? formatLabels(labels) : "", value: init() };
      this.series.set(key, s);
    }
    return s;
  }

  abstract render(): string[];
}

export class Counter extends Metric<number> {
  constructor(name: string, help: string) {
    super(name, help, "counter");
  }
  inc(labels?: Labels, by = 1): void {
    this.get(labels, () => 0).value += by;
  }
  render(): string[] {
    return [...this.series.values()].map((s) => `${this.name}${s.labels} ${s.value}`);
  }
}

export class Gauge extends Metric<number> {
  private collector?: () => Array<[Labels, number]>;
  constructor(name: string, help: string) {
    super(name, help, "gauge");
  }
  set(labels: Labels | undefined, value: number): void {
    this.get(labels, () => 0).value = value;
  }
  /** Values computed at scrape time (e.g. pool counts), so nothing updates them per request. */
  collect(fn: () => Array<[Labels, number]>): this {
    this.collector = fn;
    return this;
  }
  render(): string[] {
    if (this.collector) {
      // A collected series that is no longer produced (a removed account, a window past its reset) is gone, not frozen.
      this.series.clear();
      for (const [labels, v] of this.collector()) this.set(labels, v);
    }
    return [...this.series.values()].map((s) => `${this.name}${s.labels} ${s.value}`);
  }
}

interface HistogramValue {
  counts: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramValue> {
  constructor(
    name: string,
    help: string,
    readonly buckets: number[],
  ) {
    super(name, help, "histogram");
  }
  observe(labels: Labels | undefined, v: number): void {
    const s = this.get(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 })).value;
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  render(): string[] {
    const out: string[] = [];
    for (const s of this.series.values()) {
      const base = s.labels ? s.labels.slice(1, -1) + "," : "";
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{${base}le="${b}"} ${s.value.counts[i]}`));
      out.push(`${this.name}_bucket{${base}le="+Inf"} ${s.value.count}`);
      out.push(`${this.name}_sum${s.labels} ${s.value.sum}`);
      out.push(`${this.name}_count${s.labels} ${s.value.count}`);
    }
    return out;
  }
}

export class Registry {
  private readonly metrics: Array<{ name: string; help: string; type: string; render(): string[] }> = [];
  register<M extends Counter | Gauge | Histogram>(m: M): M {
    this.metrics.push(m);
    return m;
  }
  render(): string {
    const lines: string[] = [];
    for (const m of this.metrics) {
      lines.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} ${m.type}`, ...m.render());
    }
    return lines.join("\n") + "\n";
  }
}

/** Names and values joined by control characters that label names cannot hold and label values never do in practice. */
function seriesKey(labels: Labels): string {
  let key = "";
  for (const k in labels) key += `${k}\u0000${labels[k]}\u0001`;
  return key;
}

function formatLabels(labels: Labels): string {
  const parts = Object.keys(labels).map((k) => `${k}="${escapeLabel(labels[k]!)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
