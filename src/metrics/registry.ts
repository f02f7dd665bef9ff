/**
 * @module
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text
 * exposition format (version 0.0.4). No label ever carries a secret: keys appear by id only.
 */

type Labels = Record<string, string>

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([k, v]) =>
      `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`,
  )
  return parts.length ? `{${parts.join(',')}}` : ''
}

/** Series key of `labels` (names and values joined by control characters; no JSON on the hot path). */
function keyOf(labels: Labels): string {
  let k = ''
  for (const name in labels) k += `${name}\u0000${labels[name]}\u0001`
  return k
}

/** A counter or gauge family. */
export class Metric {
  readonly #values = new Map<string, { labels: Labels; value: number }>()
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}
  /** Adds `by` (default 1) to the series with `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    this.series(labels).value += by
  }
  /**
   * The series with `labels` (created at 0): a caller on the hot path keeps it and adds to
   * `value` directly, without building labels and a key per request. Valid until `reset()`.
   */
  series(labels: Labels): { readonly labels: Labels; value: number } {
    const k = keyOf(labels)
    let cur = this.#values.get(k)
    if (!cur) {
      cur = { labels, value: 0 }
      this.#values.set(k, cur)
    }
    return cur
  }
  /** Sets the series with `labels` (gauges). */
  set(labels: Labels, value: number): void {
    this.#values.set(keyOf(labels), { labels, value })
  }
  /** Drops every series (gauges recomputed on each scrape). */
  reset(): void {
    this.#values.clear()
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${this.type}`]
    for (const { labels, value } of this.#values.values())
      lines.push(`${this.name}${labelText(labels)} ${value}`)
    return lines.join('\n')
  }
}

/** One labelled series of a {@link Histogram}. */
export interface HistogramSeries {
  readonly labels: Labels
  counts: number[]
  sum: number
  count: number
}

/** A histogram family with fixed buckets (seconds). */
export class Histogram {
  readonly #series = new Map<string, HistogramSeries>()
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: number[],
  ) {}
  /** Records one observation. */
  observe(labels: Labels, value: number): void {
    this.observeIn(this.series(labels), value)
  }
  /** The series with `labels`, to keep and pass to {@link observeIn} (see `Metric.series`). */
  series(labels: Labels): HistogramSeries {
    const k = keyOf(labels)
    let s = this.#series.get(k)
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 }
      this.#series.set(k, s)
    }
    return s
  }
  /** Records one observation in a series of this histogram. */
  observeIn(s: HistogramSeries, value: number): void {
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++
    s.sum += value
    s.count++
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`]
    for (const s of this.#series.values()) {
      for (let i = 0; i < this.buckets.length; i++) {
        const le = String(this.buckets[i])
        lines.push(`${this.name}_bucket${labelText({ ...s.labels, le })} ${s.counts[i]}`)
      }
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`)
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`)
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`)
    }
    return lines.join('\n')
  }
}

/** Renders families into one exposition document. */
export function renderAll(families: { render(): string }[]): string {
  return `${families.map((f) => f.render()).join('\n')}\n`
}
