import { css, html } from 'lit'
import { api } from '../api/client.ts'
import type { AccountGroup, AuthUrl } from '../api/types.ts'
import { type MessageKey, t } from '../i18n/i18n.ts'
import { PROXY_ALIASES, proxyErrors, proxyFieldset, proxyFrom } from '../lib/account-form.ts'
import { CrsElement } from '../lib/crs-element.ts'
import {
  focusInvalid,
  inputField,
  selectField,
  serverFieldError,
  showServerError,
} from '../lib/form.ts'
import { fmtDateTime, fromLocalInput } from '../lib/format.ts'
import { errorText, toast } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-copy-button.ts'
import './crs-dialog.ts'

/** Server field names of the hand-entered tokens → the form's. */
const TOKEN_ALIASES: Record<string, string> = {
  ...PROXY_ALIASES,
  accessToken: 'accessToken',
  'claudeAiOauth.accessToken': 'accessToken',
  refreshToken: 'refreshToken',
  authorizationCode: 'code',
  callbackUrl: 'code',
}

/**
 * @summary Onboards a Claude subscription account: options (OAuth, setup token, or tokens entered
 * by hand; name, proxy) → open the sign-in link and paste the code or callback URL → account
 * created. Server errors (a failed code exchange) appear inside the wizard, next to the field.
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
    serverError: { state: true },
    dirty: { state: true },
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
  declare serverError: string
  declare dirty: boolean

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
      accessToken: '',
      refreshToken: '',
      expiresAt: '',
      scopes: 'user:inference user:profile',
    }
    this.serverError = ''
    this.dirty = false
    this.errors = {}
    this.auth = null
    this.busy = false
    this.createdName = ''
  }

  private set(name: string, value: string) {
    this.values = { ...this.values, [name]: value }
    this.dirty = true
    if (this.errors[name]) {
      const { [name]: _drop, ...rest } = this.errors
      this.errors = rest
    }
  }

  /** A server error next to the field it names, else at the top of the wizard. */
  private fail(err: unknown) {
    showServerError(this, err, TOKEN_ALIASES)
  }

  private common(): Record<string, unknown> {
    return {
      name: this.values.name?.trim() || undefined,
      priority: Number(this.values.priority),
      groupIds: this.values.groupId ? [this.values.groupId] : [],
      proxy: proxyFrom(this.values),
    }
  }

  /** Hand-entered tokens: creates the account directly. */
  private async addManual() {
    const v = this.values
    const errs: Record<string, string> = {}
    if (!v.accessToken?.trim() && !v.refreshToken?.trim()) errs.accessToken = t('oauth.tokenNeeded')
    const exp = v.expiresAt ? fromLocalInput(v.expiresAt) : 0
    if (v.expiresAt && !Number.isFinite(exp)) errs.expiresAt = t('common.invalidDate')
    if (!v.name?.trim()) errs.name = t('common.required')
    if (Object.keys(errs).length) {
      this.errors = { ...this.errors, ...errs }
      focusInvalid(this.renderRoot, this.updateComplete)
      return
    }
    const a = await api.createAccount('claude-oauth', {
      ...this.common(),
      claudeAiOauth: {
        accessToken: v.accessToken?.trim() || undefined,
        refreshToken: v.refreshToken?.trim() || undefined,
        expiresAt: exp || undefined,
        scopes: (v.scopes ?? '').split(/[\s,]+/).filter(Boolean),
      },
    })
    this.created(a.name)
  }

  private created(name: string) {
    this.createdName = name
    this.step = 3
    this.dirty = false
    toast(t('oauth.done', { name }), 'success')
    this.emit('crs-saved')
  }

  private async generate(e: Event) {
    e.preventDefault()
    const errs = proxyErrors(this.values)
    const pr = Number(this.values.priority)
    if (!Number.isInteger(pr) || pr < 1 || pr > 100) errs.priority = t('acc.invalidPriority')
    this.errors = errs
    if (Object.keys(errs).length) {
      focusInvalid(this.renderRoot, this.updateComplete)
      return
    }
    this.busy = true
    this.serverError = ''
    try {
      if (this.values.mode === 'manual') await this.addManual()
      else {
        this.auth = await api.generateAuthUrl(this.values.mode === 'setup', proxyFrom(this.values))
        this.step = 2
      }
    } catch (err) {
      this.fail(err)
    } finally {
      this.busy = false
    }
  }

  private async exchange(e: Event) {
    e.preventDefault()
    const code = this.values.code?.trim() ?? ''
    if (!code) {
      this.errors = { code: t('common.required') }
      focusInvalid(this.renderRoot, this.updateComplete)
      return
    }
    this.errors = {}
    this.serverError = ''
    this.busy = true
    try {
      const isUrl = /^https?:\/\//.test(code)
      const r = await api.exchangeCode(this.values.mode === 'setup', {
        sessionId: this.auth?.sessionId,
        ...(isUrl ? { callbackUrl: code } : { authorizationCode: code }),
        createAccount: true,
        ...this.common(),
      })
      this.created(r.account?.name ?? '')
    } catch (err) {
      // A refused code belongs to the code field, whatever the server's wording.
      if (
        !serverFieldError(err, ['code'], TOKEN_ALIASES) &&
        /exchange|code|token/i.test(errorText(err))
      )
        this.errors = { code: errorText(err) }
      else this.fail(err)
      focusInvalid(this.renderRoot, this.updateComplete)
    } finally {
      this.busy = false
    }
  }

  private field(name: string, label: MessageKey, type = 'text', hint = '') {
    return inputField({
      name,
      label: t(label),
      value: this.values[name] ?? '',
      error: this.errors[name],
      type,
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
      onChange: (v) => this.set(name, v),
    })
  }

  private body() {
    if (this.step === 1)
      return html`<form id="wiz" class="stack" novalidate @submit=${this.generate}>
        ${this.select('mode', 'oauth.mode', [
          ['oauth', t('oauth.mode.oauth')],
          ['setup', t('oauth.mode.setup')],
          ['manual', t('oauth.mode.manual')],
        ])}
        <div class="form-grid">
          ${this.field('name', 'common.name')} ${this.field('priority', 'acc.col.priority', 'number', t('acc.priorityHint'))}
          ${this.select('groupId', 'acc.filter.group', [['', t('common.none')], ...this.groups.map((g): [string, string] => [g.id, g.name])])}
        </div>
        ${
          this.values.mode === 'manual'
            ? html`<fieldset data-testid="manual-tokens">
                <legend>${t('oauth.tokens')}</legend>
                <p class="hint" style="margin:0 0 10px">${t('oauth.manualHint')}</p>
                <div class="form-grid">
                  ${this.field('accessToken', 'oauth.accessToken', 'password')}
                  ${this.field('refreshToken', 'oauth.refreshToken', 'password')}
                  ${this.field('expiresAt', 'oauth.expiresAt', 'datetime-local')}
                  ${this.field('scopes', 'oauth.scopes')}
                </div>
              </fieldset>`
            : ''
        }
        ${proxyFieldset(this.values, this.errors, (n, v) => this.set(n, v))}
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
    return html`<crs-dialog
      open
      wide
      .heading=${t('oauth.title')}
      .error=${this.serverError}
      .dirty=${this.dirty && this.step < 3}
      @crs-close=${() => this.emit('crs-close')}
    >
      <ol class="steps">
        ${steps.map((s, i) => html`<li aria-current=${this.step === i + 1 ? 'step' : 'false'}>${i + 1}. ${t(s)}</li>`)}
      </ol>
      ${this.body()}
      <button slot="footer" class="btn" data-close>${this.step === 3 ? t('common.close') : t('common.cancel')}</button>
      ${
        this.step < 3
          ? html`<button slot="footer" class="btn primary" type="submit" form="wiz" ?disabled=${this.busy}>
              ${this.busy ? html`<span class="spinner"></span>` : ''}${this.step === 1 ? (this.values.mode === 'manual' ? t('oauth.exchange') : t('oauth.generate')) : t('oauth.exchange')}
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
