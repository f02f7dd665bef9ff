import { css, html } from 'lit'
import { api } from '../api/client.ts'
import type {
  AccountGroup,
  CodexUsageRow,
  CodexWindow,
  OpenAIAccount,
  OpenAIPlatform,
} from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { confirmAction } from '../lib/confirm.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtCountdown } from '../lib/format.ts'
import { icon } from '../lib/icons.ts'
import { PollingController } from '../lib/polling-controller.ts'
import { toast, toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-menu.ts'
import './crs-openai-account-dialog.ts'

const KINDS: OpenAIPlatform[] = ['openai', 'openai-responses', 'azure-openai']

/** Health of an account now: label key, badge class, and when it ends by itself. */
function healthOf(a: OpenAIAccount, now: number): { key: MessageKey; cls: string; until: number } {
  const s = a.state
  if (!a.isActive) return { key: 'health.inactive', cls: '', until: 0 }
  if (s.status === 'unauthorized') return { key: 'health.unauthorized', cls: 'bad', until: 0 }
  if (s.status === 'blocked' || s.status === 'error')
    return { key: 'health.error', cls: 'bad', until: 0 }
  if (s.rateLimitedUntil > now)
    return { key: 'health.rateLimited', cls: 'warn', until: s.rateLimitedUntil }
  if (s.overloadedUntil > now)
    return { key: 'health.overloaded', cls: 'warn', until: s.overloadedUntil }
  if (s.coolingUntil > now) return { key: 'health.coolingDown', cls: 'warn', until: s.coolingUntil }
  if (!a.schedulable) return { key: 'health.paused', cls: '', until: 0 }
  return { key: 'health.normal', cls: 'ok', until: 0 }
}

/**
 * @summary The OpenAI family's accounts (ChatGPT login, OpenAI-Responses, Azure OpenAI) in one
 * table: health with the time it recovers, the Codex usage windows of ChatGPT accounts, the
 * upstream, priority and scheduling; add, test, reset and delete.
 */
export class CrsOpenAIAccountsPage extends CrsElement {
  static override properties = {
    accounts: { state: true },
    usage: { state: true },
    groups: { state: true },
    loading: { state: true },
    error: { state: true },
    adding: { state: true },
    busy: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .win {
        display: inline-flex;
        gap: 4px;
        align-items: center;
        font-size: 12px;
        margin-right: 8px;
      }
      .win .bar {
        width: 40px;
      }
    `,
  ]
  declare accounts: OpenAIAccount[] | null
  declare usage: Record<string, CodexUsageRow>
  declare groups: AccountGroup[]
  declare loading: boolean
  declare error: unknown
  declare adding: OpenAIPlatform | null
  declare busy: Record<string, boolean>

  constructor() {
    super()
    this.accounts = null
    this.usage = {}
    this.groups = []
    this.loading = false
    this.error = null
    this.adding = null
    this.busy = {}
    new PollingController(this, 30_000, () => void this.load())
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void this.load()
  }

  async load() {
    this.loading = true
    try {
      const [lists, usage, groups] = await Promise.all([
        Promise.all(KINDS.map((k) => api.openai.list(k))),
        api.openai.usage(),
        api.groups(),
      ])
      this.accounts = lists.flat()
      this.usage = usage
      this.groups = groups
      this.error = null
    } catch (err) {
      this.error = err
    } finally {
      this.loading = false
    }
  }

  private async run(a: OpenAIAccount, what: string, fn: () => Promise<unknown>, done?: string) {
    this.busy = { ...this.busy, [`${a.id}:${what}`]: true }
    try {
      await fn()
      if (done) toast(done, 'success')
      await this.load()
    } catch (err) {
      toastError(err)
    } finally {
      this.busy = { ...this.busy, [`${a.id}:${what}`]: false }
    }
  }

  private async test(a: OpenAIAccount) {
    await this.run(a, 'test', async () => {
      const r = await api.openai.test(a.platform, a.id)
      if (r.success)
        toast(t('acc.testOk', { ms: r.latencyMs, text: r.text.slice(0, 80) }), 'success')
      else toast(t('acc.testFailed', { status: r.status, error: r.error ?? '' }), 'error')
    })
  }

  private async removeItem(a: OpenAIAccount) {
    const ok = await confirmAction({
      message: t('acc.deleteConfirm', { name: a.name }),
      danger: true,
      confirmLabel: t('common.delete'),
    })
    if (ok) await this.run(a, 'delete', () => api.openai.remove(a.platform, a.id), t('acc.deleted'))
  }

  private window(label: string, w: CodexWindow | null | undefined) {
    if (!w) return ''
    const pct = Math.max(0, Math.min(100, w.usedPercent))
    const cls = pct >= 90 ? 'bad' : pct >= 70 ? 'warn' : ''
    const reset = w.resetAt && w.resetAt > Date.now() ? fmtCountdown(w.resetAt - Date.now()) : ''
    return html`<span class="win"><span class="muted">${label}</span>
      <span class="bar" role="meter" aria-valuenow=${pct} aria-valuemin="0" aria-valuemax="100" aria-label="${label} ${pct}%"><i class=${cls} style="width:${pct}%"></i></span>
      <span>${Math.round(pct)}%${reset ? html` <span class="muted">· ${reset}</span>` : ''}</span></span>`
  }

  private columns(now: number): Column<OpenAIAccount>[] {
    return [
      {
        key: 'name',
        label: t('common.name'),
        render: (a) => html`<span class="name">${a.name}</span>
          <span class="badge info">${t(`oa.kind.${a.platform}` as MessageKey)}</span>`,
      },
      {
        key: 'health',
        label: t('acc.col.health'),
        render: (a) => {
          const h = healthOf(a, now)
          return html`<span class="badge ${h.cls}" data-testid="health" title=${a.state.lastError}>${t(h.key)}</span>
            ${h.until ? html`<span class="small muted" role="timer">${t('health.recoversIn', { t: fmtCountdown(h.until - now) })}</span>` : ''}`
        },
      },
      {
        key: 'upstream',
        label: t('oa.upstream'),
        render: (a) =>
          html`<span class="mono small">${a.platform === 'openai' ? String(a.options.chatgptAccountId ?? '') || 'chatgpt.com' : a.apiUrl}</span>`,
      },
      {
        key: 'windows',
        label: t('acc.col.windows'),
        wide: true,
        render: (a) => {
          const u = this.usage[a.id]?.codexUsage
          return u
            ? html`${this.window('5h', u.primary)}${this.window('7d', u.secondary)}`
            : html`<span class="muted small">—</span>`
        },
      },
      {
        key: 'priority',
        label: t('acc.col.priority'),
        num: true,
        render: (a) => String(a.priority),
      },
      {
        key: 'scheduled',
        label: t('acc.col.scheduled'),
        render: (a) => html`<label class="check"><input type="checkbox" .checked=${a.schedulable}
          aria-label="${t('acc.col.scheduled')} ${a.name}"
          @change=${() => this.run(a, 'toggle', () => api.openai.toggle(a.platform, a.id))} /></label>`,
      },
      {
        key: 'actions',
        label: t('common.actions'),
        render: (a) => html`<crs-menu
          .label=${t('acc.actionsFor', { name: a.name })}
          .items=${[
            {
              label: this.busy[`${a.id}:test`] ? t('acc.testing') : t('acc.test'),
              icon: 'play',
              disabled: this.busy[`${a.id}:test`] === true,
              run: () => this.test(a),
            },
            {
              label: t('acc.reset'),
              icon: 'refresh',
              run: () =>
                this.run(a, 'reset', () => api.openai.reset(a.platform, a.id), t('acc.resetDone')),
            },
            {
              label: t('common.delete'),
              icon: 'trash',
              danger: true,
              run: () => this.removeItem(a),
            },
          ]}
        ></crs-menu>`,
      },
    ]
  }

  override render() {
    const now = Date.now()
    return html`<div class="page-head">
        <h1>${t('oa.title')}</h1>
        <div class="row">
          ${KINDS.map(
            (k) =>
              html`<button class="btn ${k === 'openai' ? 'primary' : ''}" data-testid="oa-add-${k}" @click=${() => {
                this.adding = k
              }}>${icon('plus')}${t(`oa.add.${k}` as MessageKey)}</button>`,
          )}
        </div>
      </div>
      <crs-data-table
        data-testid="openai-accounts-table"
        .columns=${this.columns(now)}
        .rows=${[...(this.accounts ?? [])].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name))}
        .loading=${this.loading && !this.accounts}
        .error=${this.error}
        .emptyText=${t('oa.none')}
        .caption=${t('oa.title')}
        @crs-retry=${() => this.load()}
      ></crs-data-table>
      ${
        this.adding
          ? html`<crs-openai-account-dialog .kind=${this.adding} .groups=${this.groups}
              @crs-close=${() => {
                this.adding = null
              }}
              @crs-saved=${() => this.load()}></crs-openai-account-dialog>`
          : ''
      }`
  }
}

customElements.define('crs-openai-accounts-page', CrsOpenAIAccountsPage)
declare global {
  interface HTMLElementTagNameMap {
    'crs-openai-accounts-page': CrsOpenAIAccountsPage
  }
}
