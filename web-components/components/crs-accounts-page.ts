import { css, html, type PropertyValues } from 'lit'
import { api } from '../api/client.ts'
import type { Account, AccountGroup, AccountUsageSummary, UsageWindow } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { confirmAction } from '../lib/confirm.ts'
import { CrsElement } from '../lib/crs-element.ts'
import {
  fmtAgo,
  fmtCompact,
  fmtCost,
  fmtCountdown,
  fmtDate,
  fmtDateTime,
  fmtInt,
} from '../lib/format.ts'
import { icon } from '../lib/icons.ts'
import { PollingController } from '../lib/polling-controller.ts'
import { updateQuery } from '../lib/route.ts'
import { toast, toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-account-dialog.ts'
import './crs-account-usage-dialog.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-gemini-oauth-dialog.ts'
import './crs-groups-dialog.ts'
import './crs-menu.ts'
import './crs-oauth-wizard.ts'
import type { OtherPlatform } from './crs-platform-account-dialog.ts'
import './crs-platform-account-dialog.ts'

/** The health of an account now: a label, a badge class and when it recovers by itself. */
export function healthOf(a: Account, now: number): { key: MessageKey; cls: string; until: number } {
  const s = a.state
  if (!a.isActive) return { key: 'health.inactive', cls: '', until: 0 }
  if (s.status === 'unauthorized') return { key: 'health.unauthorized', cls: 'bad', until: 0 }
  if (s.status === 'blocked') return { key: 'health.blocked', cls: 'bad', until: 0 }
  if (s.status === 'error') return { key: 'health.error', cls: 'bad', until: 0 }
  if (s.rateLimitedUntil > now)
    return { key: 'health.rateLimited', cls: 'warn', until: s.rateLimitedUntil }
  if (s.overloadedUntil > now)
    return { key: 'health.overloaded', cls: 'warn', until: s.overloadedUntil }
  if (s.coolingUntil > now) return { key: 'health.coolingDown', cls: 'warn', until: s.coolingUntil }
  const stop = Math.max(s.sessionStoppedUntil ?? 0, s.quotaStoppedUntil ?? 0)
  if (stop > now) return { key: 'health.rateLimited', cls: 'warn', until: stop }
  if (!a.schedulable) return { key: 'health.paused', cls: '', until: 0 }
  return { key: 'health.normal', cls: 'ok', until: 0 }
}

/** Account kinds edited in their own dialog (`crs-platform-account-dialog`). */
const OTHER_PLATFORMS: OtherPlatform[] = ['bedrock', 'ccr', 'droid']
const isOther = (a: Account | null) => OTHER_PLATFORMS.includes(a?.platform as OtherPlatform)

/** Styles of what the accounts table's cells render. */
const CELL_CSS = css`
  .wins {
    display: flex;
    flex-direction: column;
    align-items: flex-end;
    gap: 2px;
  }
  .right {
    display: flex;
    align-items: center;
    gap: 6px;
    justify-content: flex-end;
  }
  @media (max-width: 720px) {
    .namecell .badge {
      display: none;
    }
  }
  .win {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    font-size: 12px;
  }
  .win .bar {
    width: 40px;
    min-width: 40px;
  }
`

/**
 * @summary Claude OAuth and Console accounts in one-line rows: health with a countdown to recovery,
 * today's requests, tokens and cost, 5h/7d usage windows, priority, proxy; onboarding wizard,
 * groups, and a labelled actions menu per row (test, usage, edit, reset, refresh, delete).
 */
export class CrsAccountsPage extends CrsElement {
  static override properties = {
    query: { attribute: false },
    accounts: { state: true },
    groups: { state: true },
    loading: { state: true },
    error: { state: true },
    dialog: { state: true },
    editing: { state: true },
    busy: { state: true },
    usage: { state: true },
  }
  static override styles = [
    sharedStyles,
    CELL_CSS,
    css`
      :host {
        display: block;
      }
      select {
        width: auto;
      }
      .search {
        flex: 1 1 200px;
      }
    `,
  ]
  declare query: Record<string, string>
  declare accounts: Account[] | null
  declare groups: AccountGroup[]
  declare loading: boolean
  declare error: unknown
  declare dialog:
    | 'oauth'
    | 'console'
    | 'gemini-api'
    | 'gemini-oauth'
    | 'edit'
    | 'groups'
    | 'usage'
    | OtherPlatform
    | null
  declare editing: Account | null
  declare busy: Record<string, boolean>
  /** Today's, this month's and lifetime usage by account id. */
  declare usage: Record<string, AccountUsageSummary>

  constructor() {
    super()
    this.query = {}
    this.accounts = null
    this.groups = []
    this.loading = false
    this.error = null
    this.dialog = null
    this.editing = null
    this.busy = {}
    this.usage = {}
    new PollingController(this, 1000, () => {
      const now = Date.now()
      if (this.accounts?.some((a) => healthOf(a, now).until > 0)) this.requestUpdate()
    })
    new PollingController(this, 30_000, () => void this.load())
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void this.load()
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('query') && this.query.add && !this.dialog) {
      this.dialog = this.query.add === 'console' ? 'console' : 'oauth'
    }
  }

  async load() {
    this.loading = true
    try {
      const [oauth, consoleAcc, groups, usage, geminiOauth, geminiApi, ...others] =
        await Promise.all([
          api.accounts('claude-oauth'),
          api.accounts('claude-console'),
          api.groups(),
          api.accountUsageSummary(),
          api.accounts('gemini-oauth'),
          api.accounts('gemini-api'),
          ...OTHER_PLATFORMS.map((p) => api.accounts(p)),
        ])
      this.accounts = [...oauth, ...consoleAcc, ...geminiOauth, ...geminiApi, ...others.flat()]
      this.groups = groups
      this.usage = usage
      this.error = null
    } catch (err) {
      this.error = err
    } finally {
      this.loading = false
    }
  }

  private async run(a: Account, what: string, fn: () => Promise<unknown>, done?: string) {
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

  private async test(a: Account) {
    await this.run(a, 'test', async () => {
      const r = await api.testAccount(a.platform, a.id)
      if (r.success)
        toast(t('acc.testOk', { ms: r.latencyMs, text: r.text.slice(0, 80) }), 'success')
      else toast(t('acc.testFailed', { status: r.status, error: r.error ?? '' }), 'error')
    })
  }

  private async removeItem(a: Account) {
    const ok = await confirmAction({
      message: t('acc.deleteConfirm', { name: a.name }),
      detail: a.boundKeys ? t('acc.deleteBound', { n: a.boundKeys }) : '',
      danger: true,
      confirmLabel: t('common.delete'),
    })
    if (ok) await this.run(a, 'delete', () => api.deleteAccount(a.platform, a.id), t('acc.deleted'))
  }

  private windowBar(label: string, w: UsageWindow | null | undefined) {
    if (!w || w.utilization === null) return ''
    const pct = Math.max(0, Math.min(100, w.utilization))
    const cls = pct >= 90 ? 'bad' : pct >= 70 ? 'warn' : ''
    const reset = w.resetsAt ? fmtCountdown(Date.parse(w.resetsAt) - Date.now()) : ''
    return html`<div class="win" title=${w.resetsAt ? fmtDateTime(w.resetsAt) : ''}>
      <span class="muted">${label}</span>
      <div class="bar" role="meter" aria-valuenow=${pct} aria-valuemin="0" aria-valuemax="100" aria-label="${label} ${pct}%"><i class=${cls} style="width:${pct}%"></i></div>
      <span>${Math.round(pct)}% ${reset ? html`<span class="muted">· ${reset}</span>` : ''}</span>
    </div>`
  }

  /** Usage windows (OAuth snapshot, else the session window from headers), quota, expiry. */
  private windowsCell(a: Account, todayCost: number) {
    const sw = a.sessionWindow
    const parts = []
    if (a.usageWindows)
      parts.push(
        html`<div class="right">${this.windowBar('5h', a.usageWindows.fiveHour)}${this.windowBar('7d', a.usageWindows.sevenDay)}${this.windowBar('Opus', a.usageWindows.sevenDayOpus)}</div>`,
      )
    else if (sw?.active && sw.status)
      parts.push(
        html`<div class="right" title=${fmtDateTime(sw.windowEnd)}>${this.windowBar('5h', { utilization: sw.fiveHourUtilization * 100, resetsAt: null })}${this.windowBar('7d', { utilization: sw.sevenDayUtilization * 100, resetsAt: null })}</div>`,
      )
    if (sw?.stoppedUntil)
      parts.push(
        html`<span class="badge warn" data-testid="session-stopped" title=${t('acc.sessionStopped', { t: fmtDateTime(sw.stoppedUntil) })}>${t('acc.sessionWarning')}</span>`,
      )
    else if (sw?.status === 'allowed_warning')
      parts.push(html`<span class="badge warn">${t('acc.sessionWarning')}</span>`)
    const quota = Number(a.options?.dailyQuota ?? 0)
    if (quota > 0)
      parts.push(
        this.windowBar(t('acc.quota'), {
          utilization: (todayCost / quota) * 100,
          resetsAt: null,
        }),
      )
    const ends = a.options?.subscriptionExpiresAt
    if (typeof ends === 'string') {
      const soon = Date.parse(ends) - Date.now() < 7 * 86_400_000
      parts.push(
        html`<span class="small ${soon ? 'badge warn' : 'muted'}" data-testid="subscription-ends" title=${fmtDateTime(ends)}>${t('acc.subscriptionEnds', { t: fmtDate(ends) })}</span>`,
      )
    }
    return parts.length
      ? html`<div class="wins">${parts}</div>`
      : html`<span class="muted small">—</span>`
  }

  private menu(a: Account) {
    const busy = (what: string) => this.busy[`${a.id}:${what}`] === true
    return html`<crs-menu
      .label=${t('acc.actionsFor', { name: a.name })}
      .items=${[
        {
          label: busy('test') ? t('acc.testing') : t('acc.test'),
          icon: 'play',
          disabled: busy('test'),
          run: () => this.test(a),
        },
        {
          label: t('keys.usage'),
          icon: 'chart',
          run: () => {
            this.editing = a
            this.dialog = 'usage'
          },
        },
        {
          label: t('common.edit'),
          icon: 'edit',
          run: () => {
            this.editing = a
            this.dialog = 'edit'
          },
        },
        {
          label: t('acc.reset'),
          icon: 'refresh',
          run: () =>
            this.run(a, 'reset', () => api.resetAccount(a.platform, a.id), t('acc.resetDone')),
        },
        ...(a.platform === 'claude-oauth'
          ? [
              {
                label: t('acc.refreshToken'),
                icon: 'key' as const,
                run: () =>
                  this.run(a, 'refresh', () => api.refreshAccount(a.id), t('acc.refreshed')),
              },
            ]
          : []),
        { label: t('common.delete'), icon: 'trash', danger: true, run: () => this.removeItem(a) },
      ]}
    ></crs-menu>`
  }

  private columns(now: number): Column<Account>[] {
    const today = (a: Account) => this.usage[a.id]?.today
    return [
      {
        key: 'name',
        label: t('common.name'),
        render: (a) => html`<div class="namecell" title=${a.description || a.name}>
          <span class="name">${a.name}</span>
          <span class="badge info">${t(`acc.platform.${a.platform}` as MessageKey)}</span>
          ${a.groupInfos.map((g) => html`<span class="badge">${g.name}</span>`)}
        </div>`,
      },
      {
        key: 'health',
        label: t('acc.col.health'),
        render: (a) => {
          const h = healthOf(a, now)
          return html`<span class="badge ${h.cls}" data-testid="health" title=${h.cls ? a.state.lastError : ''}>${t(h.key)}</span>
            ${h.until ? html`<span class="small muted" role="timer">${t('health.recoversIn', { t: fmtCountdown(h.until - now) })}</span>` : ''}`
        },
      },
      {
        key: 'todayRequests',
        label: t('acc.col.todayRequests'),
        num: true,
        render: (a) => {
          const u = today(a)
          return html`<span title=${u?.errorRequests ? t('dash.failed', { n: fmtInt(u.errorRequests) }) : ''}>${fmtInt(u?.requests ?? 0)}</span>`
        },
      },
      {
        key: 'todayTokens',
        label: t('acc.col.todayTokens'),
        num: true,
        wide: true,
        render: (a) => fmtCompact(today(a)?.allTokens ?? 0),
      },
      {
        key: 'todayCost',
        label: t('acc.col.todayCost'),
        num: true,
        wide: true,
        render: (a) => fmtCost(today(a)?.cost ?? 0),
      },
      {
        key: 'windows',
        label: t('acc.col.windows'),
        wide: true,
        render: (a) => this.windowsCell(a, today(a)?.cost ?? 0),
      },
      {
        key: 'priority',
        label: t('acc.col.priority'),
        num: true,
        wide: true,
        render: (a) => String(a.priority),
      },
      {
        key: 'proxy',
        label: t('acc.col.proxy'),
        xl: true,
        render: (a) =>
          a.proxy
            ? html`<span class="mono small">${a.proxy.type}://${a.proxy.host}:${a.proxy.port}</span>`
            : html`<span class="muted small">${t('acc.noProxy')}</span>`,
      },
      {
        key: 'bound',
        label: t('acc.col.bound'),
        num: true,
        xl: true,
        render: (a) => String(a.boundKeys),
      },
      {
        key: 'lastUsed',
        label: t('common.lastUsed'),
        xl: true,
        render: (a) =>
          html`<span class="small">${a.state.lastUsedAt ? fmtAgo(a.state.lastUsedAt) : t('common.never')}</span>`,
      },
      {
        key: 'scheduled',
        label: t('acc.col.scheduled'),
        render: (a) => html`<label class="check"
          ><input
            type="checkbox"
            .checked=${a.schedulable}
            ?disabled=${this.busy[`${a.id}:toggle`]}
            aria-label="${t('acc.col.scheduled')} ${a.name}"
            @change=${() => this.run(a, 'toggle', () => api.toggleAccount(a.platform, a.id))}
        /></label>`,
      },
      { key: 'actions', label: t('common.actions'), render: (a) => this.menu(a) },
    ]
  }

  private filtered(): Account[] {
    const q = this.query
    const text = (q.q ?? '').toLowerCase()
    return (this.accounts ?? [])
      .filter((a) => !q.platform || a.platform === q.platform)
      .filter((a) => !q.group || a.groupIds.includes(q.group))
      .filter((a) => !text || `${a.name} ${a.description}`.toLowerCase().includes(text))
      .sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name))
  }

  private closeDialog() {
    this.dialog = null
    this.editing = null
    if (this.query.add) updateQuery({ add: undefined }, { replace: true })
  }

  override render() {
    const q = this.query
    const now = Date.now()
    return html`<div class="page-head">
        <h1>${t('acc.title')}</h1>
        <div class="row">
          <button class="btn" @click=${() => this.run({ id: 'all' } as Account, 'windows', () => api.refreshUsageWindows())}>
            ${icon('refresh')}${t('acc.refreshWindows')}
          </button>
          <button class="btn" data-testid="groups" @click=${() => {
            this.dialog = 'groups'
          }}>${icon('users')}${t('acc.groups')}</button>
          <crs-menu data-testid="add-gemini" .text=${t('acc.addGemini')} .label=${t('acc.addGemini')} .items=${[
            {
              label: t('acc.addGeminiApi'),
              icon: 'plus',
              run: () => {
                this.dialog = 'gemini-api'
              },
            },
            {
              label: t('acc.addGeminiOauth'),
              icon: 'plus',
              run: () => {
                this.dialog = 'gemini-oauth'
              },
            },
          ]}></crs-menu>
          <crs-menu data-testid="add-other" .text=${t('plat.addOther')} .label=${t('plat.addOther')} .items=${[
            {
              label: t('plat.addBedrock'),
              icon: 'plus',
              run: () => {
                this.dialog = 'bedrock'
              },
            },
            {
              label: t('plat.addCcr'),
              icon: 'plus',
              run: () => {
                this.dialog = 'ccr'
              },
            },
            {
              label: t('plat.addDroid'),
              icon: 'plus',
              run: () => {
                this.dialog = 'droid'
              },
            },
          ]}></crs-menu>
          <button class="btn" data-testid="add-console" @click=${() => {
            this.dialog = 'console'
          }}>${icon('plus')}${t('acc.addConsole')}</button>
          <button class="btn primary" data-testid="add-oauth" @click=${() => {
            this.dialog = 'oauth'
          }}>${icon('plus')}${t('acc.addOauth')}</button>
        </div>
      </div>
      <div class="toolbar">
        <label class="field search"
          ><span>${t('common.search')}</span
          ><input type="search" placeholder=${t('acc.searchPlaceholder')} .value=${q.q ?? ''}
            @input=${(e: Event) => updateQuery({ q: (e.target as HTMLInputElement).value }, { replace: true })}
        /></label>
        <label class="field"
          ><span>${t('acc.filter.platform')}</span>
          <select @change=${(e: Event) => updateQuery({ platform: (e.target as HTMLSelectElement).value })}>
            <option value="">${t('common.all')}</option>
            <option value="claude-oauth" ?selected=${q.platform === 'claude-oauth'}>${t('acc.platform.claude-oauth')}</option>
            <option value="claude-console" ?selected=${q.platform === 'claude-console'}>${t('acc.platform.claude-console')}</option>
            <option value="gemini-oauth" ?selected=${q.platform === 'gemini-oauth'}>${t('acc.platform.gemini-oauth')}</option>
            <option value="gemini-api" ?selected=${q.platform === 'gemini-api'}>${t('acc.platform.gemini-api')}</option>
            ${OTHER_PLATFORMS.map((p) => html`<option value=${p} ?selected=${q.platform === p}>${t(`acc.platform.${p}` as MessageKey)}</option>`)}
          </select></label
        >
        <label class="field"
          ><span>${t('acc.filter.group')}</span>
          <select @change=${(e: Event) => updateQuery({ group: (e.target as HTMLSelectElement).value })}>
            <option value="">${t('common.all')}</option>
            ${this.groups.map((g) => html`<option value=${g.id} ?selected=${q.group === g.id}>${g.name}</option>`)}
          </select></label
        >
      </div>
      <crs-data-table
        data-testid="accounts-table"
        nowrap
        .columns=${this.columns(now)}
        .rows=${this.filtered()}
        .loading=${this.loading && !this.accounts}
        .error=${this.error}
        .emptyText=${t('acc.none')}
        .caption=${t('acc.title')}
        @crs-retry=${() => this.load()}
      ></crs-data-table>
      ${this.dialog === 'oauth' ? html`<crs-oauth-wizard .groups=${this.groups} @crs-close=${this.closeDialog} @crs-saved=${() => this.load()}></crs-oauth-wizard>` : ''}
      ${
        OTHER_PLATFORMS.includes(this.dialog as OtherPlatform) ||
        (this.dialog === 'edit' && isOther(this.editing))
          ? html`<crs-platform-account-dialog
              .platform=${(this.editing?.platform ?? this.dialog) as OtherPlatform}
              .account=${this.dialog === 'edit' ? this.editing : null}
              .groups=${this.groups}
              @crs-close=${this.closeDialog}
              @crs-saved=${() => this.load()}
            ></crs-platform-account-dialog>`
          : ''
      }
      ${
        this.dialog === 'console' ||
        this.dialog === 'gemini-api' ||
        (this.dialog === 'edit' && !isOther(this.editing))
          ? html`<crs-account-dialog
              .account=${this.dialog === 'edit' ? this.editing : null}
              .kind=${this.dialog === 'gemini-api' ? 'gemini-api' : 'claude-console'}
              .groups=${this.groups}
              @crs-close=${this.closeDialog}
              @crs-saved=${() => this.load()}
            ></crs-account-dialog>`
          : ''
      }
      ${
        this.dialog === 'gemini-oauth'
          ? html`<crs-gemini-oauth-dialog .groups=${this.groups} @crs-close=${this.closeDialog} @crs-saved=${() => this.load()}></crs-gemini-oauth-dialog>`
          : ''
      }
      ${
        this.dialog === 'usage' && this.editing
          ? html`<crs-account-usage-dialog .account=${this.editing} @crs-close=${this.closeDialog}></crs-account-usage-dialog>`
          : ''
      }
      ${
        this.dialog === 'groups'
          ? html`<crs-groups-dialog .groups=${this.groups} @crs-close=${this.closeDialog} @crs-saved=${() => this.load()}></crs-groups-dialog>`
          : ''
      }`
  }
}

customElements.define('crs-accounts-page', CrsAccountsPage)
declare global {
  interface HTMLElementTagNameMap {
    'crs-accounts-page': CrsAccountsPage
  }
}
