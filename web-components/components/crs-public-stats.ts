import { css, html } from 'lit'
import { api } from '../api/client.ts'
import type { HistoryPage, HistorySummary, UsageView, UserStats } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtCompact, fmtCost, fmtCountdown, fmtDateTime, fmtInt, fmtMs } from '../lib/format.ts'
import { modelUsageColumns } from '../lib/model-columns.ts'
import { updateQuery } from '../lib/route.ts'
import { errorText, toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-history-detail.ts'
import { OUTCOME_BADGE } from './crs-history-page.ts'

type ModelRow = UsageView & { model: string }
const KEY_STORE = 'crs.publicKey'

/**
 * @summary The key holder's page: paste a key to see its usage, limits, per-model usage and own
 * request history. The key is kept in sessionStorage only (never in the URL).
 */
export class CrsPublicStats extends CrsElement {
  static override properties = {
    query: { attribute: false },
    key: { state: true },
    stats: { state: true },
    models: { state: true },
    history: { state: true },
    error: { state: true },
    busy: { state: true },
    invalid: { state: true },
    detail: { state: true },
  }
  static override styles = [
    sharedStyles,
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
      .limit {
        display: grid;
        grid-template-columns: minmax(120px, 180px) 1fr auto;
        gap: 10px;
        align-items: center;
        padding: 6px 0;
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
    `,
  ]
  declare query: Record<string, string>
  declare key: string
  declare stats: UserStats | null
  declare models: ModelRow[] | null
  declare history: HistoryPage | null
  declare error: string
  declare busy: boolean
  declare invalid: boolean
  declare detail: string

  constructor() {
    super()
    this.query = {}
    this.key = sessionStorage.getItem(KEY_STORE) ?? ''
    this.stats = null
    this.models = null
    this.history = null
    this.error = ''
    this.busy = false
    this.invalid = false
    this.detail = ''
  }

  override connectedCallback(): void {
    super.connectedCallback()
    if (this.key) void this.lookup()
  }

  private get period(): 'daily' | 'monthly' {
    return this.query.period === 'daily' ? 'daily' : 'monthly'
  }

  private async lookup() {
    const key = this.key.trim()
    if (!/^\S{8,}$/.test(key) || !key.includes('_')) {
      this.invalid = true
      return
    }
    this.invalid = false
    this.busy = true
    this.error = ''
    try {
      const [stats, models, history] = await Promise.all([
        api.userStats(key),
        api.userModelStats(key, this.period),
        api.keyHistory(key, { limit: 20 }),
      ])
      this.stats = stats
      this.models = models
      this.history = history
      sessionStorage.setItem(KEY_STORE, key)
    } catch (err) {
      this.error = errorText(err)
      this.stats = null
    } finally {
      this.busy = false
    }
  }

  private forget() {
    sessionStorage.removeItem(KEY_STORE)
    this.key = ''
    this.stats = null
    this.models = null
    this.history = null
  }

  private limitRow(label: MessageKey, current: number, limit: number, fmt: (n: number) => string) {
    if (!limit) return ''
    const pct = Math.min(100, (current / limit) * 100)
    const cls = pct >= 90 ? 'bad' : pct >= 70 ? 'warn' : ''
    return html`<div class="limit">
      <span>${t(label)}</span>
      <div class="bar" role="meter" aria-label=${t(label)} aria-valuenow=${Math.round(pct)} aria-valuemin="0" aria-valuemax="100"><i class=${cls} style="width:${pct}%"></i></div>
      <span class="small nowrap">${fmt(current)} / ${fmt(limit)}</span>
    </div>`
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

  private results(s: UserStats) {
    const l = s.limits
    const usd = (n: number) => fmtCost(n)
    const limits = [
      this.limitRow('stats.concurrency', l.currentConcurrency, l.concurrencyLimit, fmtInt),
      this.limitRow('stats.windowRequests', l.currentWindowRequests, l.rateLimitRequests, fmtInt),
      this.limitRow('stats.windowTokens', l.currentWindowTokens, l.tokenLimit, fmtCompact),
      this.limitRow('stats.windowCost', l.currentWindowCost, l.rateLimitCost, usd),
      this.limitRow('stats.dailyCost', l.currentDailyCost, l.dailyCostLimit, usd),
      this.limitRow('stats.totalCost', l.currentTotalCost, l.totalCostLimit, usd),
      this.limitRow('stats.opusCost', l.weeklyOpusCost, l.weeklyOpusCostLimit, usd),
    ].filter((x) => x !== '')
    const modelCols: Column<ModelRow>[] = [...modelUsageColumns<ModelRow>()]
    const histCols: Column<HistorySummary>[] = [
      {
        key: 'time',
        label: t('hist.time'),
        render: (r) => html`<span class="small nowrap">${fmtDateTime(r.startTime)}</span>`,
      },
      {
        key: 'model',
        label: t('common.model'),
        render: (r) => html`<span class="mono small">${r.model}</span>`,
      },
      {
        key: 'outcome',
        label: t('hist.outcome'),
        render: (r) =>
          html`<span class="badge ${OUTCOME_BADGE[r.outcome]}">${t(`hist.outcome.${r.outcome}` as MessageKey)}</span>`,
      },
      {
        key: 'tokens',
        label: t('common.tokens'),
        num: true,
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
          <div class="row">
            <span class="badge ${s.isActive ? 'ok' : 'bad'}">${s.isActive ? t('keys.status.active') : t('keys.status.disabled')}</span>
            <span class="badge">${s.permissions}</span>
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
      <section class="card">
        <h2>${t('stats.limits')}</h2>
        ${limits.length ? limits : html`<p class="muted">${t('stats.noLimits')}</p>`}
        ${l.windowRemainingSeconds > 0 ? html`<p class="small muted" role="timer">${t('stats.windowResets', { t: fmtCountdown(l.windowRemainingSeconds * 1000) })}</p>` : ''}
      </section>
      <section class="card">
        <div class="page-head">
          <h2>${t('stats.byModel')}</h2>
          <div class="btn-group" role="group">
            ${(['daily', 'monthly'] as const).map(
              (p) =>
                html`<button class="btn small" aria-pressed=${this.period === p ? 'true' : 'false'} @click=${async () => {
                  updateQuery({ period: p }, { replace: true })
                  try {
                    this.models = await api.userModelStats(this.key.trim(), p)
                  } catch (err) {
                    toastError(err)
                  }
                }}>${t(p === 'daily' ? 'stats.today' : 'stats.month')}</button>`,
            )}
          </div>
        </div>
        <crs-data-table .columns=${modelCols} .rows=${this.models ?? []} .rowId=${(r: unknown) => (r as ModelRow).model}></crs-data-table>
      </section>
      <section class="card">
        <h2>${t('stats.recent')}</h2>
        <p class="small muted">${t('hist.total', { n: fmtInt(this.history?.pagination.total ?? 0) })}</p>
        <crs-data-table .columns=${histCols} .rows=${this.history?.history ?? []} .emptyText=${t('hist.none')} activatable
          @crs-row-activate=${(e: CustomEvent<HistorySummary>) => this.openDetail(e.detail.id)}></crs-data-table>
      </section>
      ${
        this.detail
          ? html`<crs-history-detail readonly .recordId=${this.detail} @crs-close=${() => {
              this.detail = ''
            }}></crs-history-detail>`
          : ''
      }`
  }

  private async openDetail(id: string) {
    this.detail = id
    await this.updateComplete
    const el = this.renderRoot.querySelector('crs-history-detail')
    if (!el) return
    try {
      el.record = await api.keyHistoryRecord(this.key.trim(), id)
    } catch (err) {
      toastError(err)
      this.detail = ''
    }
  }

  override render() {
    return html`<div class="page-head"><h1>${t('stats.title')}</h1></div>
      <form class="card lookup" novalidate @submit=${(e: Event) => {
        e.preventDefault()
        void this.lookup()
      }}>
        <p class="grow" style="margin:0 0 4px;flex-basis:100%">${t('stats.intro')}</p>
        <label class="field"><span>${t('stats.key')}</span>
          <input name="apiKey" data-testid="public-key" type="password" autocomplete="off" spellcheck="false" placeholder="cr_…"
            .value=${this.key} aria-invalid=${this.invalid ? 'true' : 'false'} @input=${(
              e: Event,
            ) => {
              this.key = (e.target as HTMLInputElement).value
            }} />
          ${this.invalid ? html`<span class="field-error">${t('stats.invalidKey')}</span>` : ''}</label>
        <button class="btn primary" type="submit" ?disabled=${this.busy}>${this.busy ? html`<span class="spinner"></span>` : ''}${t('stats.lookup')}</button>
        ${this.stats ? html`<button class="btn" type="button" @click=${this.forget}>${t('stats.forget')}</button>` : ''}
      </form>
      ${this.error ? html`<p class="callout error" role="alert" style="margin-top:12px">${this.error}</p>` : ''}
      ${this.stats ? this.results(this.stats) : ''}`
  }
}

customElements.define('crs-public-stats', CrsPublicStats)
declare global {
  interface HTMLElementTagNameMap {
    'crs-public-stats': CrsPublicStats
  }
}
