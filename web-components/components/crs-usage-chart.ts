import { css, html, type PropertyValues } from 'lit'
import uPlot from 'uplot'
import { getLocale } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtCompact, fmtCost } from '../lib/format.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/** One line of a chart; `color` names a CSS custom property (e.g. `--crs-chart-1`). */
export interface ChartSeries {
  label: string
  values: number[]
  color: string
}

/** Chart input: times in epoch ms and one value per time for each series. */
export interface ChartData {
  x: number[]
  series: ChartSeries[]
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
  .u-legend {
    font-size: 12.5px;
    margin: auto;
    text-align: center;
    color: var(--crs-text);
  }
  .u-inline {
    display: block;
  }
  .u-inline * {
    display: inline-block;
  }
  .u-inline tr {
    margin-right: 12px;
  }
  .u-legend th {
    font-weight: 600;
  }
  .u-legend th > * {
    vertical-align: middle;
    display: inline-block;
  }
  .u-legend .u-marker {
    width: 1em;
    height: 1em;
    margin-right: 4px;
    background-clip: padding-box !important;
  }
  .u-inline.u-live th::after {
    content: ':';
    vertical-align: middle;
  }
  .u-inline:not(.u-live) .u-value {
    display: none;
  }
  .u-series > * {
    padding: 2px 3px;
  }
  .u-series th {
    cursor: pointer;
  }
  .u-legend .u-off > * {
    opacity: 0.3;
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
 * @summary A time-series chart (uPlot): created in `firstUpdated`, fed with `setData` in
 * `updated`, resized by a ResizeObserver, destroyed when disconnected; follows the theme.
 * @event crs-chart-drawn - After every draw (used to measure render time).
 */
export class CrsUsageChart extends CrsElement {
  static override properties = {
    data: { attribute: false },
    height: { type: Number },
    kind: { type: String },
    granularity: { type: String },
    label: { type: String },
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
    `,
  ]
  declare data: ChartData
  declare height: number
  declare kind: 'count' | 'cost'
  declare granularity: 'hour' | 'day'
  declare label: string
  private plot: uPlot | null = null
  private observer: ResizeObserver | null = null
  private shape = ''
  private readonly onTheme = () => this.rebuild()

  constructor() {
    super()
    this.data = { x: [], series: [] }
    this.height = 220
    this.kind = 'count'
    this.granularity = 'hour'
    this.label = ''
  }

  override connectedCallback(): void {
    super.connectedCallback()
    window.addEventListener('crs-theme-change', this.onTheme)
    if (this.hasUpdated && !this.plot) this.rebuild()
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
    return [this.data.x.map((t) => t / 1000), ...this.data.series.map((s) => s.values)]
  }

  private options(width: number): uPlot.Options {
    const cs = getComputedStyle(this)
    const v = (name: string) => cs.getPropertyValue(name).trim() || '#888'
    const text = v('--crs-text-muted')
    const grid = v('--crs-border')
    const fmt = this.kind === 'cost' ? (n: number) => fmtCost(n) : (n: number) => fmtCompact(n)
    const axisFmt =
      this.kind === 'cost'
        ? (n: number) =>
            n !== 0 && Math.abs(n) < 10 ? `$${Number(n.toPrecision(2))}` : `$${fmtCompact(n)}`
        : fmtCompact
    const locale = getLocale()
    const dateFmt = new Intl.DateTimeFormat(locale, {
      month: '2-digit',
      day: '2-digit',
      ...(this.granularity === 'hour' ? { hour: '2-digit', minute: '2-digit', hour12: false } : {}),
    })
    return {
      width,
      height: this.height,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          font: '11px system-ui, sans-serif',
        },
        {
          stroke: text,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid, width: 1 },
          font: '11px system-ui, sans-serif',
          size: 56,
          values: (_u, splits) => splits.map(axisFmt),
        },
      ],
      series: [
        { value: (_u, ts) => (ts === null ? '—' : dateFmt.format(ts * 1000)) },
        ...this.data.series.map((s) => {
          const c = v(s.color)
          return {
            label: s.label,
            stroke: c,
            width: 1.6,
            fill: `${c}1f`,
            points: { show: false },
            value: (_u: uPlot, n: number | null) => (n === null ? '—' : fmt(n)),
          }
        }),
      ],
      hooks: {
        draw: [() => this.emit('crs-chart-drawn')],
      },
    }
  }

  private shapeKey(): string {
    const labels = this.data.series.map((s) => s.label + s.color).join('|')
    return `${labels}/${this.kind}/${this.granularity}/${getLocale()}`
  }

  private rebuild() {
    if (!this.hasUpdated) return
    this.plot?.destroy()
    this.plot = null
    const el = this.container
    if (!el) return
    const width = Math.max(200, Math.floor(el.clientWidth || this.clientWidth || 600))
    this.shape = this.shapeKey()
    this.plot = new uPlot(this.options(width), this.aligned(), el)
  }

  override firstUpdated(): void {
    this.rebuild()
    this.observer = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0)
      if (this.plot && w > 0 && Math.abs(w - this.plot.width) > 1)
        this.plot.setSize({ width: w, height: this.height })
    })
    this.observer.observe(this.container)
  }

  override updated(changed: PropertyValues<this>): void {
    if (!this.plot) return
    if (this.shapeKey() !== this.shape || changed.has('height')) this.rebuild()
    else if (changed.has('data')) this.plot.setData(this.aligned())
  }

  override render() {
    return html`<div class="plot" role="img" aria-label=${this.label}></div>`
  }
}

customElements.define('crs-usage-chart', CrsUsageChart)
declare global {
  interface HTMLElementTagNameMap {
    'crs-usage-chart': CrsUsageChart
  }
}
