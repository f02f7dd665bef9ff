import { css, html } from 'lit'
import { api } from '../api/client.ts'
import type { Account, AccountUsageStats, ModelStat, UsageView } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { costSeries, requestsAndTokens } from '../lib/chart-data.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtCompact, fmtCost, fmtInt } from '../lib/format.ts'
import { modelUsageColumns } from '../lib/model-columns.ts'
import { errorBlock, loadingBlock } from '../lib/states.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-dialog.ts'
import './crs-usage-chart.ts'

/** The ranges the dialog offers: days and bucket size. */
const RANGES = {
  '24h': { days: 1, granularity: 'hour' },
  '7d': { days: 7, granularity: 'hour' },
  '30d': { days: 30, granularity: 'day' },
} as const
type Range = keyof typeof RANGES

/**
 * @summary Usage of one account: today, this month and in total; requests and tokens (each on its
 * own axis) and cost over 24 hours, 7 or 30 days; and its usage per model today or this month.
 * @event crs-close - The dialog was closed.
 */
export class CrsAccountUsageDialog extends CrsElement {
  static override properties = {
    account: { attribute: false },
    range: { state: true },
    period: { state: true },
    stats: { state: true },
    models: { state: true },
    error: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      .head {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        justify-content: space-between;
        gap: 8px;
      }
      .kv {
        display: flex;
        justify-content: space-between;
        gap: 8px;
        font-size: 13px;
      }
    `,
  ]
  declare account: Account | null
  declare range: Range
  declare period: 'daily' | 'monthly'
  declare stats: AccountUsageStats | null
  declare models: ModelStat[] | null
  declare error: unknown

  constructor() {
    super()
    this.account = null
    this.range = '24h'
    this.period = 'daily'
    this.stats = null
    this.models = null
    this.error = null
  }

  override firstUpdated(): void {
    void this.load()
  }

  private async load() {
    const a = this.account
    if (!a) return
    this.error = null
    const r = RANGES[this.range]
    try {
      const [stats, models] = await Promise.all([
        api.accountUsageStats(a.id, { days: r.days, granularity: r.granularity }),
        api.accountModelStats(a.id, this.period),
      ])
      this.stats = stats
      this.models = models
    } catch (err) {
      this.error = err
    }
  }

  private card(label: MessageKey, u: UsageView, testid: string) {
    return html`<div class="card" data-testid=${testid}>
      <div class="stat-label">${t(label)}</div>
      <div class="stat-value">${fmtCost(u.cost)}</div>
      <div class="kv"><span class="muted">${t('common.requests')}</span><span>${fmtInt(u.requests)}</span></div>
      <div class="kv"><span class="muted">${t('series.failed')}</span><span>${fmtInt(u.errorRequests)}</span></div>
      <div class="kv"><span class="muted">${t('common.tokens')}</span><span>${fmtCompact(u.allTokens)}</span></div>
    </div>`
  }

  private toggle<T extends string>(
    label: string,
    options: readonly T[],
    current: T,
    name: (o: T) => string,
    pick: (o: T) => void,
  ) {
    return html`<div class="btn-group" role="group" aria-label=${label}>
      ${options.map(
        (o) =>
          html`<button class="btn small" aria-pressed=${o === current ? 'true' : 'false'} @click=${() => {
            pick(o)
            void this.load()
          }}>${name(o)}</button>`,
      )}
    </div>`
  }

  private body(s: AccountUsageStats) {
    const gran = RANGES[this.range].granularity
    const cols: Column<ModelStat>[] = [...modelUsageColumns<ModelStat>()]
    return html`<div class="stack">
      <div class="grid-cards">
        ${this.card('stats.today', s.today, 'acct-today')} ${this.card('stats.month', s.month, 'acct-month')}
        ${this.card('stats.total', s.total, 'acct-total')}
      </div>
      <div class="head">
        <h3>${t('acc.usageOver')}</h3>
        ${this.toggle(
          t('dash.range'),
          Object.keys(RANGES) as Range[],
          this.range,
          (r) => t(`hist.range.${r}` as MessageKey),
          (r) => {
            this.range = r
          },
        )}
      </div>
      <crs-usage-chart
        .granularity=${gran}
        .height=${200}
        .label=${t('dash.chart.requests')}
        .yLabel=${t('series.requests')}
        .y2Label=${t('series.tokens')}
        .data=${requestsAndTokens(s.series)}
      ></crs-usage-chart>
      <crs-usage-chart
        .granularity=${gran}
        kind="cost"
        .height=${150}
        .label=${t('series.cost')}
        .yLabel=${t('chart.usd')}
        .data=${costSeries(s.series)}
      ></crs-usage-chart>
      <div class="head">
        <h3>${t('stats.byModel')}</h3>
        ${this.toggle(
          t('stats.byModel'),
          ['daily', 'monthly'] as const,
          this.period,
          (p) => t(p === 'daily' ? 'stats.today' : 'stats.month'),
          (p) => {
            this.period = p
          },
        )}
      </div>
      <crs-data-table .columns=${cols} .rows=${this.models ?? []} .rowId=${(r: unknown) => (r as ModelStat).model} .emptyText=${t('stats.noUsage')}></crs-data-table>
    </div>`
  }

  override render() {
    return html`<crs-dialog open wide .heading=${t('acc.usageTitle', { name: this.account?.name ?? '' })} @crs-close=${() => this.emit('crs-close')}>
      <div data-testid="account-usage">
        ${this.error ? errorBlock(this.error, () => this.load()) : this.stats ? this.body(this.stats) : loadingBlock()}
      </div>
      <button slot="footer" class="btn" data-close>${t('common.close')}</button>
    </crs-dialog>`
  }
}

customElements.define('crs-account-usage-dialog', CrsAccountUsageDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-account-usage-dialog': CrsAccountUsageDialog
  }
}
