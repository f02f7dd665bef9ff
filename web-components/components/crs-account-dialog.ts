import { css, html } from 'lit'
import { api } from '../api/client.ts'
import type { Account, AccountGroup, Platform } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { PROXY_ALIASES, proxyErrors, proxyFieldset, proxyFrom } from '../lib/account-form.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { focusInvalid, inputField, selectField, serverFieldError } from '../lib/form.ts'
import { icon } from '../lib/icons.ts'
import { errorText, toast } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-dialog.ts'

type Values = Record<string, string>
type ModelsMode = 'all' | 'list' | 'map'

/** The models an account serves: all, a list, or a mapping of requested → upstream names. */
function modelsOf(a: Account | null): { mode: ModelsMode; list: string; map: [string, string][] } {
  const sm = a?.supportedModels
  if (Array.isArray(sm) && sm.length)
    return { mode: 'list', list: (sm as string[]).join('\n'), map: [['', '']] }
  if (sm && typeof sm === 'object' && !Array.isArray(sm) && Object.keys(sm).length)
    return {
      mode: 'map',
      list: '',
      map: Object.entries(sm as Record<string, string>),
    }
  return { mode: 'all', list: '', map: [['', '']] }
}

/**
 * @summary Creates a Claude Console account or edits any account: name, URL, key, priority,
 * scheduling, groups, proxy, and the models it serves (all, a list, or a mapping of requested to
 * upstream names). Server errors appear next to the field they name; closing a changed form asks
 * first.
 * @event crs-saved - After a save.
 * @event crs-close - The dialog was closed.
 */
export class CrsAccountDialog extends CrsElement {
  static override properties = {
    account: { attribute: false },
    kind: { attribute: false },
    groups: { attribute: false },
    values: { state: true },
    mappings: { state: true },
    errors: { state: true },
    serverError: { state: true },
    busy: { state: true },
    dirty: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      .map-row {
        display: grid;
        grid-template-columns: minmax(0, 1fr) auto minmax(0, 1fr) auto;
        align-items: end;
        gap: 8px;
        margin-bottom: 8px;
      }
      .arrow {
        padding-bottom: 8px;
        color: var(--crs-text-muted);
      }
    `,
  ]
  declare account: Account | null
  /** The kind a new account is created as (Console unless told). */
  declare kind: Platform | undefined
  declare groups: AccountGroup[]
  declare values: Values
  declare mappings: [string, string][]
  declare errors: Record<string, string>
  declare serverError: string
  declare busy: boolean
  declare dirty: boolean

  constructor() {
    super()
    this.account = null
    this.groups = []
    this.values = {}
    this.mappings = [['', '']]
    this.errors = {}
    this.serverError = ''
    this.busy = false
    this.dirty = false
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('account')) {
      const a = this.account
      const models = modelsOf(a)
      this.values = {
        name: a?.name ?? '',
        description: a?.description ?? '',
        apiUrl: a?.apiUrl ?? '',
        apiKey: '',
        priority: String(a?.priority ?? 50),
        maxConcurrency: String(a?.maxConcurrency ?? 0),
        accountType: a?.accountType ?? 'shared',
        groupId: a?.groupIds[0] ?? '',
        proxyType: a?.proxy?.type ?? '',
        proxyHost: a?.proxy?.host ?? '',
        proxyPort: a?.proxy ? String(a.proxy.port) : '',
        proxyUser: a?.proxy?.username ?? '',
        proxyPass: '',
        modelsMode: models.mode,
        modelsList: models.list,
        dailyQuota: String(a?.options?.dailyQuota ?? 0),
        quotaResetTime: String(a?.options?.quotaResetTime ?? '00:00'),
        rateLimitDuration: String(a?.options?.rateLimitDuration ?? 0),
        autoStopOnWarning: a?.options?.autoStopOnWarning === true ? 'true' : 'false',
        subscriptionExpiresAt:
          typeof a?.options?.subscriptionExpiresAt === 'string'
            ? a.options.subscriptionExpiresAt.slice(0, 10)
            : '',
      }
      this.mappings = models.map
      this.dirty = false
    }
  }

  private get platform(): Platform {
    return this.account?.platform ?? this.kind ?? 'claude-console'
  }

  private set(name: string, value: string) {
    this.values = { ...this.values, [name]: value }
    this.dirty = true
    if (this.errors[name]) {
      const { [name]: _drop, ...rest } = this.errors
      this.errors = rest
    }
  }

  private setMapping(i: number, side: 0 | 1, value: string) {
    this.mappings = this.mappings.map((m, j) =>
      j === i ? ((side === 0 ? [value, m[1]] : [m[0], value]) as [string, string]) : m,
    )
    this.dirty = true
  }

  /** The models field of the request body. */
  private supportedModels(): string[] | Record<string, string> {
    const v = this.values
    if (v.modelsMode === 'list')
      return (v.modelsList ?? '')
        .split(/[\n,]/)
        .map((x) => x.trim())
        .filter(Boolean)
    if (v.modelsMode === 'map') {
      const out: Record<string, string> = {}
      for (const [from, to] of this.mappings) if (from.trim()) out[from.trim()] = to.trim()
      return out
    }
    return []
  }

  private validate(): boolean {
    const v = this.values
    const e: Record<string, string> = { ...proxyErrors(v) }
    if (!v.name?.trim()) e.name = t('common.required')
    if (this.platform === 'gemini-api') {
      const url = v.apiUrl?.trim() ?? ''
      if (url && !/^https?:\/\/\S+$/.test(url)) e.apiUrl = t('acc.invalidUrl')
      if (!this.account && !v.apiKey?.trim()) e.apiKey = t('common.required')
    }
    if (this.platform === 'claude-console') {
      if (!/^https?:\/\/\S+$/.test(v.apiUrl?.trim() ?? '')) e.apiUrl = t('acc.invalidUrl')
      if (!this.account && !v.apiKey?.trim()) e.apiKey = t('common.required')
    }
    const pr = Number(v.priority)
    if (!Number.isInteger(pr) || pr < 1 || pr > 100) e.priority = t('acc.invalidPriority')
    const mc = Number(v.maxConcurrency)
    if (!Number.isInteger(mc) || mc < 0) e.maxConcurrency = t('common.invalidNumber')
    if (this.platform === 'claude-console') {
      const q = Number(v.dailyQuota)
      if (!Number.isFinite(q) || q < 0) e.dailyQuota = t('common.invalidNumber')
      const d = Number(v.rateLimitDuration)
      if (!Number.isFinite(d) || d < 0) e.rateLimitDuration = t('common.invalidNumber')
      if (!/^(([01]\d|2[0-3]):[0-5]\d)?$/.test(v.quotaResetTime ?? ''))
        e.quotaResetTime = t('acc.invalidTime')
    }
    if (v.subscriptionExpiresAt && !/^\d{4}-\d{2}-\d{2}$/.test(v.subscriptionExpiresAt))
      e.subscriptionExpiresAt = t('acc.invalidDate')
    if (v.modelsMode === 'list' && (this.supportedModels() as string[]).length === 0)
      e.modelsList = t('acc.modelsNeeded')
    if (v.modelsMode === 'map') {
      const rows = this.mappings.filter(([a, b]) => a.trim() || b.trim())
      if (!rows.length) e.mappings = t('acc.modelsNeeded')
      else if (rows.some(([a, b]) => !a.trim() || !b.trim()))
        e.mappings = t('acc.mappingIncomplete')
      else if (new Set(rows.map(([a]) => a.trim())).size < rows.length)
        e.mappings = t('acc.mappingDuplicate')
    }
    this.errors = e
    if (Object.keys(e).length) {
      focusInvalid(this.renderRoot, this.updateComplete)
      return false
    }
    return true
  }

  private async submit(e: Event) {
    e.preventDefault()
    if (!this.validate()) return
    const v = this.values
    const body: Record<string, unknown> = {
      name: v.name!.trim(),
      description: v.description,
      priority: Number(v.priority),
      maxConcurrency: Number(v.maxConcurrency),
      accountType: v.accountType,
      groupIds: v.groupId ? [v.groupId] : [],
      proxy: proxyFrom(v),
      supportedModels: this.supportedModels(),
    }
    if (this.platform === 'claude-console' || this.platform === 'gemini-api') {
      body.apiUrl = v.apiUrl!.trim()
      if (v.apiKey) body.apiKey = v.apiKey.trim()
      body.dailyQuota = Number(v.dailyQuota)
      body.quotaResetTime = v.quotaResetTime || '00:00'
      body.rateLimitDuration = Number(v.rateLimitDuration)
    }
    if (this.platform === 'claude-oauth') body.autoStopOnWarning = v.autoStopOnWarning === 'true'
    if (this.platform === 'claude-oauth' || this.platform === 'claude-console')
      body.subscriptionExpiresAt = v.subscriptionExpiresAt
        ? `${v.subscriptionExpiresAt}T00:00:00.000Z`
        : null
    this.busy = true
    this.serverError = ''
    try {
      if (this.account) await api.updateAccount(this.platform, this.account.id, body)
      else await api.createAccount(this.platform, body)
      toast(t('acc.saved'), 'success')
      this.emit('crs-saved')
      this.emit('crs-close')
    } catch (err) {
      const named = serverFieldError(err, Object.keys(this.values), {
        ...PROXY_ALIASES,
        supportedModels: this.values.modelsMode === 'map' ? 'mappings' : 'modelsList',
      })
      if (named) {
        this.errors = { ...this.errors, [named.field]: named.message }
        focusInvalid(this.renderRoot, this.updateComplete)
      } else this.serverError = errorText(err)
    } finally {
      this.busy = false
    }
  }

  private field(name: string, label: MessageKey, type = 'text', auto = 'off', hint = '') {
    return inputField({
      name,
      label: t(label),
      value: this.values[name] ?? '',
      error: this.errors[name],
      type,
      autocomplete: auto,
      hint,
      onInput: (v) => this.set(name, v),
    })
  }

  private select(name: string, label: MessageKey, options: [string, string][]) {
    return selectField({
      name,
      label: t(label),
      value: this.values[name] ?? '',
      options,
      error: this.errors[name],
      onChange: (v) => this.set(name, v),
    })
  }

  private modelsFieldset() {
    const mode = this.values.modelsMode as ModelsMode
    return html`<fieldset data-testid="models">
      <legend>${t('acc.models')}</legend>
      <div class="stack">
        ${this.select('modelsMode', 'acc.modelsMode', [
          ['all', t('acc.models.all')],
          ['list', t('acc.models.list')],
          ['map', t('acc.models.map')],
        ])}
        ${
          mode === 'list'
            ? html`<label class="field"
                ><span>${t('acc.modelsList')}</span
                ><textarea
                  name="modelsList"
                  rows="4"
                  .value=${this.values.modelsList ?? ''}
                  aria-invalid=${this.errors.modelsList ? 'true' : 'false'}
                  @input=${(e: Event) => this.set('modelsList', (e.target as HTMLTextAreaElement).value)}
                ></textarea>${this.errors.modelsList ? html`<span class="field-error">${this.errors.modelsList}</span>` : ''}</label
              >`
            : ''
        }
        ${
          mode === 'map'
            ? html`<div>
                <p class="hint" style="margin:0 0 8px">${t('acc.mapHint')}</p>
                ${this.mappings.map(
                  ([from, to], i) => html`<div class="map-row">
                    ${inputField({
                      name: `map-from-${i}`,
                      label: t('acc.mapFrom'),
                      value: from,
                      placeholder: 'claude-sonnet-4-5',
                      error: undefined,
                      onInput: (v) => this.setMapping(i, 0, v),
                    })}
                    <span class="arrow" aria-hidden="true">→</span>
                    ${inputField({
                      name: `map-to-${i}`,
                      label: t('acc.mapTo'),
                      value: to,
                      placeholder: 'vendor/sonnet-latest',
                      onInput: (v) => this.setMapping(i, 1, v),
                    })}
                    <button type="button" class="btn icon-only" aria-label=${t('acc.mapRemove', { n: i + 1 })} ?disabled=${this.mappings.length === 1}
                      @click=${() => {
                        this.mappings = this.mappings.filter((_, j) => j !== i)
                        this.dirty = true
                      }}>${icon('trash')}</button>
                  </div>`,
                )}
                ${this.errors.mappings ? html`<p class="field-error" role="alert">${this.errors.mappings}</p>` : ''}
                <button type="button" class="btn small" data-testid="add-mapping" @click=${() => {
                  this.mappings = [...this.mappings, ['', '']]
                  this.dirty = true
                }}>${icon('plus')}${t('acc.mapAdd')}</button>
              </div>`
            : ''
        }
      </div>
    </fieldset>`
  }

  override render() {
    const heading = this.account
      ? t('acc.editTitle', { name: this.account.name })
      : this.platform === 'gemini-api'
        ? t('acc.geminiApiTitle')
        : t('acc.consoleTitle')
    const consoleAcc = this.platform === 'claude-console'
    const geminiApi = this.platform === 'gemini-api'
    return html`<crs-dialog
      open
      wide
      .heading=${heading}
      .error=${this.serverError}
      .dirty=${this.dirty}
      @crs-close=${() => this.emit('crs-close')}
    >
      <form id="acc-form" class="stack" novalidate @submit=${this.submit}>
        <div class="form-grid">
          ${this.field('name', 'common.name')} ${this.field('description', 'common.description')}
          ${consoleAcc ? html`${this.field('apiUrl', 'acc.apiUrl', 'url')}${this.field('apiKey', this.account ? 'acc.apiKeyKeep' : 'acc.apiKey', 'password', 'new-password')}` : ''}
          ${geminiApi ? html`${this.field('apiUrl', 'acc.baseUrl', 'url')}${this.field('apiKey', this.account ? 'acc.apiKeyKeep' : 'acc.apiKey', 'password', 'new-password')}` : ''}
          ${this.field('priority', 'acc.col.priority', 'number', 'off', t('acc.priorityHint'))} ${this.field('maxConcurrency', 'acc.maxConcurrency', 'number')}
          ${this.select('accountType', 'acc.accountType', [
            ['shared', t('acc.type.shared')],
            ['dedicated', t('acc.type.dedicated')],
            ['group', t('acc.type.group')],
          ])}
          ${consoleAcc ? html`${this.field('dailyQuota', 'acc.dailyQuota', 'number')}${this.field('quotaResetTime', 'acc.quotaResetTime')}${this.field('rateLimitDuration', 'acc.rateLimitDuration', 'number')}` : ''}
          ${
            this.platform === 'claude-oauth'
              ? this.select('autoStopOnWarning', 'acc.autoStopOnWarning', [
                  ['false', t('common.no')],
                  ['true', t('common.yes')],
                ])
              : ''
          }
          ${consoleAcc || this.platform === 'claude-oauth' ? this.field('subscriptionExpiresAt', 'acc.subscriptionExpiresAt', 'date') : ''}
          ${this.select('groupId', 'acc.filter.group', [['', t('common.none')], ...this.groups.map((g): [string, string] => [g.id, g.name])])}
        </div>
        ${this.modelsFieldset()}
        ${proxyFieldset(this.values, this.errors, (n, v) => this.set(n, v))}
      </form>
      <button slot="footer" class="btn" data-close>${t('common.cancel')}</button>
      <button slot="footer" class="btn primary" type="submit" form="acc-form" data-testid="save-account" ?disabled=${this.busy}>${t('common.save')}</button>
    </crs-dialog>`
  }
}

customElements.define('crs-account-dialog', CrsAccountDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-account-dialog': CrsAccountDialog
  }
}
