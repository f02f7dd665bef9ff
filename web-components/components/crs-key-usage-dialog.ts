import { html } from 'lit'
import { api } from '../api/client.ts'
import type { ApiKey, ModelStat, Trend } from '../api/types.ts'
import { t } from '../i18n/i18n.ts'
import { costSeries, requestsAndTokens } from '../lib/chart-data.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { modelUsageColumns } from '../lib/model-columns.ts'
import { errorBlock, loadingBlock } from '../lib/states.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-dialog.ts'
import './crs-usage-chart.ts'
/**
 * @summary Usage of one key: a 30-day chart and the per-model table for this month.
 * @event crs-close - The dialog was closed.
 */
export class CrsKeyUsageDialog extends CrsElement {
  static override properties = {
    apiKey: { attribute: false },
    trend: { state: true },
    models: { state: true },
    error: { state: true },
  }
  static override styles = [sharedStyles]
  declare apiKey: ApiKey | null
  declare trend: Trend | null
  declare models: ModelStat[] | null
  declare error: unknown

  constructor() {
    super()
    this.apiKey = null
    this.trend = null
    this.models = null
    this.error = null
  }

  override firstUpdated(): void {
    void this.load()
  }

  private async load() {
    if (!this.apiKey) return
    this.error = null
    try {
      const [trend, models] = await Promise.all([
        api.keyUsageTrend(this.apiKey.id, { granularity: 'day', days: 30 }),
        api.keyModelStats(this.apiKey.id, { period: 'monthly' }),
      ])
      this.trend = trend
      this.models = models
    } catch (err) {
      this.error = err
    }
  }

  override render() {
    const s = this.trend?.series ?? []
    const cols: Column<ModelStat>[] = [...modelUsageColumns<ModelStat>()]
    return html`<crs-dialog open wide .heading=${t('keyUsage.title', { name: this.apiKey?.name ?? '' })} @crs-close=${() => this.emit('crs-close')}>
      ${
        this.error
          ? errorBlock(this.error, () => this.load())
          : !this.trend
            ? loadingBlock()
            : html`<div class="stack">
                <h3>${t('keyUsage.last30')}</h3>
                <crs-usage-chart
                  granularity="day"
                  .height=${200}
                  .label=${t('keyUsage.last30')}
                  .yLabel=${t('series.requests')}
                  .y2Label=${t('series.tokens')}
                  .data=${requestsAndTokens(s)}
                ></crs-usage-chart>
                <crs-usage-chart
                  granularity="day"
                  kind="cost"
                  .height=${160}
                  .label=${t('series.cost')}
                  .yLabel=${t('chart.usd')}
                  .data=${costSeries(s)}
                ></crs-usage-chart>
                <h3>${t('keyUsage.thisMonth')}</h3>
                <crs-data-table .columns=${cols} .rows=${this.models ?? []} .rowId=${(r: unknown) => (r as ModelStat).model}></crs-data-table>
              </div>`
      }
      <button slot="footer" class="btn" data-close>${t('common.close')}</button>
    </crs-dialog>`
  }
}

customElements.define('crs-key-usage-dialog', CrsKeyUsageDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-key-usage-dialog': CrsKeyUsageDialog
  }
}
