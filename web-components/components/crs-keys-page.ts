import { css, html, type PropertyValues, unsafeCSS } from 'lit'
import { api } from '../api/client.ts'
import type { Account, AccountGroup, ApiKey, KeyLimitUsage, KeyPage } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { confirmAction } from '../lib/confirm.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtAgo, fmtCompact, fmtCost, fmtDate, fmtDateTime, fmtInt } from '../lib/format.ts'
import { icon } from '../lib/icons.ts'
import { BINDABLE_KINDS, bindingOf, otherBindings, restrictionBadges } from '../lib/key-binding.ts'
import { LIMIT_CSS, limitMeter, limitRows, limitSummary } from '../lib/key-limits.ts'
import { PollingController } from '../lib/polling-controller.ts'
import { href, updateQuery } from '../lib/route.ts'
import { toast, toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import type { Column } from './crs-data-table.ts'
import './crs-data-table.ts'
import './crs-key-dialog.ts'
import type { KeyDialogMode } from './crs-key-dialog.ts'
import './crs-key-usage-dialog.ts'
import './crs-menu.ts'
import './crs-pagination.ts'
import './crs-popover.ts'

const STATUS_BADGE: Record<string, string> = {
  active: 'ok',
  disabled: '',
  expired: 'bad',
  pending: 'info',
  deleted: 'bad',
}

/** Styles of what the keys table's cells render. */
const CELL_CSS = css`
  .binding {
    display: inline-block;
    max-width: 150px;
    overflow: hidden;
    text-overflow: ellipsis;
    vertical-align: middle;
  }
  .status-inline {
    display: none;
  }
  @media (max-width: 1500px) {
    .status-inline {
      display: inline-flex;
    }
    .namecell .hintkey {
      display: none;
    }
  }
  .tags {
    display: inline-flex;
    gap: 4px;
  }
  .actions {
    display: flex;
    gap: 4px;
    flex-wrap: nowrap;
  }
  .ignored {
    text-decoration: line-through;
  }
  .panel-title {
    font-weight: 650;
    margin-bottom: 6px;
  }
  .panel-foot {
    margin-top: 8px;
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
  }
  @media (max-width: 720px) {
    .namecell .hintkey,
    .namecell .tags {
      display: none;
    }
  }
  ${unsafeCSS(LIMIT_CSS)}
`

/**
 * @summary API keys: searchable, filterable, sortable, paged table of one-line rows (every limit
 * with its use and reset time, permissions and restrictions, the binding that applies, actions in
 * a labelled menu); create / edit / batch dialogs; per-key usage; trash with restore. Filters live
 * in the URL.
 */
export class CrsKeysPage extends CrsElement {
  static override properties = {
    query: { attribute: false },
    page: { state: true },
    trash: { state: true },
    loading: { state: true },
    error: { state: true },
    selected: { state: true },
    dialog: { state: true },
    editing: { state: true },
    usageKey: { state: true },
    accounts: { state: true },
    groups: { state: true },
    limitUsage: { state: true },
  }
  static override styles = [
    sharedStyles,
    CELL_CSS,
    css`
      :host {
        display: block;
      }

      .search {
        min-width: min(260px, 100%);
        flex: 1 1 220px;
      }
      select {
        width: auto;
      }
    `,
  ]
  declare query: Record<string, string>
  declare page: KeyPage | null
  declare trash: ApiKey[] | null
  declare loading: boolean
  declare error: unknown
  declare selected: string[]
  declare dialog: KeyDialogMode | null
  declare editing: ApiKey | null
  declare usageKey: ApiKey | null
  declare accounts: Account[]
  declare groups: AccountGroup[]
  declare limitUsage: Record<string, KeyLimitUsage>
  private seq = 0
  private limitSeq = 0
  private searchTimer: ReturnType<typeof setTimeout> | null = null

  constructor() {
    super()
    this.query = {}
    this.page = null
    this.trash = null
    this.loading = false
    this.error = null
    this.selected = []
    this.dialog = null
    this.editing = null
    this.usageKey = null
    this.accounts = []
    this.groups = []
    this.limitUsage = {}
    // Reset countdowns tick; the use behind them is read again every 30 s.
    new PollingController(this, 1000, () => {
      if (Object.values(this.limitUsage).some((u) => u.resets.window)) this.requestUpdate()
    })
    new PollingController(this, 30_000, () => void this.loadLimitUsage())
  }

  override connectedCallback(): void {
    super.connectedCallback()
    void this.loadAccounts()
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('query')) void this.load()
  }

  private get isTrash() {
    return this.query.tab === 'trash'
  }

  private async loadAccounts() {
    try {
      const [groups, ...lists] = await Promise.all([
        api.groups(),
        ...BINDABLE_KINDS.map((p) => api.accounts(p)),
      ])
      this.accounts = lists.flat()
      this.groups = groups
    } catch (err) {
      toastError(err)
    }
  }

  async load() {
    const seq = ++this.seq
    this.loading = true
    try {
      if (this.isTrash) {
        const trash = await api.deletedKeys()
        if (seq === this.seq) this.trash = trash
      } else {
        const q = this.query
        const page = await api.keys({
          page: q.page ?? 1,
          pageSize: q.size ?? 20,
          search: q.q,
          status: q.status,
          tag: q.tag,
          sortBy: q.sort ?? 'createdAt',
          sortOrder: q.dir ?? 'desc',
          costTimeRange: q.period ?? 'all',
        })
        if (seq !== this.seq) return
        this.page = page
        const ids = new Set(page.items.map((k) => k.id))
        this.selected = this.selected.filter((id) => ids.has(id))
        void this.loadLimitUsage()
      }
      this.error = null
    } catch (err) {
      if (seq === this.seq) this.error = err
    } finally {
      if (seq === this.seq) this.loading = false
    }
  }

  /** Current use of the listed keys' limits (one call per page). */
  private async loadLimitUsage() {
    const keys = (this.page?.items ?? []).filter((k) => limitRows({ limits: limitsOf(k) }).length)
    if (this.isTrash || keys.length === 0) return
    const seq = ++this.limitSeq
    try {
      const usage = await api.keyLimitUsage(keys.map((k) => k.id))
      if (seq === this.limitSeq) this.limitUsage = usage
    } catch (err) {
      if (seq === this.limitSeq) toastError(err)
    }
  }

  private async act(fn: () => Promise<unknown>, done?: string) {
    try {
      await fn()
      if (done) toast(done, 'success')
      await this.load()
    } catch (err) {
      toastError(err)
    }
  }

  private async removeItem(k: ApiKey) {
    if (
      !(await confirmAction({
        message: t('keys.deleteConfirm', { name: k.name }),
        danger: true,
        confirmLabel: t('common.delete'),
      }))
    )
      return
    await this.act(() => api.deleteKey(k.id), t('keys.deleted'))
  }

  private async regenerate(k: ApiKey) {
    if (
      !(await confirmAction({
        message: t('keys.regenerateConfirm', { name: k.name }),
        danger: true,
        confirmLabel: t('keys.regenerate'),
      }))
    )
      return
    try {
      const r = await api.regenerateKey(k.id)
      this.editing = k
      this.dialog = 'created'
      await this.updateComplete
      this.renderRoot
        .querySelector('crs-key-dialog')
        ?.showCreated([{ id: r.id, name: r.name, apiKey: r.apiKey }])
      await this.load()
    } catch (err) {
      toastError(err)
    }
  }

  private async batchDelete() {
    const n = this.selected.length
    if (
      !(await confirmAction({
        message: t('keys.batchDeleteConfirm', { n }),
        danger: true,
        confirmLabel: t('common.delete'),
      }))
    )
      return
    await this.act(async () => {
      await api.batchDeleteKeys(this.selected)
      this.selected = []
    }, t('keys.deleted'))
  }

  private limitsCell(k: ApiKey) {
    const used = this.limitUsage[k.id]
    const rows = limitRows(used ?? { limits: limitsOf(k) })
    const restrictions = restrictionBadges(k)
    if (!rows.length && !restrictions.length)
      return html`<span class="muted small">${t('common.unlimited')}</span>`
    const now = Date.now()
    const top = rows[0]
    return html`<crs-popover .label=${t('keys.limitsOf', { name: k.name })} data-testid="limits">
      <span slot="trigger" class="nowrap">
        ${top ? limitSummary(top, now) : html`<span class="small">${t('keys.restricted')}</span>`}
        ${rows.length > 1 ? html`<span class="badge limit-more">+${rows.length - 1}</span>` : ''}
      </span>
      <div class="panel-title">${t('keys.limitsOf', { name: k.name })}</div>
      ${rows.length ? rows.map((r) => limitMeter(r, now)) : html`<p class="muted small">${t('keys.noLimits')}</p>`}
      ${restrictions.length ? html`<div class="panel-foot">${restrictions}</div>` : ''}
    </crs-popover>`
  }

  private bindingCell(k: ApiKey) {
    const b = bindingOf(k, this.accounts, this.groups)
    const others = otherBindings(k, this.accounts, this.groups)
    if (!b.active && others.length === 0)
      return html`<span class="muted small">${t('keys.sharedPool')}</span>`
    const shown = [b.active, ...others].filter(Boolean).join(' · ')
    return html`<span class="small binding" data-testid="key-binding" title=${b.ignored ? t('keys.bindingIgnored', { name: b.ignored }) : shown}>
      ${shown}${b.ignored ? html` <span class="muted ignored">${b.ignored}</span>` : ''}
    </span>`
  }

  private menu(k: ApiKey) {
    return html`<crs-menu
      .label=${t('keys.actionsFor', { name: k.name })}
      .items=${[
        { label: t('common.edit'), icon: 'edit', run: () => this.openEdit(k) },
        {
          label: t('keys.usage'),
          icon: 'chart',
          run: () => {
            this.usageKey = k
          },
        },
        {
          label: k.isActive ? t('keys.disable') : t('keys.enable'),
          icon: k.isActive ? 'pause' : 'play',
          run: () =>
            this.act(() => api.updateKey(k.id, { isActive: !k.isActive }), t('keys.updated')),
        },
        { label: t('keys.regenerate'), icon: 'refresh', run: () => this.regenerate(k) },
        { label: t('common.delete'), icon: 'trash', danger: true, run: () => this.removeItem(k) },
      ]}
    ></crs-menu>`
  }

  private columns(): Column<ApiKey>[] {
    const statusBadge = (k: ApiKey) =>
      html`<span class="badge ${STATUS_BADGE[k.status ?? 'active'] ?? ''}">${t(`keys.status.${k.status ?? 'active'}` as MessageKey)}</span>`
    return [
      {
        key: 'name',
        label: t('keys.col.name'),
        sortable: true,
        render: (k) => html`<div class="namecell">
          <span class="name" title=${k.description || k.name}>${k.name}</span>
          <span class="small muted mono hintkey">${k.hint}</span>
          ${k.tags.length ? html`<span class="tags">${k.tags.map((tag) => html`<span class="badge">${tag}</span>`)}</span>` : ''}
          ${(k.status ?? 'active') !== 'active' ? html`<span class="status-inline">${statusBadge(k)}</span>` : ''}
          ${k.expiresAt && (k.status ?? 'active') === 'active' ? html`<span class="status-inline small muted" title=${t('keys.col.expires')}>${t('keys.expiresOn', { d: fmtDate(k.expiresAt) })}</span>` : ''}
        </div>`,
      },
      {
        key: 'status',
        label: t('common.status'),
        sortable: true,
        xl: true,
        render: statusBadge,
      },
      {
        key: 'permissions',
        label: t('keys.col.permissions'),
        wide: true,
        render: (k) =>
          html`<span class="badge ${k.permissions === 'all' ? '' : 'info'}" title=${t(`keyDlg.perm.${k.permissions}` as MessageKey)}>${t(`keys.perm.${k.permissions}` as MessageKey)}</span>
            ${restrictionBadges(k)}`,
      },
      {
        key: 'binding',
        label: t('keys.col.binding'),
        wide: true,
        render: (k) => this.bindingCell(k),
      },
      {
        key: 'requests',
        label: t('common.requests'),
        sortable: true,
        num: true,
        wide: true,
        render: (k) => fmtInt(k.usage?.requests ?? 0),
      },
      {
        key: 'tokens',
        label: t('common.tokens'),
        sortable: true,
        num: true,
        xl: true,
        render: (k) => fmtCompact(k.usage?.allTokens ?? 0),
      },
      {
        key: 'cost',
        label: t('common.cost'),
        sortable: true,
        num: true,
        wide: true,
        render: (k) => fmtCost(k.usage?.cost ?? 0),
      },
      { key: 'limits', label: t('keys.col.limits'), render: (k) => this.limitsCell(k) },
      {
        key: 'expiresAt',
        label: t('keys.col.expires'),
        sortable: true,
        xl: true,
        render: (k) =>
          k.expirationMode === 'activation' && !k.isActivated
            ? html`<span class="small">${t('keys.afterActivation', { n: k.activationDays, unit: t(k.activationUnit === 'hours' ? 'keyDlg.unit.hours' : 'keyDlg.unit.days') })}</span>`
            : html`<span class="small">${k.expiresAt ? fmtDate(k.expiresAt) : t('common.never')}</span>`,
      },
      {
        key: 'lastUsedAt',
        label: t('common.lastUsed'),
        sortable: true,
        xl: true,
        render: (k) =>
          html`<span class="small" title=${fmtDateTime(k.lastUsedAt)}>${k.lastUsedAt ? fmtAgo(k.lastUsedAt) : t('common.never')}</span>`,
      },
      { key: 'actions', label: t('common.actions'), render: (k) => this.menu(k) },
    ]
  }

  private trashColumns(): Column<ApiKey>[] {
    return [
      {
        key: 'name',
        label: t('keys.col.name'),
        render: (k) =>
          html`<div class="name">${k.name}</div><div class="small muted mono">${k.hint}</div>`,
      },
      { key: 'deletedAt', label: t('keys.deletedAt'), render: (k) => fmtDateTime(k.deletedAt) },
      {
        key: 'created',
        label: t('common.created'),
        wide: true,
        render: (k) => fmtDateTime(k.createdAt),
      },
      {
        key: 'actions',
        label: t('common.actions'),
        render: (k) => html`<div class="actions">
          <button class="btn small" @click=${() => this.act(() => api.restoreKey(k.id), t('keys.restored'))}>${t('keys.restore')}</button>
          <button
            class="btn small danger"
            @click=${async () => {
              if (
                await confirmAction({
                  message: t('keys.purgeConfirm', { name: k.name }),
                  danger: true,
                  confirmLabel: t('keys.purge'),
                })
              )
                await this.act(() => api.purgeKey(k.id), t('keys.purge'))
            }}
          >${t('keys.purge')}</button>
        </div>`,
      },
    ]
  }

  private openEdit(k: ApiKey) {
    this.editing = k
    this.dialog = 'edit'
  }

  private onSearch(e: Event) {
    const v = (e.target as HTMLInputElement).value
    if (this.searchTimer) clearTimeout(this.searchTimer)
    this.searchTimer = setTimeout(
      () => updateQuery({ q: v, page: undefined }, { replace: true }),
      300,
    )
  }

  private filters() {
    const q = this.query
    const statuses = ['active', 'disabled', 'expired', 'pending']
    const periods = ['today', '7days', '30days', 'monthly', 'all']
    return html`<div class="toolbar">
      <label class="field search"
        ><span>${t('common.search')}</span>
        <input type="search" data-testid="key-search" placeholder=${t('keys.searchPlaceholder')} .value=${q.q ?? ''} @input=${this.onSearch}
      /></label>
      <label class="field"
        ><span>${t('keys.filter.status')}</span>
        <select @change=${(e: Event) => updateQuery({ status: (e.target as HTMLSelectElement).value, page: undefined })}>
          <option value="">${t('common.all')}</option>
          ${statuses.map((s) => html`<option value=${s} ?selected=${q.status === s}>${t(`keys.status.${s}` as MessageKey)}</option>`)}
        </select></label
      >
      <label class="field"
        ><span>${t('keys.filter.tag')}</span>
        <select @change=${(e: Event) => updateQuery({ tag: (e.target as HTMLSelectElement).value, page: undefined })}>
          <option value="">${t('common.all')}</option>
          ${(this.page?.availableTags ?? []).map((tag) => html`<option value=${tag} ?selected=${q.tag === tag}>${tag}</option>`)}
        </select></label
      >
      <label class="field"
        ><span>${t('keys.filter.period')}</span>
        <select @change=${(e: Event) => updateQuery({ period: (e.target as HTMLSelectElement).value })}>
          ${periods.map((p) => html`<option value=${p} ?selected=${(q.period ?? 'all') === p}>${t(`keys.period.${p}` as MessageKey)}</option>`)}
        </select></label
      >
    </div>`
  }

  override render() {
    const q = this.query
    const tab = this.isTrash ? 'trash' : 'keys'
    return html`<div class="page-head">
        <h1>${t('keys.title')}</h1>
        <div class="row">
          ${
            this.isTrash
              ? html`<button
                  class="btn danger"
                  ?disabled=${!this.trash?.length}
                  @click=${async () => {
                    if (
                      await confirmAction({
                        message: t('keys.clearTrashConfirm'),
                        danger: true,
                        confirmLabel: t('keys.clearTrash'),
                      })
                    )
                      await this.act(() => api.clearTrash(), t('keys.clearTrash'))
                  }}
                >${icon('trash')}${t('keys.clearTrash')}</button>`
              : html`${
                  this.selected.length
                    ? html`<span class="muted small">${t('common.selected', { n: this.selected.length })}</span>
                        <button class="btn" @click=${() => {
                          this.dialog = 'batch-edit'
                        }}>${icon('edit')}${t('keys.batchEdit')}</button>
                        <button class="btn danger" @click=${this.batchDelete}>${icon('trash')}${t('keys.batchDelete')}</button>`
                    : ''
                }
                  <button class="btn" @click=${() => {
                    this.dialog = 'batch-create'
                  }}>${t('keys.batchCreate')}</button>
                  <button class="btn primary" data-testid="new-key" @click=${() => {
                    this.editing = null
                    this.dialog = 'create'
                  }}>
                    ${icon('plus')}${t('keys.create')}
                  </button>`
          }
        </div>
      </div>
      <div class="tabs" role="tablist">
        <a role="tab" href=${href('keys')} aria-selected=${tab === 'keys' ? 'true' : 'false'}>${t('keys.tab.active')}</a>
        <a role="tab" href=${href('keys', { tab: 'trash' })} aria-selected=${tab === 'trash' ? 'true' : 'false'}>${t('keys.tab.trash')}</a>
      </div>
      ${
        this.isTrash
          ? html`<crs-data-table
              .columns=${this.trashColumns()}
              .rows=${this.trash ?? []}
              .loading=${this.loading}
              .error=${this.error}
              .emptyText=${t('keys.trashEmpty')}
              .caption=${t('keys.tab.trash')}
              @crs-retry=${() => this.load()}
            ></crs-data-table>`
          : html`${this.filters()}
              <crs-data-table
                data-testid="keys-table"
                nowrap
                .columns=${this.columns()}
                .rows=${this.page?.items ?? []}
                .loading=${this.loading}
                .error=${this.error}
                .emptyText=${t('keys.noKeys')}
                .caption=${t('keys.title')}
                .sortKey=${q.sort ?? 'createdAt'}
                .sortDir=${q.dir === 'asc' ? 'asc' : 'desc'}
                selectable
                .selected=${this.selected}
                @crs-selection-change=${(e: CustomEvent<string[]>) => {
                  this.selected = e.detail
                }}
                @crs-sort=${(e: CustomEvent<{ key: string; dir: string }>) => updateQuery({ sort: e.detail.key, dir: e.detail.dir })}
                @crs-retry=${() => this.load()}
              ></crs-data-table>
              <crs-pagination
                .total=${this.page?.pagination.total ?? 0}
                .page=${Number(q.page ?? 1)}
                .pageSize=${Number(q.size ?? 20)}
                @crs-page=${(e: CustomEvent<{ page: number; pageSize: number }>) =>
                  updateQuery({ page: String(e.detail.page), size: String(e.detail.pageSize) })}
              ></crs-pagination>`
      }
      ${
        this.dialog
          ? html`<crs-key-dialog
              .mode=${this.dialog}
              .key_=${this.editing}
              .keyIds=${this.selected}
              .accounts=${this.accounts}
              .groups=${this.groups}
              .tags=${this.page?.availableTags ?? []}
              @crs-close=${() => {
                this.dialog = null
              }}
              @crs-saved=${() => this.load()}
            ></crs-key-dialog>`
          : ''
      }
      ${
        this.usageKey
          ? html`<crs-key-usage-dialog .apiKey=${this.usageKey} @crs-close=${() => {
              this.usageKey = null
            }}></crs-key-usage-dialog>`
          : ''
      }`
  }
}

customElements.define('crs-keys-page', CrsKeysPage)
declare global {
  interface HTMLElementTagNameMap {
    'crs-keys-page': CrsKeysPage
  }
}

/** The limits a key has set, with no use known yet. */
function limitsOf(k: ApiKey) {
  return {
    tokenLimit: k.tokenLimit,
    concurrencyLimit: k.concurrencyLimit,
    currentConcurrency: 0,
    rateLimitWindow: k.rateLimitWindow,
    rateLimitRequests: k.rateLimitRequests,
    rateLimitCost: k.rateLimitCost,
    dailyCostLimit: k.dailyCostLimit,
    totalCostLimit: k.totalCostLimit,
    weeklyOpusCostLimit: k.weeklyOpusCostLimit,
    currentWindowRequests: 0,
    currentWindowTokens: 0,
    currentWindowCost: 0,
    currentDailyCost: 0,
    currentTotalCost: 0,
    weeklyOpusCost: 0,
    windowStartTime: null,
    windowEndTime: null,
    windowRemainingSeconds: 0,
  }
}
