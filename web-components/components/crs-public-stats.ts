import { css, html, type PropertyValues, unsafeCSS } from 'lit'
import { ApiError, api } from '../api/client.ts'
import type {
  BatchKeyStats,
  BatchStats,
  HistoryPage,
  HistorySummary,
  UsageView,
  UserStats,
} from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtCompact, fmtCost, fmtDateTime, fmtInt, fmtMs } from '../lib/format.ts'
import { endpointCell, outcomeCell, timeCell } from '../lib/history-view.ts'
import { LIMIT_CSS, limitMeter, limitRows, limitSummary, resetsOf } from '../lib/key-limits.ts'
import { modelUsageColumns } from '../lib/model-columns.ts'
import { PollingController } from '../lib/polling-controller.ts'
import { updateQuery } from '../lib/route.ts'
import { errorText, toast } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-history-detail.ts'
import './crs-pagination.ts'

type ModelRow = UsageView & { model: string }
const KEY_STORE = 'crs.publicKey'
/** At most this many keys are checked together (as the server allows). */
const MAX_KEYS = 30
const PAGE_SIZES = [20, 50, 100]

/** Styles of the per-key table's cells. */
const CELL_CSS = css`
  .share {
    display: inline-flex;
    align-items: center;
    gap: 6px;
  }
  .share .bar {
    width: 70px;
  }
  ${unsafeCSS(LIMIT_CSS)}
`

/** The keys in a pasted text: one per line (commas and spaces also separate), duplicates once. */
export function keysIn(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).filter(Boolean))]
}

/**
 * @summary The key holder's page: paste one key to see its usage, limits (with reset times),
 * per-model usage and its own request history (paged), or several keys (one per line, up to 30)
 * to see them together: totals, each key's share and limits, and per-model usage. Keys are kept
 * in sessionStorage only (never in the URL).
 */
export class CrsPublicStats extends CrsElement {
  static override properties = {
    query: { attribute: false },
    key: { state: true },
    stats: { state: true },
    batch: { state: true },
    models: { state: true },
    history: { state: true },
    error: { state: true },
    busy: { state: true },
    invalid: { state: true },
    detail: { state: true },
    testing: { state: true },
  }
  static override styles = [
    sharedStyles,
    CELL_CSS,
    css`
      :host {
        display: block;
        max-width: 1100px;
        margin: 0 auto;
      }
      form.lookup {
        display: flex;
        gap: 8px;
        flex-wrap: wrap;
        align-items: flex-end;
      }
      form.lookup .field {
        flex: 1 1 300px;
      }
      form.lookup textarea {
        font-family: var(--crs-mono);
        min-height: 38px;
        /* Keys are secrets: masked like a password field where the browser can. */
        -webkit-text-security: disc;
      }
      section {
        margin-top: 16px;
      }
      .period {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 260px), 1fr));
        gap: 12px;
      }
      .kv {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        font-size: 13px;
      }
      .head-badges {
        display: flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
      }
    `,
  ]
  declare query: Record<string, string>
  declare key: string
  declare stats: UserStats | null
  declare batch: BatchStats | null
  declare models: ModelRow[] | null
  declare history: HistoryPage | null
  declare error: string
  declare busy: boolean
  declare invalid: string
  declare detail: string
  declare testing: boolean

  constructor() {
    super()
    this.query = {}
    this.key = sessionStorage.getItem(KEY_STORE) ?? ''
    this.stats = null
    this.batch = null
    this.models = null
    this.history = null
    this.error = ''
    this.busy = false
    this.invalid = ''
    this.detail = ''
    this.testing = false
    // Reset countdowns of the limits tick.
    new PollingController(this, 1000, () => {
      if (this.stats || this.batch) this.requestUpdate()
    })
  }

  override connectedCallback(): void {
    super.connectedCallback()
    if (this.key) void this.lookup()
  }

  override willUpdate(changed: PropertyValues<this>): void {
    const prev = changed.get('query') as Record<string, string> | undefined
    if (prev && this.stats && (prev.page !== this.query.page || prev.size !== this.query.size))
      void this.loadHistory()
  }

  private get period(): 'daily' | 'monthly' {
    return this.query.period === 'daily' ? 'daily' : 'monthly'
  }

  private get keys(): string[] {
    return keysIn(this.key)
  }

  private get pageSize(): number {
    const n = Number(this.query.size)
    return PAGE_SIZES.includes(n) ? n : 20
  }

  private get pageNo(): number {
    return Math.max(1, Math.floor(Number(this.query.page) || 1))
  }

  private async loadHistory() {
    const key = this.keys[0]
    if (!key) return
    try {
      this.history = await api.keyHistory(key, {
        limit: this.pageSize,
        offset: (this.pageNo - 1) * this.pageSize,
      })
    } catch (err) {
      this.error = errorText(err)
    }
  }

  private async testKey() {
    this.testing = true
    try {
      const r = await api.testKey(this.key.trim())
      if (r.ok) toast(t('stats.testOk', { text: r.text.slice(0, 120) }), 'success')
      else toast(t('stats.testFailed', { error: r.error ?? '' }), 'error')
    } catch (err) {
      toast(errorText(err), 'error')
    } finally {
      this.testing = false
    }
  }

  private async lookup() {
    const keys = this.keys
    const bad = keys.findIndex((k) => !/^\S{8,}$/.test(k) || !k.includes('_'))
    if (keys.length === 0 || bad >= 0) {
      this.invalid =
        keys.length > 1 ? t('stats.invalidKeyN', { n: bad + 1 }) : t('stats.invalidKey')
      return
    }
    if (keys.length > MAX_KEYS) {
      this.invalid = t('stats.tooManyKeys', { n: MAX_KEYS })
      return
    }
    this.invalid = ''
    this.busy = true
    this.error = ''
    try {
      if (keys.length === 1) {
        const key = keys[0]!
        const [stats, models, history] = await Promise.all([
          api.userStats(key),
          api.userModelStats(key, this.period),
          api.keyHistory(key, { limit: this.pageSize, offset: (this.pageNo - 1) * this.pageSize }),
        ])
        this.stats = stats
        this.batch = null
        this.models = models
        this.history = history
      } else {
        const [batch, models] = await Promise.all([
          api.batchStats(keys, this.period),
          api.batchModelStats(keys, this.period),
        ])
        this.batch = batch
        this.stats = null
        this.history = null
        this.models = models
      }
      sessionStorage.setItem(KEY_STORE, keys.join('\n'))
    } catch (err) {
      // The server names the key it refused ("apiKeys[2]: …"): point at it.
      const index =
        err instanceof ApiError && typeof err.details.index === 'number' ? err.details.index : -1
      if (index >= 0)
        this.invalid = t('stats.keyRefused', {
          n: index + 1,
          reason: errorText(err).replace(/^apiKeys\[\d+\]: /, ''),
        })
      else this.error = errorText(err)
      this.stats = null
      this.batch = null
    } finally {
      this.busy = false
    }
  }

  private forget() {
    sessionStorage.removeItem(KEY_STORE)
    this.key = ''
    this.stats = null
    this.batch = null
    this.models = null
    this.history = null
  }

  private async switchPeriod(p: 'daily' | 'monthly') {
    updateQuery({ period: p }, { replace: true })
    const keys = this.keys
    try {
      this.models =
        keys.length > 1 ? await api.batchModelStats(keys, p) : await api.userModelStats(keys[0]!, p)
      if (this.batch) this.batch = await api.batchStats(keys, p)
    } catch (err) {
      this.error = errorText(err)
    }
  }

  private usageCard(label: MessageKey, u: UsageView) {
    return html`<div class="card">
      <div class="stat-label">${t(label)}</div>
      <div class="stat-value">${fmtCost(u.cost)}</div>
      <div class="kv"><span class="muted">${t('common.requests')}</span><span>${fmtInt(u.requests)}</span></div>
      <div class="kv"><span class="muted">${t('series.input')}</span><span>${fmtCompact(u.inputTokens)}</span></div>
      <div class="kv"><span class="muted">${t('series.output')}</span><span>${fmtCompact(u.outputTokens)}</span></div>
      <div class="kv"><span class="muted">${t('series.cacheCreate')}</span><span>${fmtCompact(u.cacheCreateTokens)}</span></div>
      <div class="kv"><span class="muted">${t('series.cacheRead')}</span><span>${fmtCompact(u.cacheReadTokens)}</span></div>
    </div>`
  }

  private modelsCard() {
    const modelCols: Column<ModelRow>[] = [...modelUsageColumns<ModelRow>()]
    return html`<section class="card">
      <div class="page-head">
        <h2>${t('stats.byModel')}</h2>
        <div class="btn-group" role="group">
          ${(['daily', 'monthly'] as const).map(
            (p) =>
              html`<button class="btn small" aria-pressed=${this.period === p ? 'true' : 'false'} @click=${() => this.switchPeriod(p)}>${t(p === 'daily' ? 'stats.today' : 'stats.month')}</button>`,
          )}
        </div>
      </div>
      <crs-data-table .columns=${modelCols} .rows=${this.models ?? []} .rowId=${(r: unknown) => (r as ModelRow).model} .emptyText=${t('stats.noUsage')}></crs-data-table>
    </section>`
  }

  private results(s: UserStats) {
    const now = Date.now()
    const limits = limitRows({
      limits: s.limits,
      resets: resetsOf(s.limits, s.timezoneOffset ?? 0, now),
    })
    const histCols: Column<HistorySummary>[] = [
      {
        key: 'time',
        label: t('hist.time'),
        render: (r) => timeCell(r.startTime),
      },
      {
        key: 'model',
        label: t('common.model'),
        render: (r) => html`<span class="mono small">${r.model}</span>`,
      },
      { key: 'endpoint', label: t('hist.endpoint'), wide: true, render: (r) => endpointCell(r) },
      { key: 'outcome', label: t('hist.outcome'), render: (r) => outcomeCell(r) },
      {
        key: 'tokens',
        label: t('common.tokens'),
        num: true,
        wide: true,
        render: (r) => fmtCompact(r.inputTokens + r.outputTokens),
      },
      {
        key: 'cost',
        label: t('common.cost'),
        num: true,
        render: (r) => fmtCost(r.costNanos / 1e9),
      },
      {
        key: 'duration',
        label: t('hist.duration'),
        num: true,
        wide: true,
        render: (r) => fmtMs(r.durationMs),
      },
    ]
    return html`<section class="card" data-testid="key-info">
        <div class="page-head" style="margin:0">
          <div>
            <h2>${s.name}</h2>
            <div class="small muted">${s.description}</div>
          </div>
          <div class="head-badges">
            <button class="btn small" data-testid="test-key" ?disabled=${this.testing} @click=${() => this.testKey()}>${this.testing ? t('stats.testing') : t('stats.testKey')}</button>
            <span class="badge ${s.isActive ? 'ok' : 'bad'}">${s.isActive ? t('keys.status.active') : t('keys.status.disabled')}</span>
            <span class="badge">${t(`keyDlg.perm.${s.permissions}` as MessageKey)}</span>
            <span class="small muted">${t('stats.expires')}: ${
              s.expirationMode === 'activation' && !s.isActivated
                ? t('stats.notActivated')
                : s.expiresAt
                  ? fmtDateTime(s.expiresAt)
                  : t('common.never')
            }</span>
          </div>
        </div>
      </section>
      <section class="period">
        ${this.usageCard('stats.today', s.usage.daily)} ${this.usageCard('stats.month', s.usage.monthly)} ${this.usageCard('stats.total', s.usage.total)}
      </section>
      <section class="card" data-testid="limits">
        <h2>${t('stats.limits')}</h2>
        ${limits.length ? limits.map((r) => limitMeter(r, now)) : html`<p class="muted">${t('stats.noLimits')}</p>`}
      </section>
      ${this.modelsCard()}
      <section class="card">
        <h2>${t('stats.recent')}</h2>
        <crs-data-table .columns=${histCols} .rows=${this.history?.history ?? []} .emptyText=${t('hist.none')} activatable data-testid="own-history"
          @crs-row-activate=${(e: CustomEvent<HistorySummary>) => this.openDetail(e.detail.id)}></crs-data-table>
        <crs-pagination
          .total=${this.history?.pagination.total ?? 0}
          .page=${this.pageNo}
          .pageSize=${this.pageSize}
          .sizes=${PAGE_SIZES}
          @crs-page=${(e: CustomEvent<{ page: number; pageSize: number }>) =>
            updateQuery(
              { page: String(e.detail.page), size: String(e.detail.pageSize) },
              { replace: true },
            )}
        ></crs-pagination>
      </section>
      ${
        this.detail
          ? html`<crs-history-detail readonly .recordId=${this.detail} @crs-close=${() => {
              this.detail = ''
            }}></crs-history-detail>`
          : ''
      }`
  }

  private batchResults(b: BatchStats) {
    const now = Date.now()
    const cols: Column<BatchKeyStats>[] = [
      {
        key: 'name',
        label: t('keys.col.name'),
        render: (k) => html`<b>${k.name}</b>
          ${k.isActive ? '' : html`<span class="badge bad">${t('keys.status.disabled')}</span>`}`,
      },
      {
        key: 'requests',
        label: t('common.requests'),
        num: true,
        render: (k) => fmtInt(k.periodUsage.requests),
      },
      {
        key: 'tokens',
        label: t('common.tokens'),
        num: true,
        wide: true,
        render: (k) => fmtCompact(k.periodUsage.allTokens),
      },
      {
        key: 'cost',
        label: t('common.cost'),
        num: true,
        render: (k) => fmtCost(k.periodUsage.cost),
      },
      {
        key: 'share',
        label: t('stats.share'),
        wide: true,
        render: (k) =>
          html`<span class="share"><span class="bar"><i style="width:${(k.share * 100).toFixed(1)}%"></i></span><span class="small">${(k.share * 100).toFixed(1)}%</span></span>`,
      },
      {
        key: 'limits',
        label: t('keys.col.limits'),
        render: (k) => {
          const rows = limitRows({
            limits: k.limits,
            resets: resetsOf(k.limits, b.timezoneOffset ?? 0, now),
          })
          return rows[0]
            ? html`${limitSummary(rows[0], now)}${rows.length > 1 ? html` <span class="badge">+${rows.length - 1}</span>` : ''}`
            : html`<span class="muted small">${t('common.unlimited')}</span>`
        },
      },
    ]
    const u = b.aggregated.usage
    return html`<section class="card" data-testid="batch-info">
        <h2>${t('stats.batchTitle', { n: b.keyCount })}</h2>
        <p class="small muted" style="margin:4px 0 0">${t('stats.batchIntro')}</p>
      </section>
      <section class="period">
        ${this.usageCard('stats.today', u.daily)} ${this.usageCard('stats.month', u.monthly)} ${this.usageCard('stats.total', u.total)}
      </section>
      <section class="card">
        <h2>${t('stats.perKey', { period: t(b.period === 'daily' ? 'stats.today' : b.period === 'monthly' ? 'stats.month' : 'stats.total') })}</h2>
        <crs-data-table data-testid="batch-keys" nowrap .columns=${cols} .rows=${b.individual}></crs-data-table>
      </section>
      ${this.modelsCard()}`
  }

  private async openDetail(id: string) {
    this.detail = id
    await this.updateComplete
    const el = this.renderRoot.querySelector('crs-history-detail')
    if (!el) return
    try {
      el.record = await api.keyHistoryRecord(this.keys[0]!, id)
    } catch (err) {
      el.error = err
    }
  }

  override render() {
    const n = this.keys.length
    return html`<div class="page-head"><h1>${t('stats.title')}</h1></div>
      <form class="card lookup" novalidate @submit=${(e: Event) => {
        e.preventDefault()
        void this.lookup()
      }}>
        <p class="grow" style="margin:0 0 4px;flex-basis:100%">${t('stats.intro')}</p>
        <label class="field"><span>${t('stats.keys')}</span>
          <textarea name="apiKey" data-testid="public-key" rows=${Math.min(6, Math.max(1, this.key.split('\n').length))}
            autocomplete="off" spellcheck="false" placeholder="cr_…"
            .value=${this.key} aria-invalid=${this.invalid ? 'true' : 'false'} aria-describedby="key-hint"
            @input=${(e: Event) => {
              this.key = (e.target as HTMLTextAreaElement).value
            }}
            @keydown=${(e: KeyboardEvent) => {
              if (e.key === 'Enter' && !e.shiftKey && this.keys.length <= 1) {
                e.preventDefault()
                void this.lookup()
              }
            }}></textarea>
          <span class="hint" id="key-hint">${n > 1 ? t('stats.keysCount', { n }) : t('stats.keysHint', { n: MAX_KEYS })}</span>
          ${this.invalid ? html`<span class="field-error" role="alert">${this.invalid}</span>` : ''}</label>
        <button class="btn primary" type="submit" ?disabled=${this.busy}>${this.busy ? html`<span class="spinner"></span>` : ''}${t('stats.lookup')}</button>
        ${this.stats || this.batch ? html`<button class="btn" type="button" @click=${this.forget}>${t('stats.forget')}</button>` : ''}
      </form>
      ${this.error ? html`<p class="callout error" role="alert" style="margin-top:12px">${this.error}</p>` : ''}
      ${this.stats ? this.results(this.stats) : this.batch ? this.batchResults(this.batch) : ''}`
  }
}

customElements.define('crs-public-stats', CrsPublicStats)
declare global {
  interface HTMLElementTagNameMap {
    'crs-public-stats': CrsPublicStats
  }
}
