import { css, html } from 'lit'
import { api } from '../api/client.ts'
import type { HistoryAttempt, HistoryRecord } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { confirmAction } from '../lib/confirm.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtCost, fmtDateTime, fmtInt, fmtMs } from '../lib/format.ts'
import {
  endpointCell,
  noAttemptsText,
  OUTCOME_BADGE,
  platformName,
  streamCell,
} from '../lib/history-view.ts'
import { icon } from '../lib/icons.ts'
import { errorBlock, loadingBlock } from '../lib/states.ts'
import { errorText } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-code-block.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-dialog.ts'

/**
 * @summary One request: summary, timings, tokens, cost, failover tries, and the request and
 * response bodies with highlighting and copy. Optionally read with a key (key holders).
 * @event crs-close - The panel was closed.
 * @event crs-deleted - The record was deleted.
 */
export class CrsHistoryDetail extends CrsElement {
  static override properties = {
    recordId: { type: String },
    record: { attribute: false },
    readonly: { type: Boolean },
    error: { state: true },
    actionError: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      dl {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(min(100%, 140px), 1fr));
        gap: 10px 16px;
        margin: 0 0 16px;
      }
      dl div {
        min-width: 0;
      }
      dt {
        font-size: 12px;
        color: var(--crs-text-muted);
      }
      dd {
        margin: 0;
        overflow-wrap: anywhere;
      }
      section {
        margin-bottom: 16px;
      }
      h3 {
        margin-bottom: 8px;
      }
    `,
  ]
  declare recordId: string
  declare record: HistoryRecord | null
  declare readonly: boolean
  declare error: unknown
  declare actionError: string

  constructor() {
    super()
    this.recordId = ''
    this.record = null
    this.readonly = false
    this.error = null
    this.actionError = ''
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('recordId') && this.recordId && !this.readonly) void this.load()
  }

  private async load() {
    this.error = null
    try {
      this.record = await api.historyRecord(this.recordId)
    } catch (err) {
      this.error = err
    }
  }

  private async removeItem() {
    if (
      !(await confirmAction({
        message: t('hist.deleteConfirm'),
        danger: true,
        confirmLabel: t('common.delete'),
      }))
    )
      return
    try {
      await api.deleteHistoryRecord(this.recordId)
      this.emit('crs-deleted')
    } catch (err) {
      this.actionError = errorText(err)
    }
  }

  private item(label: MessageKey, value: unknown) {
    return html`<div><dt>${t(label)}</dt><dd>${value}</dd></div>`
  }

  private content(r: HistoryRecord) {
    const attemptCols: Column<HistoryAttempt>[] = [
      { key: 'account', label: t('hist.account'), render: (a) => a.accountName || a.accountId },
      {
        key: 'status',
        label: t('hist.httpStatus'),
        num: true,
        render: (a) => String(a.status || '—'),
      },
      { key: 'error', label: t('hist.errorMsg'), render: (a) => a.error || '—' },
      { key: 'ms', label: t('hist.duration'), num: true, render: (a) => fmtMs(a.ms) },
    ]
    const cacheTotal = r.cacheCreate5mTokens + r.cacheCreate1hTokens
    return html`<dl>
        ${this.item('hist.started', fmtDateTime(r.startTime))}
        ${this.item('hist.outcome', html`<span class="badge ${OUTCOME_BADGE[r.outcome] ?? ''}">${t(`hist.outcome.${r.outcome}` as MessageKey)}</span>`)}
        ${this.item('hist.httpStatus', r.status || '—')}
        ${this.item('hist.key', r.keyName || '—')}
        ${this.item(
          'hist.account',
          r.accountName
            ? html`${r.accountName}${r.platform ? html` <span class="badge info">${platformName(r.platform)}</span>` : ''}`
            : '—',
        )}
        ${this.item('common.model', html`<span class="mono">${r.model}</span>`)}
        ${this.item('hist.endpoint', html`${endpointCell(r)}<div class="mono small muted">${r.endpoint}</div>`)}
        ${this.item('hist.stream', streamCell(r, true))}
        ${this.item('hist.userAgent', html`<span class="small">${r.userAgent || '—'}</span>`)}
      </dl>
      ${r.errorMessage ? html`<p class="callout error">${r.errorType ? html`<b>${r.errorType}</b>: ` : ''}${r.errorMessage}</p>` : ''}
      <section>
        <h3>${t('hist.timings')}</h3>
        <dl>
          ${this.item('hist.duration', fmtMs(r.durationMs))}
          ${this.item('hist.ttfb', fmtMs(r.ttfbMs))}
          ${this.item('hist.overhead', fmtMs(r.overheadMs))}
        </dl>
      </section>
      <section>
        <h3>${t('hist.tokens')}</h3>
        <dl>
          ${this.item('series.input', fmtInt(r.inputTokens))}
          ${this.item('series.output', fmtInt(r.outputTokens))}
          ${r.reasoningTokens ? this.item('hist.reasoning', html`<span data-testid="detail-reasoning">${fmtInt(r.reasoningTokens)}</span>`) : ''}
          ${this.item('hist.cacheCreate5m', fmtInt(r.cacheCreate5mTokens))}
          ${this.item('hist.cacheCreate1h', fmtInt(r.cacheCreate1hTokens))}
          ${this.item('series.cacheRead', fmtInt(r.cacheReadTokens))}
          ${this.item('common.tokens', fmtInt(r.totalTokens ?? r.inputTokens + r.outputTokens + cacheTotal + r.cacheReadTokens))}
          ${this.item('common.cost', html`<b data-testid="detail-cost">${fmtCost(r.cost ?? r.costNanos / 1e9)}</b>`)}
        </dl>
      </section>
      <section>
        <h3>${t('hist.attempts')}</h3>
        ${r.attempts?.length ? html`<crs-data-table data-testid="attempts" .columns=${attemptCols} .rows=${r.attempts} .rowId=${(a: unknown) => `${(a as HistoryAttempt).accountId}${(a as HistoryAttempt).ms}`}></crs-data-table>` : html`<p class="muted" data-testid="no-attempts">${noAttemptsText(r)}</p>`}
      </section>
      <section>
        ${r.requestBody ? html`<crs-code-block data-testid="request-body" format .label=${t('hist.requestBody')} .code=${r.requestBody}></crs-code-block>` : html`<h3>${t('hist.requestBody')}</h3><p class="muted">${t('hist.notCaptured')}</p>`}
      </section>
      <section>
        ${r.responseBody ? html`<crs-code-block data-testid="response-body" format .label=${t('hist.responseBody')} .code=${r.responseBody}></crs-code-block>` : html`<h3>${t('hist.responseBody')}</h3><p class="muted">${t('hist.notCaptured')}</p>`}
      </section>`
  }

  override render() {
    const r = this.record
    return html`<crs-dialog open wide .heading=${t('hist.detail', { id: this.recordId.slice(0, 18) })} .error=${this.actionError} @crs-close=${() => this.emit('crs-close')}>
      <div data-testid="history-detail">${this.error ? errorBlock(this.error, () => this.load()) : r ? this.content(r) : loadingBlock()}</div>
      ${this.readonly ? '' : html`<button slot="footer" class="btn danger" @click=${this.removeItem}>${icon('trash')}${t('hist.deleteRecord')}</button>`}
      <button slot="footer" class="btn primary" data-close>${t('common.close')}</button>
    </crs-dialog>`
  }
}

customElements.define('crs-history-detail', CrsHistoryDetail)
declare global {
  interface HTMLElementTagNameMap {
    'crs-history-detail': CrsHistoryDetail
  }
}
