import { html } from 'lit'
import { api } from '../api/client.ts'
import type { AccountGroup } from '../api/types.ts'
import { t } from '../i18n/i18n.ts'
import { PROXY_ALIASES, proxyErrors, proxyFieldset, proxyFrom } from '../lib/account-form.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { focusInvalid, inputField, showServerError } from '../lib/form.ts'
import { toast } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-copy-button.ts'
import './crs-dialog.ts'

/**
 * @summary Onboards a Gemini Google-login account as the Gemini CLI does: generate the sign-in
 * link, open it, paste the code (or the page's URL) → the code is exchanged and the account
 * created (its Code Assist project is found on first use unless one is given). The proxy, when
 * one is set, carries the code exchange and then all of the account's traffic.
 * @event crs-saved - After the account was created.
 * @event crs-close - The dialog was closed.
 */
export class CrsGeminiOauthDialog extends CrsElement {
  static override properties = {
    groups: { attribute: false },
    authUrl: { state: true },
    sessionId: { state: true },
    values: { state: true },
    errors: { state: true },
    busy: { state: true },
    serverError: { state: true },
  }
  static override styles = [sharedStyles]
  declare groups: AccountGroup[]
  declare authUrl: string
  declare sessionId: string
  declare values: Record<string, string>
  declare errors: Record<string, string>
  declare busy: boolean
  declare serverError: string

  constructor() {
    super()
    this.groups = []
    this.authUrl = ''
    this.sessionId = ''
    this.values = {
      name: '',
      code: '',
      projectId: '',
      proxyType: '',
      proxyHost: '',
      proxyPort: '',
      proxyUser: '',
      proxyPass: '',
    }
    this.errors = {}
    this.busy = false
    this.serverError = ''
  }

  /** Whether the proxy fields are valid (errors shown and focused when not). */
  private proxyOk(): boolean {
    this.errors = proxyErrors(this.values)
    if (Object.keys(this.errors).length === 0) return true
    focusInvalid(this.renderRoot, this.updateComplete)
    return false
  }

  /** A server error next to the field it names, else at the top of the dialog. */
  private fail(err: unknown) {
    showServerError(this, err, PROXY_ALIASES)
  }

  private async generate() {
    if (!this.proxyOk()) return
    this.busy = true
    this.serverError = ''
    try {
      const r = await api.geminiAuthUrl(proxyFrom(this.values))
      this.authUrl = r.authUrl
      this.sessionId = r.sessionId
    } catch (err) {
      this.fail(err)
    } finally {
      this.busy = false
    }
  }

  private async create(e: Event) {
    e.preventDefault()
    const v = this.values
    if (!v.name?.trim() || !v.code?.trim()) {
      this.serverError = t('common.required')
      return
    }
    if (!this.proxyOk()) return
    this.busy = true
    this.serverError = ''
    try {
      // The proxy as it is now (it may have changed since the link was generated).
      const proxy = proxyFrom(v)
      const { tokens } = await api.geminiExchange(this.sessionId, v.code.trim(), proxy)
      const body: Record<string, unknown> = { name: v.name.trim(), geminiOauth: tokens, proxy }
      if (v.projectId?.trim()) body.projectId = v.projectId.trim()
      await api.createAccount('gemini-oauth', body)
      toast(t('acc.saved'), 'success')
      this.emit('crs-saved')
      this.emit('crs-close')
    } catch (err) {
      this.fail(err)
    } finally {
      this.busy = false
    }
  }

  private set(name: string, value: string) {
    this.values = { ...this.values, [name]: value }
    if (this.errors[name]) {
      const { [name]: _, ...rest } = this.errors
      this.errors = rest
    }
  }

  private field(name: string, label: string) {
    return inputField({
      name,
      label,
      value: this.values[name] ?? '',
      error: this.errors[name],
      onInput: (value) => this.set(name, value),
    })
  }

  override render() {
    return html`<crs-dialog
      open
      .heading=${t('acc.geminiOauthTitle')}
      .error=${this.serverError}
      @crs-close=${() => this.emit('crs-close')}
    >
      <form id="gemini-oauth-form" class="stack" novalidate @submit=${this.create}>
        ${this.field('name', t('common.name'))}
        ${proxyFieldset(this.values, this.errors, (n, x) => this.set(n, x))}
        ${
          this.authUrl
            ? html`<p>${t('acc.gemini.step1')}</p>
                <p class="row">
                  <a href=${this.authUrl} target="_blank" rel="noopener noreferrer" data-testid="gemini-auth-url"
                    >${this.authUrl.slice(0, 60)}…</a
                  >
                  <crs-copy-button .value=${this.authUrl}></crs-copy-button>
                </p>
                ${this.field('code', t('acc.gemini.code'))} ${this.field('projectId', t('acc.gemini.projectId'))}`
            : html`<button type="button" class="btn" data-testid="gemini-generate" ?disabled=${this.busy} @click=${() => this.generate()}>
                ${t('acc.gemini.generate')}
              </button>`
        }
      </form>
      <button slot="footer" class="btn" data-close>${t('common.cancel')}</button>
      <button slot="footer" class="btn primary" type="submit" form="gemini-oauth-form" data-testid="gemini-create" ?disabled=${this.busy || !this.authUrl}>
        ${t('acc.gemini.create')}
      </button>
    </crs-dialog>`
  }
}

customElements.define('crs-gemini-oauth-dialog', CrsGeminiOauthDialog)
declare global {
  interface HTMLElementTagNameMap {
    'crs-gemini-oauth-dialog': CrsGeminiOauthDialog
  }
}
