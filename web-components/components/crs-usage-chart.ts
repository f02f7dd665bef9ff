import { css, html, nothing, type PropertyValues } from 'lit'
import type uPlot from 'uplot'
import { getLocale, t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtCompact, fmtCost, fmtInt } from '../lib/format.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/** How values of an axis read: counts, tokens or dollars. */
export type ChartKind = 'count' | 'tokens' | 'cost'

/**
 * One line of a chart; `color` names a CSS custom property (e.g. `--crs-chart-1`); `axis` puts it
 * on the right-hand axis (its own scale), e.g. tokens beside requests.
 */
export interface ChartSeries {
  label: string
  values: number[]
  color: string
  axis?: 'left' | 'right'
}

/** Chart input: times in epoch ms and one value per time for each series. */
export interface ChartData {
  x: number[]
  series: ChartSeries[]
}

type UPlotClass = typeof uPlot
let uplotLoad: Promise<UPlotClass> | null = null
/** uPlot once loaded (its instances are plain objects: their constructor is not uPlot). */
let UPlot: UPlotClass | null = null

/** Starts loading uPlot (its own chunk), once; pages that will chart call it early. */
export function preloadCharts(): Promise<UPlotClass> {
  uplotLoad ??= import('uplot').then((m) => {
    UPlot = m.default
    return m.default
  })
  return uplotLoad
}

/**
 * The day a daily bucket stands for. Buckets start at midnight of the server's zone
 * (TIMEZONE_OFFSET), which may be another day in the browser's; noon of the bucket is the same
 * day in every zone within ±12 hours of it.
 */
const dayOf = (bucketStart: number): Date => new Date(bucketStart + 12 * 3_600_000)

/** A value as an axis or legend shows it. */
export function chartValue(kind: ChartKind, n: number, axis = false): string {
  if (kind === 'cost')
    return axis && n !== 0 && Math.abs(n) < 10
      ? `$${Number(n.toPrecision(2))}`
      : axis
        ? `$${fmtCompact(n)}`
        : fmtCost(n)
  if (kind === 'count' && !axis) return fmtInt(n)
  return fmtCompact(n)
}

/** uPlot's stylesheet (it cannot reach into the shadow root from the page). */
const uplotStyles = css`
  .uplot,
  .uplot *,
  .uplot *::before,
  .uplot *::after {
    box-sizing: border-box;
  }
  .uplot {
    font-family: var(--crs-font);
    line-height: 1.5;
    width: min-content;
  }
  .u-wrap {
    position: relative;
    user-select: none;
  }
  .u-over,
  .u-under {
    position: absolute;
  }
  .u-under {
    overflow: hidden;
  }
  .uplot canvas {
    display: block;
    position: relative;
    width: 100%;
    height: 100%;
  }
  .u-axis {
    position: absolute;
  }
  .u-select {
    background: rgb(127 127 127 / 12%);
    position: absolute;
    pointer-events: none;
  }
  .u-cursor-x,
  .u-cursor-y {
    position: absolute;
    left: 0;
    top: 0;
    pointer-events: none;
    will-change: transform;
  }
  .u-hz .u-cursor-x,
  .u-vt .u-cursor-y {
    height: 100%;
    border-right: 1px dashed var(--crs-text-muted);
  }
  .u-hz .u-cursor-y,
  .u-vt .u-cursor-x {
    width: 100%;
    border-bottom: 1px dashed var(--crs-text-muted);
  }
  .u-cursor-pt {
    position: absolute;
    top: 0;
    left: 0;
    border-radius: 50%;
    border: 0 solid;
    pointer-events: none;
    will-change: transform;
    background-clip: padding-box !important;
  }
  .u-axis.u-off,
  .u-select.u-off,
  .u-cursor-x.u-off,
  .u-cursor-y.u-off,
  .u-cursor-pt.u-off {
    display: none;
  }
`

/**
 * @summary A time-series chart (uPlot, loaded on first use): created in `firstUpdated`, fed with
 * `setData` in `updated`, resized by a ResizeObserver, destroyed when disconnected; follows the
 * theme. Series on the right axis get their own scale. The legend is ours: it names each series
 * with its latest value, or the value under the cursor, and hides or shows a series on click.
 * @event crs-chart-drawn - After every draw (used to measure render time).
 */
export class CrsUsageChart extends CrsElement {
  static override properties = {
    data: { attribute: false },
    height: { type: Number },
    kind: { type: String },
    kind2: { type: String },
    yLabel: { type: String },
    y2Label: { type: String },
    granularity: { type: String },
    label: { type: String },
    cursorIdx: { state: true },
    off: { state: true },
    failed: { state: true },
  }
  static override styles = [
    sharedStyles,
    uplotStyles,
    css`
      :host {
        display: block;
        min-width: 0;
      }
      .plot {
        width: 100%;
        min-height: 40px;
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 4px 14px;
        margin-top: 6px;
        font-size: 12.5px;
        min-height: 22px;
      }
      .legend .when {
        color: var(--crs-text-muted);
        font-variant-numeric: tabular-nums;
      }
      .legend button {
        all: unset;
        display: inline-flex;
        align-items: center;
        gap: 6px;
        cursor: pointer;
        border-radius: 4px;
        padding: 1px 2px;
      }
      .legend button:focus-visible {
        outline: 2px solid var(--crs-focus);
      }
      .legend button[aria-pressed='false'] {
        opacity: 0.45;
      }
      .legend .mark {
        width: 10px;
        height: 10px;
        border-radius: 2px;
        flex: none;
      }
      .legend b {
        font-weight: 650;
        font-variant-numeric: tabular-nums;
      }
    `,
  ]
  declare data: ChartData
  declare height: number
  declare kind: ChartKind
  declare kind2: ChartKind
  declare yLabel: string
  declare y2Label: string
  declare granularity: 'hour' | 'day'
  declare label: string
  declare cursorIdx: number | null
  /** Indexes of the series the user switched off in the legend. */
  declare off: number[]
  declare failed: boolean
  private plot: uPlot | null = null
  private observer: ResizeObserver | null = null
  private shape = ''
  private readonly onTheme = () => this.rebuild()

  constructor() {
    super()
    this.data = { x: [], series: [] }
    this.height = 220
    this.kind = 'count'
    this.kind2 = 'tokens'
    this.yLabel = ''
    this.y2Label = ''
    this.granularity = 'hour'
    this.label = ''
    this.cursorIdx = null
    this.off = []
    this.failed = false
  }

  override connectedCallback(): void {
    super.connectedCallback()
    window.addEventListener('crs-theme-change', this.onTheme)
    void preloadCharts()
    if (this.hasUpdated && !this.plot) void this.build()
  }

  override disconnectedCallback(): void {
    window.removeEventListener('crs-theme-change', this.onTheme)
    this.observer?.disconnect()
    this.observer = null
    this.plot?.destroy()
    this.plot = null
    super.disconnectedCallback()
  }

  private get container(): HTMLElement {
    return this.renderRoot.querySelector('.plot') as HTMLElement
  }

  private aligned(): uPlot.AlignedData {
    return [this.data.x.map((x) => x / 1000), ...this.data.series.map((s) => s.values)]
  }

  private get hasRight(): boolean {
    return this.data.series.some((s) => s.axis === 'right')
  }

  private dateFormat(): Intl.DateTimeFormat {
    return new Intl.DateTimeFormat(getLocale(), {
      month: '2-digit',
      day: '2-digit',
      ...(this.granularity === 'hour' ? { hour: '2-digit', minute: '2-digit', hour12: false } : {}),
    })
  }

  private options(width: number): uPlot.Options {
    const cs = getComputedStyle(this)
    const v = (name: string) => cs.getPropertyValue(name).trim() || '#888'
    const text = v('--crs-text-muted')
    const grid = v('--crs-border')
    const font = '11px system-ui, sans-serif'
    const axis = (kind: ChartKind, side: 'left' | 'right', label: string): uPlot.Axis => ({
      scale: side === 'left' ? 'y' : 'y2',
      side: side === 'left' ? 3 : 1,
      stroke: text,
      grid: side === 'left' ? { stroke: grid, width: 1 } : { show: false },
      ticks: { stroke: grid, width: 1 },
      font,
      labelFont: font,
      label: label || undefined,
      labelSize: label ? 16 : 0,
      size: 52,
      values: (_u, splits) => splits.map((n) => chartValue(kind, n, true)),
    })
    const positive: uPlot.Scale.Range = (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1]
    return {
      width,
      height: this.height,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        y: { range: positive },
        ...(this.hasRight ? { y2: { range: positive } } : {}),
      },
      axes: [
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          font,
          values: (_u, splits) => splits.map((x, i) => this.tick(x * 1000, i === 0)),
        },
        axis(this.kind, 'left', this.yLabel),
        ...(this.hasRight ? [axis(this.kind2, 'right', this.y2Label)] : []),
      ],
      series: [
        {},
        ...this.data.series.map((s, i): uPlot.Series => {
          const c = v(s.color)
          return {
            label: s.label,
            scale: s.axis === 'right' ? 'y2' : 'y',
            stroke: c,
            width: 1.6,
            fill: s.axis === 'right' ? undefined : `${c}1f`,
            dash: s.axis === 'right' ? [5, 3] : undefined,
            points: { show: this.data.x.length <= 2 },
            show: !this.off.includes(i),
          }
        }),
      ],
      hooks: {
        draw: [() => this.emit('crs-chart-drawn')],
        setCursor: [
          (u) => {
            const idx = u.cursor.idx ?? null
            if (idx !== this.cursorIdx) this.cursorIdx = idx
          },
        ],
      },
    }
  }

  /** Formatters of the x axis, made once per language (making one is slow). */
  private formats: { locale: string; day: Intl.DateTimeFormat; time: Intl.DateTimeFormat } | null =
    null

  /** An x-axis label in the active language: the hour, with the date at midnight and first. */
  private tick(at: number, first: boolean): string {
    const locale = getLocale()
    if (this.formats?.locale !== locale)
      this.formats = {
        locale,
        day: new Intl.DateTimeFormat(locale, { month: '2-digit', day: '2-digit' }),
        time: new Intl.DateTimeFormat(locale, {
          hour: '2-digit',
          minute: '2-digit',
          hour12: false,
        }),
      }
    if (this.granularity === 'day') return this.formats.day.format(dayOf(at))
    const d = new Date(at)
    const day = this.formats.day.format(d)
    const time = this.formats.time.format(d)
    return first || (d.getHours() === 0 && d.getMinutes() === 0) ? `${time}\n${day}` : time
  }

  private shapeKey(): string {
    const labels = this.data.series.map((s) => s.label + s.color + (s.axis ?? '')).join('|')
    return `${labels}/${this.kind}/${this.kind2}/${this.yLabel}/${this.y2Label}/${this.granularity}/${getLocale()}`
  }

  private async build() {
    try {
      await preloadCharts()
    } catch {
      this.failed = true
      return
    }
    if (!this.isConnected) return
    this.failed = false
    this.rebuild()
    if (!this.observer) {
      this.observer = new ResizeObserver((entries) => {
        const w = Math.floor(entries[0]?.contentRect.width ?? 0)
        if (this.plot && w > 0 && Math.abs(w - this.plot.width) > 1)
          this.plot.setSize({ width: w, height: this.height })
      })
      this.observer.observe(this.container)
    }
  }

  private rebuild() {
    if (!this.hasUpdated) return
    const Ctor = UPlot
    if (!Ctor) return
    this.plot?.destroy()
    this.plot = null
    const el = this.container
    if (!el) return
    const width = Math.max(200, Math.floor(el.clientWidth || this.clientWidth || 600))
    this.shape = this.shapeKey()
    this.plot = new Ctor(this.options(width), this.aligned(), el)
  }

  override firstUpdated(): void {
    void this.build()
  }

  override updated(changed: PropertyValues<this>): void {
    if (!this.plot) return
    if (this.shapeKey() !== this.shape || changed.has('height')) this.rebuild()
    else if (changed.has('data')) this.plot.setData(this.aligned())
  }

  private toggle(i: number) {
    const off = this.off.includes(i)
    this.off = off ? this.off.filter((x) => x !== i) : [...this.off, i]
    this.plot?.setSeries(i + 1, { show: off })
  }

  private legend() {
    const n = this.data.x.length
    if (n === 0) return nothing
    const hovering = this.cursorIdx !== null && this.cursorIdx >= 0 && this.cursorIdx < n
    const idx = hovering ? this.cursorIdx! : n - 1
    const at = this.data.x[idx]
    const when =
      at === undefined
        ? ''
        : this.dateFormat().format(this.granularity === 'day' ? dayOf(at) : new Date(at))
    return html`<div class="legend" data-testid="chart-legend">
      <span class="when">${hovering ? when : t('chart.latest', { t: when })}</span>
      ${this.data.series.map((s, i) => {
        const value = s.values[idx]
        const kind = s.axis === 'right' ? this.kind2 : this.kind
        return html`<button
          type="button"
          aria-pressed=${this.off.includes(i) ? 'false' : 'true'}
          @click=${() => this.toggle(i)}
        >
          <span class="mark" style="background:var(${s.color})"></span>${s.label}
          <b>${value === undefined || value === null ? '—' : chartValue(kind, value)}</b>
        </button>`
      })}
    </div>`
  }

  override render() {
    return html`<div class="plot" role="img" aria-label=${this.label}></div>
      ${this.failed ? html`<p class="small muted">${t('common.error')}</p>` : this.legend()}`
  }
}

customElements.define('crs-usage-chart', CrsUsageChart)
declare global {
  interface HTMLElementTagNameMap {
    'crs-usage-chart': CrsUsageChart
  }
}
