import { css, html, type PropertyValues } from 'lit'
import { api } from '../api/client.ts'
import type { AuditEntry } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { diffFields, valueText } from '../lib/diff.ts'
import { fmtDateTime } from '../lib/format.ts'
import { timeCell } from '../lib/history-view.ts'
import { icon } from '../lib/icons.ts'
import { updateQuery } from '../lib/route.ts'
import { toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-code-block.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-dialog.ts'

/** Actions with a readable name (others show their code). */
const ACTIONS = new Set([
  'api_key.create',
  'api_key.update',
  'api_key.delete',
  'api_key.restore',
  'api_key.purge',
  'api_key.regenerate',
  'api_key.batch_create',
  'api_key.clear_trash',
  'api_key.expiration',
  'account.create',
  'account.update',
  'account.delete',
  'account.toggle',
  'account.reset_status',
  'account.refresh',
  'account.test',
  'account.oauth.start',
  'account.oauth.exchange',
  'account.setup_token.start',
  'account.setup_token.exchange',
  'group.create',
  'group.update',
  'group.delete',
  'group.members',
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.change_password',
  'webhook.config.update',
  'webhook.platform.create',
  'webhook.platform.delete',
  'webhook.test',
])

/** The readable name of an action. */
export function actionLabel(action: string): string {
  return ACTIONS.has(action) ? t(`audit.act.${action}` as MessageKey) : action
}

/**
 * @summary Every admin write (who, when, what, on which key/account/group by name, from which IP),
 * newest first, filterable by actor and action, sign-ins hidden unless asked for. Rows open the
 * entry: the fields an edit changed (before → after), with the full documents on request.
 */
export class CrsAuditLog extends CrsElement {
  static override properties = {
    query: { attribute: false },
    entries: { state: true },
    next: { state: true },
    loading: { state: true },
    error: { state: true },
    open: { state: true },
    raw: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .toolbar .field {
        flex: 1 1 180px;
      }
      .toolbar .check {
        align-self: center;
      }
      table.diff {
        width: 100%;
        border: 1px solid var(--crs-border);
        border-radius: var(--crs-radius);
      }
      table.diff td {
        vertical-align: top;
        overflow-wrap: anywhere;
        font-family: var(--crs-mono);
        font-size: 12.5px;
      }
      td.before {
        color: var(--crs-danger);
      }
      td.after {
        color: var(--crs-success);
      }
      .meta {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 14px;
        margin-bottom: 12px;
      }
    `,
  ]
  declare query: Record<string, string>
  declare entries: AuditEntry[]
  declare next: number | null
  declare loading: boolean
  declare error: unknown
  declare open: AuditEntry | null
  declare raw: boolean

  constructor() {
    super()
    this.query = {}
    this.entries = []
    this.next = null
    this.loading = false
    this.error = null
    this.open = null
    this.raw = false
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('query')) void this.load(false)
  }

  private get showSignIns(): boolean {
    return this.query.signins === '1'
  }

  private async load(more: boolean) {
    this.loading = true
    try {
      const r = await api.auditLog({
        limit: 50,
        actor: this.query.actor,
        action: this.query.action,
        hideSignIns: this.showSignIns ? undefined : 1,
        before: more ? (this.next ?? undefined) : undefined,
      })
      this.entries = more ? [...this.entries, ...r.entries] : r.entries
      this.next = r.nextBefore
      this.error = null
    } catch (err) {
      if (more) toastError(err)
      else this.error = err
    } finally {
      this.loading = false
    }
  }

  private target(e: AuditEntry) {
    if (!e.target) return html`<span class="muted">—</span>`
    return e.targetName
      ? html`<span class="clip" title=${e.target}>${e.targetName}</span>`
      : html`<span class="mono small" title=${e.target}>${e.target.slice(0, 12)}</span>`
  }

  private changes(e: AuditEntry) {
    const changes = diffFields(e.before, e.after)
    const created = e.before === null && e.after !== null
    const deleted = e.after === null && e.before !== null
    if (!changes.length)
      return html`<p class="muted" data-testid="audit-nochange">${t('audit.noChanges')}</p>`
    return html`<p class="small muted" style="margin:0 0 8px">${
      created
        ? t('audit.created')
        : deleted
          ? t('audit.deleted')
          : t('audit.changedN', { n: changes.length })
    }</p>
      <div class="table-wrap">
        <table class="diff" data-testid="audit-diff">
          <thead><tr><th>${t('audit.field')}</th>${created ? '' : html`<th>${t('audit.before')}</th>`}${deleted ? '' : html`<th>${t('audit.after')}</th>`}</tr></thead>
          <tbody>
            ${changes.map(
              (c) => html`<tr data-path=${c.path}>
                <td>${c.path}</td>
                ${created ? '' : html`<td class="before">${valueText(c.before)}</td>`}
                ${deleted ? '' : html`<td class="after">${valueText(c.after)}</td>`}
              </tr>`,
            )}
          </tbody>
        </table>
      </div>`
  }

  private entryDialog(e: AuditEntry) {
    return html`<crs-dialog open wide .heading=${`${actionLabel(e.action)}${e.targetName ? ` · ${e.targetName}` : ''}`} @crs-close=${() => {
      this.open = null
      this.raw = false
    }}>
      <div class="meta small">
        <span><span class="muted">${t('audit.when')}:</span> ${fmtDateTime(e.at)}</span>
        <span><span class="muted">${t('audit.actor')}:</span> ${e.actor}</span>
        <span><span class="muted">${t('audit.ip')}:</span> <span class="mono">${e.ip}</span></span>
        <span><span class="muted">${t('audit.action')}:</span> <span class="mono">${e.action}</span></span>
        ${e.target ? html`<span><span class="muted">${t('audit.target')}:</span> <span class="mono">${e.target}</span></span>` : ''}
      </div>
      ${this.changes(e)}
      <label class="check" style="margin-top:12px"><input type="checkbox" .checked=${this.raw} @change=${(
        ev: Event,
      ) => {
        this.raw = (ev.target as HTMLInputElement).checked
      }} />${t('audit.raw')}</label>
      ${
        this.raw
          ? html`<div class="grid-2" style="margin-top:10px">
              <crs-code-block .label=${t('audit.before')} .code=${JSON.stringify(e.before, null, 2)}></crs-code-block>
              <crs-code-block .label=${t('audit.after')} .code=${JSON.stringify(e.after, null, 2)}></crs-code-block>
            </div>`
          : ''
      }
      <button slot="footer" class="btn primary" data-close>${t('common.close')}</button>
    </crs-dialog>`
  }

  override render() {
    const cols: Column<AuditEntry>[] = [
      {
        key: 'at',
        label: t('audit.when'),
        render: (e) => timeCell(e.at),
      },
      { key: 'actor', label: t('audit.actor'), wide: true, render: (e) => e.actor },
      {
        key: 'action',
        label: t('audit.action'),
        render: (e) => html`<span title=${e.action}>${actionLabel(e.action)}</span>`,
      },
      { key: 'target', label: t('audit.target'), render: (e) => this.target(e) },
      {
        key: 'ip',
        label: t('audit.ip'),
        wide: true,
        render: (e) => html`<span class="mono small">${e.ip}</span>`,
      },
      {
        key: 'open',
        label: '',
        wide: true,
        render: () =>
          html`<span class="muted nowrap small" aria-hidden="true">${icon('eye')} ${t('common.details')}</span>`,
      },
    ]
    return html`<div class="page-head"><h1>${t('audit.title')}</h1></div>
      <div class="toolbar">
        <label class="field"><span>${t('audit.actor')}</span><input .value=${this.query.actor ?? ''} @change=${(ev: Event) => updateQuery({ actor: (ev.target as HTMLInputElement).value.trim() })} /></label>
        <label class="field"><span>${t('audit.action')}</span><input placeholder="api_key.update" .value=${this.query.action ?? ''} @change=${(ev: Event) => updateQuery({ action: (ev.target as HTMLInputElement).value.trim() })} /></label>
        <label class="check"><input type="checkbox" data-testid="show-signins" .checked=${this.showSignIns} @change=${(ev: Event) => updateQuery({ signins: (ev.target as HTMLInputElement).checked ? '1' : undefined })} />${t('audit.showSignIns')}</label>
        <button class="btn" @click=${() => this.load(false)}>${icon('refresh')}${t('common.refresh')}</button>
      </div>
      <p class="small muted" style="margin:0 0 8px">${t('audit.hint')}</p>
      <crs-data-table
        data-testid="audit-table"
        nowrap
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
      ${this.open ? this.entryDialog(this.open) : ''}`
  }
}

customElements.define('crs-audit-log', CrsAuditLog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-audit-log': CrsAuditLog
  }
}
