import { html } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import type { Route } from '../lib/route.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-accounts-page.ts'
import './crs-audit-log.ts'
import './crs-connect-page.ts'
import './crs-dashboard.ts'
import './crs-history-page.ts'
import './crs-keys-page.ts'
import './crs-login-form.ts'
import './crs-public-stats.ts'
import './crs-settings-page.ts'

/**
 * @summary Renders the page of the current route, handing it the route's query parameters.
 */
export class CrsRouterOutlet extends CrsElement {
  static override properties = { route: { attribute: false } }
  static override styles = [sharedStyles]
  declare route: Route

  constructor() {
    super()
    this.route = { path: 'dashboard', query: {} }
  }

  override render() {
    const q = this.route.query
    switch (this.route.path) {
      case 'login':
        return html`<crs-login-form></crs-login-form>`
      case 'dashboard':
        return html`<crs-dashboard .query=${q}></crs-dashboard>`
      case 'keys':
        return html`<crs-keys-page .query=${q}></crs-keys-page>`
      case 'accounts':
        return html`<crs-accounts-page .query=${q}></crs-accounts-page>`
      case 'history':
        return html`<crs-history-page .query=${q}></crs-history-page>`
      case 'audit':
        return html`<crs-audit-log .query=${q}></crs-audit-log>`
      case 'settings':
        return html`<crs-settings-page></crs-settings-page>`
      case 'connect':
        return html`<crs-connect-page></crs-connect-page>`
      case 'stats':
        return html`<crs-public-stats .query=${q}></crs-public-stats>`
      default:
        return html`<div class="state">${t('shell.notFound')}</div>`
    }
  }
}

customElements.define('crs-router-outlet', CrsRouterOutlet)
declare global {
  interface HTMLElementTagNameMap {
    'crs-router-outlet': CrsRouterOutlet
  }
}
