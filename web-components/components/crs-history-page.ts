import { css, html, nothing, type PropertyValues } from 'lit'
import { api } from '../api/client.ts'
import type { Account, ApiKey, HistoryPage, HistoryStats, HistorySummary } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { saveBlob } from '../lib/download.ts'
import { fmtCompact, fmtCost, fmtInt, fmtMs, fromLocalInput, toLocalInput } from '../lib/format.ts'
import {
  endpointCell,
  outcomeCell,
  platformName,
  streamCell,
  timeCell,
} from '../lib/history-view.ts'
import { icon } from '../lib/icons.ts'
import { updateQuery } from '../lib/route.ts'
import { errorText, toast, toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-dialog.ts'
import './crs-history-detail.ts'
import './crs-pagination.ts'
import './crs-usage-chart.ts'

const RANGES: Record<string, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
}

/** API filters for the page's query parameters (times resolved now). */
export function historyFilter(
  q: Record<string, string>,
  now = Date.now(),
): Record<string, string | number> {
  const f: Record<string, string | number> = {}
  const range = q.range ?? '24h'
  if (range === 'custom') {
    const from = Number(q.from)
    const to = Number(q.to)
    if (Number.isFinite(from) && from > 0) f.from = from
    if (Number.isFinite(to) && to > 0) f.to = to
  } else {
    f.from = now - (RANGES[range] ?? RANGES['24h']!)
    f.to = now + 60_000
  }
  if (q.key) f.apiKeyId = q.key
  if (q.account) f.accountId = q.account
  if (q.model) f.model = q.model
  if (q.status) f.status = q.status
  if (q.q) f.q = q.q
  return f
}

type Bucket = NonNullable<HistoryStats['series']>[number]

/** The series with empty buckets added over the filtered range (so a single bucket still charts). */
export function fillBuckets(
  series: Bucket[],
  f: Record<string, string | number>,
  step: number,
): Bucket[] {
  if (!series.length) return series
  const byT = new Map(series.map((b) => [b.t, b]))
  const anchor = series[0]!.t
  const from = typeof f.from === 'number' ? f.from : anchor
  const to = typeof f.to === 'number' ? f.to : series[series.length - 1]!.t + step
  const start = anchor - Math.ceil((anchor - from) / step) * step
  const out: Bucket[] = []
  for (let t = start; t < to && out.length < 2000; t += step)
    out.push(
      byT.get(t) ?? {
        t,
        requests: 0,
        errors: 0,
        billable: 0,
        billableFailed: 0,
        tokens: 0,
        costNanos: 0,
        time: new Date(t).toISOString(),
        cost: 0,
      },
    )
  return out
}

/**
 * @summary Request history: filters (range, key, account, model, outcome, text), exact total and
 * paging, statistics and charts of the selection, detail panel, export and cleanup.
 */
export class CrsHistoryPage extends CrsElement {
  static override properties = {
    query: { attribute: false },
    page: { state: true },
    stats: { state: true },
    loading: { state: true },
    error: { state: true },
    statsError: { state: true },
    keys: { state: true },
    accounts: { state: true },
    cleanup: { state: true },
    cleanupBefore: { state: true },
    cleanupText: { state: true },
    exporting: { state: true },
    cleanupError: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      select,
      input[type='datetime-local'] {
        width: auto;
        max-width: 100%;
      }
      .q {
        flex: 1 1 200px;
      }
      .stats {
        margin-bottom: 16px;
      }
      .charts {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr));
        gap: 16px;
        margin-bottom: 16px;
      }
      .total {
        font-weight: 600;
      }
    `,
  ]
  declare query: Record<string, string>
  declare page: HistoryPage | null
  declare stats: HistoryStats | null
  declare loading: boolean
  declare error: unknown
  declare statsError: unknown
  declare keys: ApiKey[]
  declare accounts: Account[]
  declare cleanup: boolean
  declare cleanupBefore: string
  declare cleanupText: string
  declare exporting: boolean
  declare cleanupError: string
  private seq = 0
  private textTimer: ReturnType<typeof setTimeout> | null = null

  constructor() {
    super()
    this.query = {}
    this.page = null
    this.stats = null
    this.loading = false
    this.error = null
    this.statsError = null
    this.keys = []
    this.accounts = []
    this.cleanup = false
    this.cleanupBefore = toLocalInput(Date.now() - 30 * 86_400_000)
    this.cleanupText = ''
    this.exporting = false
    this.cleanupError = ''
  }

  override connectedCallback(): void {
    super.connectedCallback()
    Promise.all([
      api.keys({ pageSize: 500, sortBy: 'name', sortOrder: 'asc' }),
      api.accounts('claude-oauth'),
      api.accounts('claude-console'),
    ])
      .then(([k, o, c]) => {
        this.keys = k.items
        this.accounts = [...o, ...c]
      })
      .catch(toastError)
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('query')) return
    const prev = (changed.get('query') ?? null) as Record<string, string> | null
    const { sel: _s, ...now } = this.query
    const { sel: _p, ...before } = prev ?? {}
    if (!prev || JSON.stringify(now) !== JSON.stringify(before)) void this.load()
  }

  private granularity(): 'hour' | 'day' {
    const r = this.query.range ?? '24h'
    if (r === '7d' || r === '30d') return 'day'
    if (r === 'custom')
      return Number(this.query.to) - Number(this.query.from) > 3 * 86_400_000 ? 'day' : 'hour'
    return 'hour'
  }

  async load() {
    const seq = ++this.seq
    const q = this.query
    const filter = historyFilter(q)
    const size = Number(q.size ?? 50)
    const pageNo = Number(q.page ?? 1)
    this.loading = true
    const list = api.history({ ...filter, limit: size, offset: (pageNo - 1) * size })
    const stats = api.historyStats({ ...filter, granularity: this.granularity() })
    try {
      const page = await list
      if (seq !== this.seq) return
      this.page = page
      this.error = null
    } catch (err) {
      if (seq === this.seq) this.error = err
    } finally {
      if (seq === this.seq) this.loading = false
    }
    try {
      const s = await stats
      if (seq !== this.seq) return
      this.stats = s
      this.statsError = null
    } catch (err) {
      if (seq === this.seq) this.statsError = err
    }
  }

  private async exportAs(format: 'csv' | 'jsonl') {
    this.exporting = true
    try {
      const { blob, filename } = await api.exportHistory(historyFilter(this.query), format)
      saveBlob(blob, filename)
      toast(t('hist.exported'), 'success')
    } catch (err) {
      toastError(err)
    } finally {
      this.exporting = false
    }
  }

  private async runCleanup(e: Event) {
    e.preventDefault()
    const before = fromLocalInput(this.cleanupBefore)
    if (!Number.isFinite(before) || this.cleanupText.trim() !== 'DELETE') return
    try {
      const r = await api.cleanupHistory(new Date(before).toISOString())
      toast(t('hist.cleanupDone', { n: r.deleted }), 'success')
      this.cleanup = false
      this.cleanupText = ''
      await this.load()
    } catch (err) {
      this.cleanupError = errorText(err)
    }
  }

  private columns(): Column<HistorySummary>[] {
    return [
      {
        key: 'time',
        label: t('hist.time'),
        render: (r) => timeCell(r.startTime),
      },
      {
        key: 'key',
        label: t('hist.key'),
        render: (r) =>
          r.keyName
            ? html`<span class="clip" title=${r.keyName}>${r.keyName}</span>`
            : html`<span class="muted">—</span>`,
      },
      {
        key: 'account',
        label: t('hist.account'),
        wide: true,
        render: (r) =>
          r.accountName
            ? html`<span class="clip" title=${r.platform ? `${r.accountName} · ${platformName(r.platform)}` : r.accountName}>${r.accountName}</span>`
            : html`<span class="muted">—</span>`,
      },
      {
        key: 'model',
        label: t('common.model'),
        wide: true,
        render: (r) => html`<span class="mono small clip" title=${r.model}>${r.model}</span>`,
      },
      {
        key: 'endpoint',
        label: t('hist.endpoint'),
        wide: true,
        render: (r) => endpointCell(r),
      },
      {
        key: 'stream',
        label: t('hist.stream'),
        wide: true,
        render: (r) => streamCell(r),
      },
      {
        key: 'outcome',
        label: t('hist.outcome'),
        render: (r) => outcomeCell(r),
      },
      {
        key: 'tokens',
        label: t('hist.inOut'),
        num: true,
        wide: true,
        render: (r) =>
          html`<span title=${`${t('series.input')} ${fmtInt(r.inputTokens)} · ${t('series.output')} ${fmtInt(r.outputTokens)}`}>${fmtCompact(r.inputTokens)} / ${fmtCompact(r.outputTokens)}</span>`,
      },
      {
        key: 'cost',
        label: t('common.cost'),
        num: true,
        wide: true,
        render: (r) => fmtCost(r.costNanos / 1e9),
      },
      {
        key: 'duration',
        label: t('hist.duration'),
        num: true,
        wide: true,
        render: (r) => html`<span class="nowrap">${fmtMs(r.durationMs)}</span>`,
      },
    ]
  }

  private filters() {
    const q = this.query
    const range = q.range ?? '24h'
    const models = Object.keys(this.stats?.modelStats ?? {})
    return html`<div class="toolbar" role="search">
      <label class="field"
        ><span>${t('hist.range')}</span>
        <select data-testid="hist-range" @change=${(e: Event) => {
          const v = (e.target as HTMLSelectElement).value
          updateQuery(
            v === 'custom'
              ? {
                  range: v,
                  from: String(Date.now() - 86_400_000),
                  to: String(Date.now()),
                  page: undefined,
                }
              : { range: v, from: undefined, to: undefined, page: undefined },
          )
        }}>
          ${['1h', '24h', '7d', '30d', 'custom'].map((r) => html`<option value=${r} ?selected=${range === r}>${t(`hist.range.${r}` as MessageKey)}</option>`)}
        </select></label
      >
      ${
        range === 'custom'
          ? html`<label class="field"><span>${t('common.from')}</span><input type="datetime-local" .value=${q.from ? toLocalInput(Number(q.from)) : ''}
                @change=${(e: Event) => updateQuery({ from: String(fromLocalInput((e.target as HTMLInputElement).value) || ''), page: undefined })} /></label>
              <label class="field"><span>${t('common.to')}</span><input type="datetime-local" .value=${q.to ? toLocalInput(Number(q.to)) : ''}
                @change=${(e: Event) => updateQuery({ to: String(fromLocalInput((e.target as HTMLInputElement).value) || ''), page: undefined })} /></label>`
          : ''
      }
      <label class="field"
        ><span>${t('hist.key')}</span>
        <select data-testid="hist-key" @change=${(e: Event) => updateQuery({ key: (e.target as HTMLSelectElement).value, page: undefined })}>
          <option value="">${t('common.all')}</option>
          ${this.keys.map((k) => html`<option value=${k.id} ?selected=${q.key === k.id}>${k.name}</option>`)}
        </select></label
      >
      <label class="field"
        ><span>${t('hist.account')}</span>
        <select @change=${(e: Event) => updateQuery({ account: (e.target as HTMLSelectElement).value, page: undefined })}>
          <option value="">${t('common.all')}</option>
          ${this.accounts.map((a) => html`<option value=${a.id} ?selected=${q.account === a.id}>${a.name}</option>`)}
        </select></label
      >
      <label class="field"
        ><span>${t('common.model')}</span>
        <input list="models" .value=${q.model ?? ''} @change=${(e: Event) => updateQuery({ model: (e.target as HTMLInputElement).value.trim(), page: undefined })} />
        <datalist id="models">${models.map((m) => html`<option value=${m}></option>`)}</datalist></label
      >
      <label class="field"
        ><span>${t('hist.outcome')}</span>
        <select data-testid="hist-status" @change=${(e: Event) => updateQuery({ status: (e.target as HTMLSelectElement).value, page: undefined })}>
          <option value="">${t('common.all')}</option>
          ${(['success', 'error', 'aborted', 'rejected'] as const).map((s) => html`<option value=${s} ?selected=${q.status === s}>${t(`hist.outcome.${s}`)}</option>`)}
        </select></label
      >
      <label class="field q"
        ><span>${t('hist.text')}</span>
        <input type="search" data-testid="hist-q" .value=${q.q ?? ''} @input=${(e: Event) => {
          const v = (e.target as HTMLInputElement).value
          if (this.textTimer) clearTimeout(this.textTimer)
          this.textTimer = setTimeout(
            () => updateQuery({ q: v, page: undefined }, { replace: true }),
            350,
          )
        }} /></label
      >
      <button class="btn" @click=${() => this.load()}>${icon('refresh')}${t('common.refresh')}</button>
    </div>`
  }

  private statsView() {
    const s = this.stats
    if (!s) return ''
    const rate = s.requests ? ((s.requests - s.requestsFailed) / s.requests) * 100 : 0
    const gran = this.granularity()
    const series = fillBuckets(
      s.series ?? [],
      historyFilter(this.query),
      gran === 'day' ? 86_400_000 : 3_600_000,
    )
    const card = (label: string, value: string, note: unknown = '', testid = '') =>
      html`<div class="card" data-testid=${testid || nothing}><div class="stat-label">${label}</div><div class="stat-value">${value}</div>${note ? html`<div class="small muted">${note}</div>` : ''}</div>`
    const apart = [
      t('dash.failed', { n: fmtInt(s.requestsFailed) }),
      t('dash.rejected', { n: fmtInt(s.rejected) }),
      ...(s.countTokens ? [t('dash.countTokens', { n: fmtInt(s.countTokens) })] : []),
    ].join(' · ')
    return html`<section aria-label=${t('hist.stats')}>
      <div class="grid-cards stats">
        ${card(t('common.requests'), fmtInt(s.requests), html`<span title=${t('dash.requestsDef')}>${apart}</span>`, 'hist-requests')}
        ${card(t('hist.successRate'), `${rate.toFixed(1)}%`)}
        ${card(t('common.tokens'), fmtCompact(s.totalTokens))}
        ${card(t('common.cost'), fmtCost(s.totalCost))}
        ${card(t('hist.avgDuration'), fmtMs(s.avgDuration))}
        ${card(t('hist.avgTtfb'), fmtMs(s.avgTtfb))}
      </div>
      ${
        series.length
          ? html`<div class="charts">
              <div class="card"><h2>${t('dash.chart.requests')}</h2>
                <crs-usage-chart .height=${180} .granularity=${gran} .label=${t('dash.chart.requests')} .yLabel=${t('series.requests')} .data=${{
                  x: series.map((p) => p.t),
                  series: [
                    {
                      label: t('series.requests'),
                      values: series.map((p) => p.billable),
                      color: '--crs-chart-1',
                    },
                    {
                      label: t('series.failed'),
                      values: series.map((p) => p.billableFailed),
                      color: '--crs-chart-2',
                    },
                  ],
                }}></crs-usage-chart></div>
              <div class="card"><h2>${t('dash.chart.cost')}</h2>
                <crs-usage-chart .height=${180} kind="cost" .granularity=${gran} .label=${t('dash.chart.cost')} .yLabel=${t('chart.usd')} .data=${{
                  x: series.map((p) => p.t),
                  series: [
                    {
                      label: t('series.cost'),
                      values: series.map((p) => p.cost),
                      color: '--crs-chart-3',
                    },
                  ],
                }}></crs-usage-chart></div>
            </div>`
          : ''
      }
    </section>`
  }

  override render() {
    const q = this.query
    const total = this.page?.pagination.total ?? 0
    return html`<div class="page-head">
        <h1>${t('hist.title')}</h1>
        <div class="row">
          <button class="btn" data-testid="export-csv" ?disabled=${this.exporting} @click=${() => this.exportAs('csv')}>${icon('download')}${t('hist.exportCsv')}</button>
          <button class="btn" data-testid="export-jsonl" ?disabled=${this.exporting} @click=${() => this.exportAs('jsonl')}>${icon('download')}${t('hist.exportJsonl')}</button>
          <button class="btn danger" data-testid="cleanup" @click=${() => {
            this.cleanup = true
          }}>${icon('trash')}${t('hist.cleanup')}</button>
        </div>
      </div>
      ${this.filters()}
      ${this.statsError ? html`<p class="callout error" role="alert">${String((this.statsError as Error).message ?? this.statsError)}</p>` : this.statsView()}
      <p class="total" data-testid="hist-total" aria-live="polite">${this.page ? t('hist.total', { n: fmtInt(total) }) : ''}</p>
      <crs-data-table
        data-testid="history-table"
        nowrap
        .columns=${this.columns()}
        .rows=${this.page?.history ?? []}
        .loading=${this.loading}
        .error=${this.error}
        .emptyText=${t('hist.none')}
        .caption=${t('hist.title')}
        activatable
        @crs-row-activate=${(e: CustomEvent<HistorySummary>) => updateQuery({ sel: e.detail.id })}
        @crs-retry=${() => this.load()}
      ></crs-data-table>
      <crs-pagination
        .total=${total}
        .page=${Number(q.page ?? 1)}
        .pageSize=${Number(q.size ?? 50)}
        .sizes=${[20, 50, 100, 200]}
        @crs-page=${(e: CustomEvent<{ page: number; pageSize: number }>) => updateQuery({ page: String(e.detail.page), size: String(e.detail.pageSize) })}
      ></crs-pagination>
      ${
        q.sel
          ? html`<crs-history-detail .recordId=${q.sel} @crs-close=${() => updateQuery({ sel: undefined })} @crs-deleted=${() => {
              updateQuery({ sel: undefined })
              void this.load()
            }}></crs-history-detail>`
          : ''
      }
      ${
        this.cleanup
          ? html`<crs-dialog open .heading=${t('hist.cleanupTitle')} .error=${this.cleanupError} .dirty=${!!this.cleanupText} @crs-close=${() => {
              this.cleanup = false
              this.cleanupText = ''
              this.cleanupError = ''
            }}>
              <form id="cleanup-form" class="stack" novalidate @submit=${this.runCleanup}>
                <label class="field"><span>${t('hist.cleanupBefore')}</span>
                  <input type="datetime-local" required .value=${this.cleanupBefore} @input=${(
                    e: Event,
                  ) => {
                    this.cleanupBefore = (e.target as HTMLInputElement).value
                  }} /></label>
                <label class="field"><span>${t('hist.cleanupConfirm')}</span>
                  <input name="confirm" autocomplete="off" .value=${this.cleanupText} @input=${(
                    e: Event,
                  ) => {
                    this.cleanupText = (e.target as HTMLInputElement).value
                  }} /></label>
              </form>
              <button slot="footer" class="btn" data-close>${t('common.cancel')}</button>
              <button slot="footer" class="btn danger solid" type="submit" form="cleanup-form" data-testid="cleanup-confirm"
                ?disabled=${this.cleanupText.trim() !== 'DELETE' || !Number.isFinite(fromLocalInput(this.cleanupBefore))}>${t('common.delete')}</button>
            </crs-dialog>`
          : ''
      }`
  }
}

customElements.define('crs-history-page', CrsHistoryPage)
declare global {
  interface HTMLElementTagNameMap {
    'crs-history-page': CrsHistoryPage
  }
}
