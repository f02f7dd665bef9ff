import { css, html } from 'lit'
import { api } from '../api/client.ts'
import type { AccountGroup, AuthUrl } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { fmtDateTime } from '../lib/format.ts'
import { toast, toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import { proxyErrors, proxyFrom } from './crs-account-dialog.ts'
import './crs-copy-button.ts'
import './crs-dialog.ts'

/**
 * @summary Onboards a Claude subscription account: options (OAuth or setup token, name, proxy) →
 * open the sign-in link and paste the code or callback URL → account created.
 * @event crs-saved - After the account was created.
 * @event crs-close - The wizard was closed.
 */
export class CrsOauthWizard extends CrsElement {
  static override properties = {
    groups: { attribute: false },
    step: { state: true },
    values: { state: true },
    errors: { state: true },
    auth: { state: true },
    busy: { state: true },
    createdName: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      ol.steps {
        display: flex;
        gap: 8px;
        list-style: none;
        padding: 0;
        margin: 0 0 16px;
        flex-wrap: wrap;
      }
      ol.steps li {
        padding: 4px 10px;
        border-radius: 999px;
        background: var(--crs-surface-2);
        color: var(--crs-text-muted);
        font-size: 12.5px;
        font-weight: 600;
      }
      ol.steps li[aria-current='step'] {
        background: var(--crs-info-bg);
        color: var(--crs-primary);
      }
      .link {
        overflow-wrap: anywhere;
        font-family: var(--crs-mono);
        font-size: 12px;
        padding: 8px;
        background: var(--crs-surface-2);
        border-radius: 6px;
      }
    `,
  ]
  declare groups: AccountGroup[]
  declare step: 1 | 2 | 3
  declare values: Record<string, string>
  declare errors: Record<string, string>
  declare auth: AuthUrl | null
  declare busy: boolean
  declare createdName: string

  constructor() {
    super()
    this.groups = []
    this.step = 1
    this.values = {
      mode: 'oauth',
      name: '',
      priority: '50',
      groupId: '',
      proxyType: '',
      proxyHost: '',
      proxyPort: '',
      proxyUser: '',
      proxyPass: '',
      code: '',
    }
    this.errors = {}
    this.auth = null
    this.busy = false
    this.createdName = ''
  }

  private set(name: string, value: string) {
    this.values = { ...this.values, [name]: value }
  }

  private async generate(e: Event) {
    e.preventDefault()
    const errs = proxyErrors(this.values)
    const pr = Number(this.values.priority)
    if (!Number.isInteger(pr) || pr < 0) errs.priority = t('common.invalidNumber')
    this.errors = errs
    if (Object.keys(errs).length) return
    this.busy = true
    try {
      this.auth = await api.generateAuthUrl(this.values.mode === 'setup', proxyFrom(this.values))
      this.step = 2
    } catch (err) {
      toastError(err)
    } finally {
      this.busy = false
    }
  }

  private async exchange(e: Event) {
    e.preventDefault()
    const code = this.values.code?.trim() ?? ''
    if (!code) {
      this.errors = { code: t('common.required') }
      return
    }
    this.errors = {}
    this.busy = true
    try {
      const isUrl = /^https?:\/\//.test(code)
      const r = await api.exchangeCode(this.values.mode === 'setup', {
        sessionId: this.auth?.sessionId,
        ...(isUrl ? { callbackUrl: code } : { authorizationCode: code }),
        createAccount: true,
        name: this.values.name?.trim() || undefined,
        priority: Number(this.values.priority),
        groupIds: this.values.groupId ? [this.values.groupId] : [],
        proxy: proxyFrom(this.values),
      })
      this.createdName = r.account?.name ?? ''
      this.step = 3
      toast(t('oauth.done', { name: this.createdName }), 'success')
      this.emit('crs-saved')
    } catch (err) {
      toastError(err)
    } finally {
      this.busy = false
    }
  }

  private field(name: string, label: MessageKey, type = 'text') {
    const err = this.errors[name]
    return html`<label class="field"
      ><span>${t(label)}</span
      ><input name=${name} type=${type} autocomplete="off" .value=${this.values[name] ?? ''} aria-invalid=${err ? 'true' : 'false'}
        @input=${(e: Event) => this.set(name, (e.target as HTMLInputElement).value)}
      />${err ? html`<span class="field-error">${err}</span>` : ''}</label
    >`
  }

  private select(name: string, label: MessageKey, options: [string, string][]) {
    return html`<label class="field"
      ><span>${t(label)}</span
      ><select name=${name} @change=${(e: Event) => this.set(name, (e.target as HTMLSelectElement).value)}>
        ${options.map(([v, l]) => html`<option value=${v} ?selected=${this.values[name] === v}>${l}</option>`)}
      </select></label
    >`
  }

  private body() {
    if (this.step === 1)
      return html`<form id="wiz" class="stack" novalidate @submit=${this.generate}>
        ${this.select('mode', 'oauth.mode', [
          ['oauth', t('oauth.mode.oauth')],
          ['setup', t('oauth.mode.setup')],
        ])}
        <div class="form-grid">
          ${this.field('name', 'common.name')} ${this.field('priority', 'acc.col.priority', 'number')}
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
            ${this.values.proxyType ? html`${this.field('proxyHost', 'acc.proxyHost')}${this.field('proxyPort', 'acc.proxyPort', 'number')}${this.field('proxyUser', 'acc.proxyUser')}${this.field('proxyPass', 'acc.proxyPass', 'password')}` : ''}
          </div>
        </fieldset>
      </form>`
    if (this.step === 2)
      return html`<form id="wiz" class="stack" novalidate @submit=${this.exchange}>
        <p>${t('oauth.openLink')}</p>
        <div class="link" data-testid="auth-url">${this.auth?.authUrl}</div>
        <div class="row">
          <a class="btn" href=${this.auth?.authUrl ?? '#'} target="_blank" rel="noopener noreferrer">${t('oauth.step2')}</a>
          <crs-copy-button .value=${this.auth?.authUrl ?? ''}></crs-copy-button>
        </div>
        ${this.auth ? html`<p class="small muted">${t('oauth.expires', { t: fmtDateTime(this.auth.expiresAt) })}</p>` : ''}
        ${this.field('code', 'oauth.code')}
      </form>`
    return html`<p class="callout" role="status">${t('oauth.done', { name: this.createdName })}</p>`
  }

  override render() {
    const steps: MessageKey[] = ['oauth.step1', 'oauth.step2', 'oauth.step3']
    return html`<crs-dialog open wide .heading=${t('oauth.title')} @crs-close=${() => this.emit('crs-close')}>
      <ol class="steps">
        ${steps.map((s, i) => html`<li aria-current=${this.step === i + 1 ? 'step' : 'false'}>${i + 1}. ${t(s)}</li>`)}
      </ol>
      ${this.body()}
      <button slot="footer" class="btn" @click=${() => this.emit('crs-close')}>${this.step === 3 ? t('common.close') : t('common.cancel')}</button>
      ${
        this.step < 3
          ? html`<button slot="footer" class="btn primary" type="submit" form="wiz" ?disabled=${this.busy}>
              ${this.busy ? html`<span class="spinner"></span>` : ''}${this.step === 1 ? t('oauth.generate') : t('oauth.exchange')}
            </button>`
          : ''
      }
    </crs-dialog>`
  }
}

customElements.define('crs-oauth-wizard', CrsOauthWizard)
declare global {
  interface HTMLElementTagNameMap {
    'crs-oauth-wizard': CrsOauthWizard
  }
}
