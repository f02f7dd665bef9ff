import { html } from 'lit'
import { api } from '../api/client.ts'
import type { Account, AccountGroup } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { toast, toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-dialog.ts'

type Values = Record<string, string>

/** Proxy fields shared by the account dialog and the OAuth wizard; null when no proxy is set. */
export function proxyFrom(v: Values): Record<string, unknown> | null {
  if (!v.proxyType) return null
  const p: Record<string, unknown> = {
    type: v.proxyType,
    host: v.proxyHost?.trim(),
    port: Number(v.proxyPort),
  }
  if (v.proxyUser) p.username = v.proxyUser
  if (v.proxyPass) p.password = v.proxyPass
  return p
}

/** Validation errors of the proxy fields. */
export function proxyErrors(v: Values): Record<string, string> {
  const e: Record<string, string> = {}
  if (!v.proxyType) return e
  if (!v.proxyHost?.trim()) e.proxyHost = t('common.required')
  const port = Number(v.proxyPort)
  if (!Number.isInteger(port) || port < 1 || port > 65535) e.proxyPort = t('acc.invalidPort')
  return e
}

/**
 * @summary Creates a Claude Console account or edits any account (name, URL, key, priority,
 * scheduling, groups, proxy).
 * @event crs-saved - After a save.
 * @event crs-close - The dialog was closed.
 */
export class CrsAccountDialog extends CrsElement {
  static override properties = {
    account: { attribute: false },
    groups: { attribute: false },
    values: { state: true },
    errors: { state: true },
    busy: { state: true },
  }
  static override styles = [sharedStyles]
  declare account: Account | null
  declare groups: AccountGroup[]
  declare values: Values
  declare errors: Record<string, string>
  declare busy: boolean

  constructor() {
    super()
    this.account = null
    this.groups = []
    this.values = {}
    this.errors = {}
    this.busy = false
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('account')) {
      const a = this.account
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
      }
    }
  }

  private get platform() {
    return this.account?.platform ?? 'claude-console'
  }

  private set(name: string, value: string) {
    this.values = { ...this.values, [name]: value }
  }

  private validate(): boolean {
    const v = this.values
    const e: Record<string, string> = { ...proxyErrors(v) }
    if (!v.name?.trim()) e.name = t('common.required')
    if (this.platform === 'claude-console') {
      if (!/^https?:\/\/\S+$/.test(v.apiUrl?.trim() ?? '')) e.apiUrl = t('acc.invalidUrl')
      if (!this.account && !v.apiKey?.trim()) e.apiKey = t('common.required')
    }
    const pr = Number(v.priority)
    if (!Number.isInteger(pr) || pr < 0) e.priority = t('common.invalidNumber')
    const mc = Number(v.maxConcurrency)
    if (!Number.isInteger(mc) || mc < 0) e.maxConcurrency = t('common.invalidNumber')
    this.errors = e
    if (Object.keys(e).length) {
      void this.updateComplete.then(() =>
        this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(),
      )
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
    }
    if (this.platform === 'claude-console') {
      body.apiUrl = v.apiUrl!.trim()
      if (v.apiKey) body.apiKey = v.apiKey.trim()
    }
    this.busy = true
    try {
      if (this.account) await api.updateAccount(this.platform, this.account.id, body)
      else await api.createAccount('claude-console', body)
      toast(t('acc.saved'), 'success')
      this.emit('crs-saved')
      this.emit('crs-close')
    } catch (err) {
      toastError(err)
    } finally {
      this.busy = false
    }
  }

  private field(name: string, label: MessageKey, type = 'text', auto = 'off') {
    const err = this.errors[name]
    return html`<label class="field"
      ><span>${t(label)}</span
      ><input
        name=${name}
        type=${type}
        autocomplete=${auto}
        .value=${this.values[name] ?? ''}
        aria-invalid=${err ? 'true' : 'false'}
        @input=${(e: Event) => this.set(name, (e.target as HTMLInputElement).value)}
      />${err ? html`<span class="field-error">${err}</span>` : ''}</label
    >`
  }

  private select(name: string, label: MessageKey, options: [string, string][]) {
    return html`<label class="field"
      ><span>${t(label)}</span
      ><select name=${name} @change=${(e: Event) => this.set(name, (e.target as HTMLSelectElement).value)}>
        ${options.map(([val, l]) => html`<option value=${val} ?selected=${this.values[name] === val}>${l}</option>`)}
      </select></label
    >`
  }

  override render() {
    const heading = this.account
      ? t('acc.editTitle', { name: this.account.name })
      : t('acc.consoleTitle')
    const consoleAcc = this.platform === 'claude-console'
    return html`<crs-dialog open wide .heading=${heading} @crs-close=${() => this.emit('crs-close')}>
      <form id="acc-form" class="stack" novalidate @submit=${this.submit}>
        <div class="form-grid">
          ${this.field('name', 'common.name')} ${this.field('description', 'common.description')}
          ${consoleAcc ? html`${this.field('apiUrl', 'acc.apiUrl', 'url')}${this.field('apiKey', this.account ? 'acc.apiKeyKeep' : 'acc.apiKey', 'password', 'new-password')}` : ''}
          ${this.field('priority', 'acc.col.priority', 'number')} ${this.field('maxConcurrency', 'acc.maxConcurrency', 'number')}
          ${this.select('accountType', 'acc.accountType', [
            ['shared', t('acc.type.shared')],
            ['dedicated', t('acc.type.dedicated')],
            ['group', t('acc.type.group')],
          ])}
          ${this.select('groupId', 'acc.filter.group', [['', t('common.none')], ...this.groups.map((g): [string, string] => [g.id, g.name])])}
        </div>
        <fieldset>
          <legend>${t('acc.col.proxy')}</legend>
          <div class="form-grid">
            ${this.select('proxyType', 'acc.proxyType', [
              ['', t('acc.noProxy')],
              ['http', 'HTTP'],
              ['https', 'HTTPS'],
              ['socks5', 'SOCKS5'],
            ])}
            ${
              this.values.proxyType
                ? html`${this.field('proxyHost', 'acc.proxyHost')}${this.field('proxyPort', 'acc.proxyPort', 'number')}${this.field('proxyUser', 'acc.proxyUser')}${this.field('proxyPass', 'acc.proxyPass', 'password', 'new-password')}`
                : ''
            }
          </div>
        </fieldset>
      </form>
      <button slot="footer" class="btn" @click=${() => this.emit('crs-close')}>${t('common.cancel')}</button>
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
