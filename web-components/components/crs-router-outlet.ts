import { html } from 'lit'
import { t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import type { Route } from '../lib/route.ts'
import { errorBlock, loadingBlock } from '../lib/states.ts'
import { sharedStyles } from '../styles/shared-styles.ts'

/** Each page's element and the chunk that defines it (loaded on first visit). */
const PAGES: Record<string, { tag: string; load: () => Promise<unknown> }> = {
  login: { tag: 'crs-login-form', load: () => import('./crs-login-form.ts') },
  dashboard: { tag: 'crs-dashboard', load: () => import('./crs-dashboard.ts') },
  keys: { tag: 'crs-keys-page', load: () => import('./crs-keys-page.ts') },
  accounts: { tag: 'crs-accounts-page', load: () => import('./crs-accounts-page.ts') },
  openai: { tag: 'crs-openai-accounts-page', load: () => import('./crs-openai-accounts-page.ts') },
  history: { tag: 'crs-history-page', load: () => import('./crs-history-page.ts') },
  audit: { tag: 'crs-audit-log', load: () => import('./crs-audit-log.ts') },
  settings: { tag: 'crs-settings-page', load: () => import('./crs-settings-page.ts') },
  connect: { tag: 'crs-connect-page', load: () => import('./crs-connect-page.ts') },
  stats: { tag: 'crs-public-stats', load: () => import('./crs-public-stats.ts') },
}

/**
 * @summary Renders the page of the current route, handing it the route's query parameters. Each
 * page is its own chunk, fetched the first time it is shown.
 */
export class CrsRouterOutlet extends CrsElement {
  static override properties = { route: { attribute: false }, failed: { state: true } }
  static override styles = [sharedStyles]
  declare route: Route
  declare failed: unknown
  private readonly loading = new Set<string>()

  constructor() {
    super()
    this.route = { path: 'dashboard', query: {} }
    this.failed = null
  }

  private ensure(path: string, tag: string, load: () => Promise<unknown>) {
    if (customElements.get(tag) || this.loading.has(path)) return
    this.loading.add(path)
    load()
      .then(() => {
        this.failed = null
      })
      .catch((err: unknown) => {
        this.failed = err
      })
      .finally(() => {
        this.loading.delete(path)
        this.requestUpdate()
      })
  }

  override render() {
    const page = PAGES[this.route.path]
    if (!page) return html`<div class="state">${t('shell.notFound')}</div>`
    if (!customElements.get(page.tag)) {
      this.ensure(this.route.path, page.tag, page.load)
      return this.failed
        ? errorBlock(this.failed, () => {
            this.failed = null
          })
        : loadingBlock()
    }
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
      case 'openai':
        return html`<crs-openai-accounts-page></crs-openai-accounts-page>`
      case 'history':
        return html`<crs-history-page .query=${q}></crs-history-page>`
      case 'audit':
        return html`<crs-audit-log .query=${q}></crs-audit-log>`
      case 'settings':
        return html`<crs-settings-page></crs-settings-page>`
      case 'connect':
        return html`<crs-connect-page></crs-connect-page>`
      default:
        return html`<crs-public-stats .query=${q}></crs-public-stats>`
    }
  }
}

customElements.define('crs-router-outlet', CrsRouterOutlet)
declare global {
  interface HTMLElementTagNameMap {
    'crs-router-outlet': CrsRouterOutlet
  }
}
