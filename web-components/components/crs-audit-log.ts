import { css, html, type PropertyValues } from 'lit'
import { api } from '../api/client.ts'
import type { AuditEntry } from '../api/types.ts'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtDateTime } from '../lib/format.ts'
import { icon } from '../lib/icons.ts'
import { updateQuery } from '../lib/route.ts'
import { toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-code-block.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-dialog.ts'

/**
 * @summary Every admin write (who, when, what, IP, before and after), newest first, filterable
 * by actor and action, with "load older".
 */
export class CrsAuditLog extends CrsElement {
  static override properties = {
    query: { attribute: false },
    entries: { state: true },
    next: { state: true },
    loading: { state: true },
    error: { state: true },
    open: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .field {
        flex: 1 1 180px;
      }
    `,
  ]
  declare query: Record<string, string>
  declare entries: AuditEntry[]
  declare next: number | null
  declare loading: boolean
  declare error: unknown
  declare open: AuditEntry | null

  constructor() {
    super()
    this.query = {}
    this.entries = []
    this.next = null
    this.loading = false
    this.error = null
    this.open = null
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('query')) void this.load(false)
  }

  private async load(more: boolean) {
    this.loading = true
    try {
      const r = await api.auditLog({
        limit: 50,
        actor: this.query.actor,
        action: this.query.action,
        before: more ? (this.next ?? undefined) : undefined,
      })
      this.entries = more ? [...this.entries, ...r.entries] : r.entries
      this.next = r.entries.length === 50 ? r.nextBefore : null
      this.error = null
    } catch (err) {
      if (more) toastError(err)
      else this.error = err
    } finally {
      this.loading = false
    }
  }

  override render() {
    const cols: Column<AuditEntry>[] = [
      {
        key: 'at',
        label: t('audit.when'),
        render: (e) => html`<span class="nowrap small">${fmtDateTime(e.at)}</span>`,
      },
      { key: 'actor', label: t('audit.actor'), render: (e) => e.actor },
      {
        key: 'action',
        label: t('audit.action'),
        render: (e) => html`<span class="mono">${e.action}</span>`,
      },
      {
        key: 'target',
        label: t('audit.target'),
        wide: true,
        render: (e) => html`<span class="mono small">${e.target.slice(0, 40)}</span>`,
      },
      {
        key: 'ip',
        label: t('audit.ip'),
        wide: true,
        render: (e) => html`<span class="mono small">${e.ip}</span>`,
      },
    ]
    const e = this.open
    return html`<div class="page-head"><h1>${t('audit.title')}</h1></div>
      <div class="toolbar">
        <label class="field"><span>${t('audit.actor')}</span><input .value=${this.query.actor ?? ''} @change=${(ev: Event) => updateQuery({ actor: (ev.target as HTMLInputElement).value.trim() })} /></label>
        <label class="field"><span>${t('audit.action')}</span><input placeholder="api_key.create" .value=${this.query.action ?? ''} @change=${(ev: Event) => updateQuery({ action: (ev.target as HTMLInputElement).value.trim() })} /></label>
        <button class="btn" @click=${() => this.load(false)}>${icon('refresh')}${t('common.refresh')}</button>
      </div>
      <crs-data-table
        data-testid="audit-table"
        .columns=${cols}
        .rows=${this.entries}
        .loading=${this.loading}
        .error=${this.error}
        .emptyText=${t('audit.none')}
        .caption=${t('audit.title')}
        activatable
        @crs-row-activate=${(ev: CustomEvent<AuditEntry>) => {
          this.open = ev.detail
        }}
        @crs-retry=${() => this.load(false)}
      ></crs-data-table>
      ${this.next ? html`<div class="row" style="margin-top:12px"><button class="btn" ?disabled=${this.loading} @click=${() => this.load(true)}>${t('audit.more')}</button></div>` : ''}
      ${
        e
          ? html`<crs-dialog open wide .heading=${`${e.action} · ${fmtDateTime(e.at)}`} @crs-close=${() => {
              this.open = null
            }}>
              <p>${e.actor} · <span class="mono">${e.ip}</span> · <span class="mono">${e.target}</span></p>
              <div class="grid-2">
                <crs-code-block label="before" .code=${JSON.stringify(e.before, null, 2)}></crs-code-block>
                <crs-code-block label="after" .code=${JSON.stringify(e.after, null, 2)}></crs-code-block>
              </div>
              <button slot="footer" class="btn primary" @click=${() => {
                this.open = null
              }}>${t('common.close')}</button>
            </crs-dialog>`
          : ''
      }`
  }
}

customElements.define('crs-audit-log', CrsAuditLog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-audit-log': CrsAuditLog
  }
}
