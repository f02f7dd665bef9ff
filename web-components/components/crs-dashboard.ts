import { css, html, type PropertyValues } from 'lit'
import { api } from '../api/client.ts'
import type { Dashboard, HistoryStats, ModelStat, TopTrend, Trend } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { topSeries } from '../lib/chart-data.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtCompact, fmtCost, fmtInt } from '../lib/format.ts'
import { icon } from '../lib/icons.ts'
import { modelUsageColumns } from '../lib/model-columns.ts'
import { PollingController } from '../lib/polling-controller.ts'
import { updateQuery } from '../lib/route.ts'
import { errorBlock, loadingBlock } from '../lib/states.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-usage-chart.ts'
import { type ChartData, preloadCharts } from './crs-usage-chart.ts'

const RANGES = ['1', '7', '30', '90', 'custom'] as const
/** Styles of the model table's share bars. */
const CELL_CSS = css`
  .share {
    display: flex;
    align-items: center;
    gap: 8px;
    min-width: 120px;
  }
  .share .bar {
    flex: 1;
  }
`
const METRICS = ['cost', 'requests', 'tokens'] as const
type Metric = (typeof METRICS)[number]
/** Subjects per top chart (one colour each). */
const TOP_N = 5
const DAY = 86_400_000

/** Query of the trend requests for the page's query parameters. */
export function trendQuery(q: Record<string, string>): {
  query: Record<string, string | number>
  granularity: 'hour' | 'day'
  days: number
} {
  const range = RANGES.includes(q.range as (typeof RANGES)[number]) ? q.range! : '1'
  let days = Number(range)
  const query: Record<string, string | number> = {}
  if (range === 'custom' && q.from && q.to) {
    query.startDate = q.from
    query.endDate = q.to
    days = Math.max(1, Math.round((Date.parse(q.to) - Date.parse(q.from)) / DAY) + 1)
  } else {
    if (!Number.isFinite(days)) days = 7
    query.days = days
  }
  let granularity: 'hour' | 'day' =
    q.gran === 'hour' || q.gran === 'day' ? q.gran : days <= 7 ? 'hour' : 'day'
  if (days > 31) granularity = 'day'
  query.granularity = granularity
  return { query, granularity, days }
}

/**
 * @summary Overview cards, usage charts over a chosen range (the last 24 hours by hour unless
 * chosen otherwise), the top keys and accounts over the same range, and the per-model breakdown.
 * Cards and charts refresh together every 30 s. Marks `crs-dashboard-data` /
 * `crs-dashboard-drawn` for render timing.
 */
export class CrsDashboard extends CrsElement {
  static override properties = {
    query: { attribute: false },
    overview: { state: true },
    overviewError: { state: true },
    trend: { state: true },
    models: { state: true },
    trendError: { state: true },
    loadingTrend: { state: true },
    today: { state: true },
    topKeys: { state: true },
    topAccounts: { state: true },
    topError: { state: true },
  }
  static override styles = [
    sharedStyles,
    CELL_CSS,
    css`
      :host {
        display: block;
      }
      .cards {
        margin-bottom: 16px;
      }
      .health {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
        margin-top: 4px;
      }
      .charts {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 520px), 1fr));
        gap: 16px;
        margin-bottom: 16px;
      }
      .charts .card.full {
        grid-column: 1 / -1;
      }
      .card-head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
        margin-bottom: 10px;
      }
      .sub {
        display: flex;
        flex-wrap: wrap;
        gap: 2px 8px;
      }
      input[type='date'] {
        width: auto;
      }
      select {
        width: auto;
      }
    `,
  ]
  declare query: Record<string, string>
  declare overview: Dashboard | null
  declare overviewError: unknown
  declare trend: Trend | null
  declare models: ModelStat[] | null
  declare trendError: unknown
  declare loadingTrend: boolean
  /** History stats of today: what the request count leaves out (rejected, count_tokens). */
  declare today: HistoryStats | null
  declare topKeys: TopTrend | null
  declare topAccounts: TopTrend | null
  declare topError: unknown
  private pendingDraws = 0
  private trendSeq = 0
  /** Shows the top charts; waits until the main charts have drawn (they come first). */
  private afterMainDraw: (() => void) | null = null

  constructor() {
    super()
    this.query = {}
    this.overview = null
    this.overviewError = null
    this.trend = null
    this.models = null
    this.trendError = null
    this.loadingTrend = false
    this.today = null
    this.topKeys = null
    this.topAccounts = null
    this.topError = null
    new PollingController(this, 30_000, () => this.refresh())
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void preloadCharts()
    void this.loadOverview()
  }

  /** Cards and charts together (the refresh button and every 30 s). */
  private refresh() {
    void this.loadOverview()
    void this.loadTrend()
  }

  private get metric(): Metric {
    return METRICS.includes(this.query.top as Metric) ? (this.query.top as Metric) : 'cost'
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('query')) {
      const prev = changed.get('query') as Record<string, string> | undefined
      const key = JSON.stringify(trendQuery(this.query).query)
      if (
        !prev ||
        JSON.stringify(trendQuery(prev).query) !== key ||
        (prev.top ?? 'cost') !== this.metric
      )
        void this.loadTrend()
    }
  }

  private async loadOverview() {
    try {
      const [overview, today] = await Promise.all([api.dashboard(), api.historyStats({})])
      this.overview = overview
      this.today = today
      this.overviewError = null
    } catch (err) {
      this.overviewError = err
    }
  }

  private async loadTrend() {
    const seq = ++this.trendSeq
    const { query } = trendQuery(this.query)
    this.loadingTrend = true
    const top = { ...query, metric: this.metric, topN: TOP_N }
    const tops = Promise.all([api.keysTopTrend(top), api.accountsTopTrend(top)])
    // Awaited below; a failure before that must not go unhandled.
    tops.catch(() => {})
    try {
      const { granularity: _g, ...range } = query
      const [trend, models] = await Promise.all([api.usageTrend(query), api.modelStats(range)])
      if (seq !== this.trendSeq) return
      performance.clearMarks('crs-dashboard-data')
      performance.mark('crs-dashboard-data')
      this.pendingDraws = 3
      this.trend = trend
      this.models = models
      this.trendError = null
      try {
        const [keys, accounts] = await tops
        if (seq !== this.trendSeq) return
        const show = () => {
          this.topKeys = keys
          this.topAccounts = accounts
          this.topError = null
        }
        if (this.pendingDraws > 0) this.afterMainDraw = show
        else show()
      } catch (err) {
        if (seq === this.trendSeq) this.topError = err
      }
    } catch (err) {
      if (seq === this.trendSeq) this.trendError = err
    } finally {
      if (seq === this.trendSeq) this.loadingTrend = false
    }
  }

  private onDrawn() {
    if (this.pendingDraws <= 0) return
    this.pendingDraws--
    if (this.pendingDraws === 0) {
      performance.clearMarks('crs-dashboard-drawn')
      performance.clearMeasures('crs-dashboard-render')
      performance.mark('crs-dashboard-drawn')
      performance.measure('crs-dashboard-render', 'crs-dashboard-data', 'crs-dashboard-drawn')
      const show = this.afterMainDraw
      this.afterMainDraw = null
      show?.()
    }
  }

  private chartData(): { requests: ChartData; tokens: ChartData; cost: ChartData } {
    const s = this.trend?.series ?? []
    const x = s.map((p) => p.t)
    return {
      requests: {
        x,
        series: [
          { label: t('series.requests'), values: s.map((p) => p.requests), color: '--crs-chart-1' },
          { label: t('series.failed'), values: s.map((p) => p.errors), color: '--crs-chart-2' },
        ],
      },
      tokens: {
        x,
        series: [
          { label: t('series.input'), values: s.map((p) => p.inputTokens), color: '--crs-chart-1' },
          {
            label: t('series.output'),
            values: s.map((p) => p.outputTokens),
            color: '--crs-chart-2',
          },
          {
            label: t('series.cacheCreate'),
            values: s.map((p) => p.cacheCreateTokens),
            color: '--crs-chart-4',
          },
          {
            label: t('series.cacheRead'),
            values: s.map((p) => p.cacheReadTokens),
            color: '--crs-chart-3',
          },
        ],
      },
      cost: {
        x,
        series: [{ label: t('series.cost'), values: s.map((p) => p.cost), color: '--crs-chart-3' }],
      },
    }
  }

  /** What today's request count leaves out, next to it: failed, rejected, count_tokens calls. */
  private requestsNote() {
    const o = this.overview!
    const h = this.today
    const parts = [t('dash.failed', { n: fmtInt(o.today.errorRequests) })]
    if (h) {
      parts.push(t('dash.rejected', { n: fmtInt(h.rejected) }))
      if (h.countTokens) parts.push(t('dash.countTokens', { n: fmtInt(h.countTokens) }))
    }
    return html`<span class="sub" title=${t('dash.requestsDef')}>${parts.map((p) => html`<span>${p}</span>`)}</span>`
  }

  private cards() {
    const o = this.overview
    if (!o)
      return this.overviewError
        ? errorBlock(this.overviewError, () => this.loadOverview())
        : loadingBlock()
    const a = o.overview.accounts
    const health: [MessageKey, number, string][] = [
      ['health.normal', a.normal, 'ok'],
      ['health.rateLimited', a.rateLimited, 'warn'],
      ['health.overloaded', a.overloaded, 'warn'],
      ['health.coolingDown', a.coolingDown, 'warn'],
      ['health.unauthorized', a.unauthorized, 'bad'],
      ['health.blocked', a.blocked, 'bad'],
      ['health.paused', a.paused, ''],
    ]
    const card = (label: string, value: string, extra: unknown, testid: string) =>
      html`<div class="card" data-testid=${testid}>
        <div class="stat-label">${label}</div>
        <div class="stat-value">${value}</div>
        <div class="small muted">${extra}</div>
      </div>`
    return html`<div class="grid-cards cards">
      ${card(t('dash.keys'), fmtInt(o.overview.totalApiKeys), t('dash.keysActive', { n: o.overview.activeApiKeys }), 'card-keys')}
      <div class="card" data-testid="card-accounts">
        <div class="stat-label">${t('dash.accounts')}</div>
        <div class="stat-value">${fmtInt(a.total)}</div>
        <div class="health">
          ${health
            .filter(([, n], i) => n > 0 || i === 0)
            .map(([k, n, cls]) => html`<span class="badge ${cls}">${t(k)} ${n}</span>`)}
        </div>
      </div>
      ${card(t('dash.todayRequests'), fmtInt(o.today.requests), this.requestsNote(), 'card-requests')}
      ${card(
        t('dash.todayTokens'),
        fmtCompact(o.today.allTokens),
        `${t('series.input')} ${fmtCompact(o.today.inputTokens)} · ${t('series.output')} ${fmtCompact(o.today.outputTokens)}`,
        'card-tokens',
      )}
      ${card(t('dash.todayCost'), fmtCost(o.today.cost), t('dash.lifetime', { v: fmtCost(o.overview.lifetime.cost) }), 'card-cost')}
      ${card(
        t('dash.rpm'),
        `${fmtInt(o.realtimeMetrics.rpm)} / ${fmtCompact(o.realtimeMetrics.tpm)}`,
        t('dash.rpmHint', { n: o.realtimeMetrics.windowMinutes }),
        'card-rpm',
      )}
    </div>`
  }

  private controls(granularity: 'hour' | 'day', days: number) {
    const range = this.query.range ?? '1'
    return html`<div class="toolbar" role="group" aria-label=${t('dash.range')}>
      <label class="field"
        ><span>${t('dash.range')}</span>
        <select
          data-testid="range"
          .value=${range}
          @change=${(e: Event) => {
            const v = (e.target as HTMLSelectElement).value
            const today = new Date().toISOString().slice(0, 10)
            const weekAgo = new Date(Date.now() - 6 * DAY).toISOString().slice(0, 10)
            updateQuery(
              v === 'custom'
                ? { range: v, from: this.query.from ?? weekAgo, to: this.query.to ?? today }
                : { range: v, from: undefined, to: undefined, gran: undefined },
            )
          }}
        >
          ${RANGES.map((r) => html`<option value=${r} ?selected=${r === range}>${t(`dash.range.${r}` as MessageKey)}</option>`)}
        </select></label
      >
      ${
        range === 'custom'
          ? html`<label class="field"
                ><span>${t('common.from')}</span
                ><input
                  type="date"
                  .value=${this.query.from ?? ''}
                  @change=${(e: Event) => updateQuery({ from: (e.target as HTMLInputElement).value })}
              /></label>
              <label class="field"
                ><span>${t('common.to')}</span
                ><input
                  type="date"
                  .value=${this.query.to ?? ''}
                  @change=${(e: Event) => updateQuery({ to: (e.target as HTMLInputElement).value })}
              /></label>`
          : ''
      }
      <div class="field">
        <span id="gran-label">${t('dash.granularity')}</span>
        <div class="btn-group" role="group" aria-labelledby="gran-label">
          ${(['hour', 'day'] as const).map(
            (g) => html`<button
              class="btn"
              aria-pressed=${granularity === g ? 'true' : 'false'}
              ?disabled=${g === 'hour' && days > 31}
              title=${g === 'hour' && days > 31 ? t('dash.hourLimit') : ''}
              @click=${() => updateQuery({ gran: g })}
            >
              ${t(g === 'hour' ? 'dash.hour' : 'dash.day')}
            </button>`,
          )}
        </div>
      </div>
      <button class="btn" data-testid="dash-refresh" @click=${() => this.refresh()}>
        ${icon('refresh')}${t('common.refresh')}
      </button>
    </div>`
  }

  private modelTable() {
    const rows = this.models ?? []
    const total = rows.reduce((a, r) => a + r.cost, 0)
    const cols: Column<ModelStat>[] = [
      ...modelUsageColumns<ModelStat>(
        (r) =>
          html`<span class="mono">${r.model || '—'}</span>
            ${r.unpricedRequests ? html`<span class="badge warn">${t('dash.unpriced')}</span>` : ''}`,
      ),
      {
        key: 'share',
        label: t('dash.share'),
        wide: true,
        render: (r) => {
          const pct = total > 0 ? (r.cost / total) * 100 : 0
          return html`<div class="share"><div class="bar"><i style="width:${pct.toFixed(1)}%"></i></div><span class="small">${pct.toFixed(1)}%</span></div>`
        },
      },
    ]
    return html`<crs-data-table
      .columns=${cols}
      .rows=${rows}
      .rowId=${(r: unknown) => (r as ModelStat).model}
      .caption=${t('dash.models')}
      .loading=${this.loadingTrend && !this.models}
      .error=${this.trendError}
      @crs-retry=${() => this.loadTrend()}
    ></crs-data-table>`
  }

  /** One top-N chart with the totals of its subjects over the range. */
  private topCard(id: string, title: string, trend: TopTrend | null, granularity: 'hour' | 'day') {
    const metric = this.metric
    const items = trend?.items ?? []
    const total = (u: TopTrend['items'][number]['total']) =>
      metric === 'cost'
        ? fmtCost(u.cost)
        : metric === 'requests'
          ? fmtInt(u.requests)
          : fmtCompact(u.allTokens)
    return html`<section class="card" aria-labelledby="${id}-h" data-testid=${id}>
      <h2 id="${id}-h">${title}</h2>
      ${
        !trend
          ? this.topError
            ? errorBlock(this.topError, () => this.loadTrend())
            : loadingBlock()
          : items.length === 0
            ? html`<div class="state empty">${t('dash.topNone')}</div>`
            : html`<crs-usage-chart
                  .height=${200}
                  .granularity=${granularity}
                  kind=${metric === 'cost' ? 'cost' : metric === 'tokens' ? 'tokens' : 'count'}
                  .yLabel=${t(`dash.metric.${metric}` as MessageKey)}
                  .label=${title}
                  .data=${topSeries(items, metric)}
                ></crs-usage-chart>
                <p class="small muted" style="margin:10px 0 2px">${t('dash.topTotals')}</p>
                <ol class="small" style="margin:0;padding-left:20px">
                  ${items.map((it) => html`<li><span>${it.name}</span> · <b>${total(it.total)}</b></li>`)}
                </ol>`
      }
    </section>`
  }

  private tops(granularity: 'hour' | 'day') {
    return html`<div class="card-head">
        <h2>${t('dash.top')}</h2>
        <div class="btn-group" role="group" aria-label=${t('dash.topMetric')}>
          ${METRICS.map(
            (
              m,
            ) => html`<button class="btn small" aria-pressed=${this.metric === m ? 'true' : 'false'} @click=${() => updateQuery({ top: m })}>
              ${t(`dash.metric.${m}` as MessageKey)}
            </button>`,
          )}
        </div>
      </div>
      <div class="charts">
        ${this.topCard('top-keys', t('dash.topKeys', { n: TOP_N }), this.topKeys, granularity)}
        ${this.topCard('top-accounts', t('dash.topAccounts', { n: TOP_N }), this.topAccounts, granularity)}
      </div>`
  }

  override render() {
    const { granularity, days } = trendQuery(this.query)
    const data = this.chartData()
    const charts = this.trend
      ? html`<div class="charts" @crs-chart-drawn=${this.onDrawn}>
          <section class="card" aria-labelledby="c-req">
            <h2 id="c-req">${t('dash.chart.requests')}</h2>
            <crs-usage-chart data-testid="chart-requests" .data=${data.requests} .granularity=${granularity} .label=${t('dash.chart.requests')} .yLabel=${t('series.requests')}></crs-usage-chart>
          </section>
          <section class="card" aria-labelledby="c-cost">
            <h2 id="c-cost">${t('dash.chart.cost')}</h2>
            <crs-usage-chart data-testid="chart-cost" .data=${data.cost} kind="cost" .granularity=${granularity} .label=${t('dash.chart.cost')} .yLabel=${t('chart.usd')}></crs-usage-chart>
          </section>
          <section class="card full" aria-labelledby="c-tok">
            <h2 id="c-tok">${t('dash.chart.tokens')}</h2>
            <crs-usage-chart data-testid="chart-tokens" .data=${data.tokens} kind="tokens" .granularity=${granularity} .label=${t('dash.chart.tokens')} .yLabel=${t('series.tokens')}></crs-usage-chart>
          </section>
        </div>`
      : this.trendError
        ? errorBlock(this.trendError, () => this.loadTrend())
        : loadingBlock()
    return html`${this.cards()} ${this.controls(granularity, days)} ${charts} ${this.tops(granularity)}
      <section class="card" aria-labelledby="models-h">
        <h2 id="models-h">${t('dash.models')}</h2>
        ${this.modelTable()}
      </section>`
  }
}

customElements.define('crs-dashboard', CrsDashboard)
declare global {
  interface HTMLElementTagNameMap {
    'crs-dashboard': CrsDashboard
  }
}
