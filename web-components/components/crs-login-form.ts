import { css, html } from 'lit'
import { api } from '../api/client.ts'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { href } from '../lib/route.ts'
import { errorText } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/**
 * @summary The admin sign-in form (validated before sending; errors shown inline).
 * @event crs-signed-in - `{ username }` after a successful sign-in.
 */
export class CrsLoginForm extends CrsElement {
  static override properties = {
    busy: { state: true },
    error: { state: true },
    invalid: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: grid;
        place-items: center;
        min-height: calc(100vh - 140px);
      }
      form {
        width: min(380px, 100%);
      }
      .card {
        padding: 24px;
      }
      h1 {
        margin-bottom: 18px;
        font-size: 20px;
      }
      .btn.primary {
        width: 100%;
        margin-top: 4px;
      }
      .links {
        margin-top: 14px;
        text-align: center;
      }
    `,
  ]
  declare busy: boolean
  declare error: string
  declare invalid: Record<string, boolean>

  constructor() {
    super()
    this.busy = false
    this.error = ''
    this.invalid = {}
  }

  private async submit(e: SubmitEvent) {
    e.preventDefault()
    const form = e.target as HTMLFormElement
    const fd = new FormData(form)
    const username = String(fd.get('username') ?? '').trim()
    const password = String(fd.get('password') ?? '')
    this.invalid = { username: !username, password: !password }
    if (!username || !password) {
      this.error = ''
      form.querySelector<HTMLInputElement>(username ? '#password' : '#username')?.focus()
      return
    }
    this.busy = true
    this.error = ''
    try {
      const r = await api.login(username, password)
      this.emit('crs-signed-in', { username: r.username ?? username })
    } catch (err) {
      this.error = `${t('login.failed')}: ${errorText(err)}`
    } finally {
      this.busy = false
    }
  }

  override render() {
    return html`<form class="card stack" novalidate @submit=${this.submit} aria-labelledby="login-title">
      <h1 id="login-title">${t('login.title')}</h1>
      <label class="field" for="username"
        ><span>${t('login.username')}</span>
        <input
          id="username"
          name="username"
          autocomplete="username"
          required
          aria-invalid=${this.invalid.username ? 'true' : 'false'}
          aria-describedby="username-err"
      /></label>
      ${this.invalid.username ? html`<span class="field-error" id="username-err">${t('common.required')}</span>` : ''}
      <label class="field" for="password"
        ><span>${t('login.password')}</span>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          aria-invalid=${this.invalid.password ? 'true' : 'false'}
          aria-describedby="password-err"
      /></label>
      ${this.invalid.password ? html`<span class="field-error" id="password-err">${t('common.required')}</span>` : ''}
      ${this.error ? html`<div class="callout error" role="alert">${this.error}</div>` : ''}
      <button class="btn primary" type="submit" ?disabled=${this.busy}>
        ${this.busy ? html`<span class="spinner"></span>` : ''}${t('login.submit')}
      </button>
      <div class="links small">
        <a href=${href('stats')}>${t('login.publicStats')}</a> ·
        <a href=${href('connect')}>${t('nav.connect')}</a>
      </div>
    </form>`
  }
}

customElements.define('crs-login-form', CrsLoginForm)
declare global {
  interface HTMLElementTagNameMap {
    'crs-login-form': CrsLoginForm
  }
}
