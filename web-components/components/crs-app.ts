import { css, html } from 'lit'
import { api, session } from '../api/client.ts'
import type { OemSettings } from '../api/types.ts'
import { getLocale, type Locale, type MessageKey, setLocale, t } from '../i18n/i18n.ts'
import { CrsElement } from '../lib/crs-element.ts'
import { type IconName, icon } from '../lib/icons.ts'
import { currentRoute, href, navigate, type Route } from '../lib/route.ts'
import { setTheme, type ThemeChoice, themeChoice } from '../lib/theme.ts'
import { toast, toastError } from '../lib/toast.ts'
import { sharedStyles } from '../styles/shared-styles.ts'
import './crs-router-outlet.ts'
import './crs-toast.ts'

interface NavItem {
  path: string
  label: MessageKey
  icon: IconName
}

const ADMIN_NAV: NavItem[] = [
  { path: 'dashboard', label: 'nav.dashboard', icon: 'dashboard' },
  { path: 'keys', label: 'nav.keys', icon: 'key' },
  { path: 'accounts', label: 'nav.accounts', icon: 'server' },
  { path: 'openai', label: 'nav.openai', icon: 'server' },
  { path: 'history', label: 'nav.history', icon: 'history' },
  { path: 'audit', label: 'nav.audit', icon: 'audit' },
  { path: 'settings', label: 'nav.settings', icon: 'settings' },
  { path: 'connect', label: 'nav.connect', icon: 'plug' },
  { path: 'stats', label: 'nav.stats', icon: 'chart' },
]

/** Pages anyone may open without signing in. */
const PUBLIC = new Set(['login', 'stats', 'connect'])

/**
 * @summary The application shell: navigation, theme and language switches, sign-in gate and the
 * routed page. State lives in the hash route (`#/page?query`).
 */
export class CrsApp extends CrsElement {
  static override properties = {
    route: { state: true },
    username: { state: true },
    checking: { state: true },
    menuOpen: { state: true },
    oem: { state: true },
  }
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        min-height: 100vh;
      }
      .skip {
        position: absolute;
        left: -999px;
        top: 8px;
        z-index: 100;
        background: var(--crs-surface);
        padding: 8px 12px;
        border-radius: 6px;
      }
      .skip:focus {
        left: 8px;
      }
      .layout {
        display: grid;
        grid-template-columns: 232px minmax(0, 1fr);
        min-height: 100vh;
        /* The menu column's surface runs the whole page height, past the sticky menu. */
        background: linear-gradient(
          to right,
          var(--crs-surface) 231px,
          var(--crs-border) 231px 232px,
          transparent 232px
        );
      }
      .layout.public {
        grid-template-columns: minmax(0, 1fr);
        background: none;
      }
      nav.side {
        position: sticky;
        top: 0;
        height: 100vh;
        overflow-y: auto;
        background: var(--crs-surface);
        border-right: 1px solid var(--crs-border);
        padding: 14px 10px;
        display: flex;
        flex-direction: column;
        gap: 2px;
      }
      .brand {
        display: flex;
        align-items: center;
        gap: 8px;
        font-weight: 700;
        font-size: 15px;
        padding: 4px 10px 14px;
        color: var(--crs-text);
        text-decoration: none;
      }
      img.logo {
        background: none;
        object-fit: contain;
      }
      .logo {
        width: 26px;
        height: 26px;
        border-radius: 7px;
        background: var(--crs-primary);
        color: var(--crs-on-primary);
        display: grid;
        place-items: center;
      }
      nav.side a.item {
        display: flex;
        align-items: center;
        gap: 10px;
        padding: 8px 10px;
        border-radius: 6px;
        color: var(--crs-text);
        text-decoration: none;
        font-weight: 550;
      }
      nav.side a.item:hover {
        background: var(--crs-surface-2);
      }
      nav.side a.item[aria-current='page'] {
        background: var(--crs-info-bg);
        color: var(--crs-primary);
      }
      .main-col {
        min-width: 0;
        display: flex;
        flex-direction: column;
      }
      header.top {
        position: sticky;
        top: 0;
        z-index: 10;
        display: flex;
        align-items: center;
        gap: 8px;
        padding: 8px 20px;
        min-height: 52px;
        background: color-mix(in srgb, var(--crs-bg) 88%, transparent);
        backdrop-filter: blur(6px);
        border-bottom: 1px solid var(--crs-border);
      }
      header.top .title {
        flex: 1;
        font-weight: 650;
        min-width: 0;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      header.top select {
        width: auto;
      }
      .menu-btn {
        display: none;
      }
      main {
        padding: 20px;
        max-width: 1480px;
        width: 100%;
        margin: 0 auto;
      }
      .scrim {
        display: none;
      }
      .user {
        font-size: 12.5px;
      }
      @media (max-width: 900px) {
        .layout {
          grid-template-columns: minmax(0, 1fr);
          background: none;
        }
        nav.side {
          position: fixed;
          z-index: 50;
          left: 0;
          top: 0;
          width: 260px;
          transform: translateX(-100%);
          /* Hidden off-screen: no shadow bleeding into the page, nothing focusable. */
          visibility: hidden;
          box-shadow: none;
          transition:
            transform 0.18s ease,
            visibility 0s linear 0.18s;
        }
        nav.side.open {
          transform: none;
          visibility: visible;
          box-shadow: 0 0 30px rgb(0 0 0 / 25%);
          transition: transform 0.18s ease;
        }
        .scrim.open {
          display: block;
          position: fixed;
          inset: 0;
          z-index: 40;
          background: var(--crs-overlay);
        }
        .menu-btn {
          display: inline-flex;
        }
        main {
          padding: 14px 12px;
        }
        header.top {
          padding: 8px 12px;
        }
        .user {
          display: none;
        }
      }
      @media (max-width: 480px) {
        .signout-label,
        .signin-label {
          display: none;
        }
        header.top {
          gap: 4px;
        }
      }
    `,
  ]

  declare route: Route
  declare username: string | null
  declare checking: boolean
  declare menuOpen: boolean
  declare oem: OemSettings | null

  private readonly onOem = (e: Event) => {
    this.oem = (e as CustomEvent<OemSettings>).detail
    this.applyTitle()
  }

  /** The site name set by the admin (OEM settings), else the default title. */
  private siteName(): string {
    return this.oem?.updatedAt ? this.oem.siteName : t('app.title')
  }

  private applyTitle(): void {
    if (this.oem?.updatedAt) document.title = this.oem.siteName
  }

  /** The brand mark: the admin's icon, else the default logo. */
  private logo() {
    const src = this.oem?.siteIconData || this.oem?.siteIcon
    return src
      ? html`<img class="logo" src=${src} alt="" width="24" height="24" data-testid="site-icon" />`
      : html`<span class="logo">${icon('chevronRight')}</span>`
  }

  private readonly onRoute = () => {
    this.route = currentRoute()
    this.menuOpen = false
    this.guard()
  }
  private readonly onUnauthorized = () => {
    if (this.username) toast(t('shell.sessionExpired'), 'error')
    this.username = null
    this.guard()
  }

  constructor() {
    super()
    this.route = currentRoute()
    this.username = session.token() ? session.username() : null
    this.checking = !!session.token()
    this.menuOpen = false
    this.oem = null
  }

  override connectedCallback(): void {
    super.connectedCallback()
    window.addEventListener('crs-oem', this.onOem)
    api
      .oem()
      .then((o) => {
        this.oem = o
        this.applyTitle()
      })
      .catch(() => undefined)
    window.addEventListener('hashchange', this.onRoute)
    window.addEventListener('popstate', this.onRoute)
    window.addEventListener('crs-route', this.onRoute)
    window.addEventListener('crs-unauthorized', this.onUnauthorized)
    if (session.token()) {
      api
        .me()
        .then((u) => {
          this.username = u.username
        })
        .catch((err: unknown) => {
          if (session.token()) toastError(err)
        })
        .finally(() => {
          this.checking = false
          this.guard()
        })
    } else this.guard()
  }

  override disconnectedCallback(): void {
    window.removeEventListener('crs-oem', this.onOem)
    window.removeEventListener('hashchange', this.onRoute)
    window.removeEventListener('popstate', this.onRoute)
    window.removeEventListener('crs-route', this.onRoute)
    window.removeEventListener('crs-unauthorized', this.onUnauthorized)
    super.disconnectedCallback()
  }

  /** Sends signed-out visitors of admin pages to the sign-in page (and back afterwards). */
  private guard() {
    const path = this.route.path || 'dashboard'
    if (this.checking) return
    if (!session.token() && !PUBLIC.has(path)) {
      const back = location.hash.replace(/^#\/?/, '')
      navigate('login', back && !back.startsWith('login') ? { next: back } : {})
    } else if (session.token() && path === 'login') navigate(this.route.query.next ?? 'dashboard')
  }

  private onSignedIn(e: CustomEvent<{ username: string }>) {
    this.username = e.detail.username
    const next = this.route.query.next
    if (next) location.hash = `#/${next}`
    else navigate('dashboard')
  }

  private async signOut() {
    try {
      await api.logout()
      toast(t('shell.signedOut'), 'success')
    } catch (err) {
      toastError(err)
    }
    this.username = null
    navigate('login')
  }

  private themeSwitch() {
    const choice = themeChoice()
    const next: Record<ThemeChoice, ThemeChoice> = {
      system: 'light',
      light: 'dark',
      dark: 'system',
    }
    const ic: Record<ThemeChoice, IconName> = { system: 'monitor', light: 'sun', dark: 'moon' }
    const label = `${t('shell.theme')}: ${t(`shell.theme.${choice}`)}`
    return html`<button
      class="btn icon-only ghost"
      data-testid="theme-toggle"
      title=${label}
      aria-label=${label}
      @click=${() => {
        setTheme(next[choice])
        this.requestUpdate()
      }}
    >
      ${icon(ic[choice])}
    </button>`
  }

  private langSwitch() {
    return html`<label class="sr-only" for="lang">${t('shell.language')}</label>
      <select
        id="lang"
        data-testid="lang-select"
        .value=${getLocale()}
        @change=${(e: Event) => void setLocale((e.target as HTMLSelectElement).value as Locale)}
      >
        <option value="en" ?selected=${getLocale() === 'en'}>English</option>
        <option value="zh-CN" ?selected=${getLocale() === 'zh-CN'}>简体中文</option>
      </select>`
  }

  override render() {
    const path = this.route.path || 'dashboard'
    const signedIn = !!session.token()
    const showNav = signedIn && path !== 'login'
    const current = ADMIN_NAV.find((n) => n.path === path)
    // The public page is named without "(public)" in the bar, so the title fits a phone.
    const title =
      path === 'stats'
        ? t('shell.title.stats')
        : current
          ? t(current.label)
          : path === 'login'
            ? t('login.submit')
            : t('app.title')
    return html`<a class="skip" href="#main" @click=${(e: Event) => {
      e.preventDefault()
      this.renderRoot.querySelector<HTMLElement>('main')?.focus()
    }}>${t('app.skip')}</a>
      <div class="layout ${showNav ? '' : 'public'}">
        ${
          showNav
            ? html`<nav class="side ${this.menuOpen ? 'open' : ''}" aria-label=${t('nav.main')} id="side-nav">
                  <a class="brand" href=${href('dashboard')} data-testid="brand"
                    >${this.logo()}${this.siteName()}</a
                  >
                  ${ADMIN_NAV.map(
                    (n) => html`<a
                      class="item"
                      href=${href(n.path)}
                      aria-current=${n.path === path ? 'page' : 'false'}
                      >${icon(n.icon)}<span>${t(n.label)}</span></a
                    >`,
                  )}
                </nav>
                <div class="scrim ${this.menuOpen ? 'open' : ''}" @click=${() => {
                  this.menuOpen = false
                }}></div>`
            : ''
        }
        <div class="main-col">
          <header class="top">
            ${
              showNav
                ? html`<button
                    class="btn icon-only ghost menu-btn"
                    aria-label=${t('nav.menu')}
                    aria-expanded=${this.menuOpen ? 'true' : 'false'}
                    aria-controls="side-nav"
                    @click=${() => {
                      this.menuOpen = !this.menuOpen
                    }}
                  >
                    ${icon('menu')}
                  </button>`
                : html`<a class="brand" href=${href(signedIn ? 'dashboard' : 'stats')} data-testid="brand"
                    >${this.logo()}${this.oem?.updatedAt ? this.oem.siteName : ''}</a
                  >`
            }
            <span class="title">${title}</span>
            ${this.langSwitch()} ${this.themeSwitch()}
            ${
              signedIn
                ? html`<span class="user muted">${this.username ?? ''}</span>
                    <button class="btn ghost" data-testid="sign-out" @click=${this.signOut}>
                      ${icon('logout')}<span class="signout-label">${t('shell.signOut')}</span>
                    </button>`
                : path !== 'login' && this.oem?.showAdminButton !== false
                  ? html`<a class="btn ghost" data-testid="admin-login" href=${href('login')} aria-label=${t('shell.adminLogin')} title=${t('shell.adminLogin')}>${icon('login')}<span class="signin-label">${t('shell.adminLogin')}</span></a>`
                  : ''
            }
          </header>
          <main id="main" tabindex="-1">
            ${
              this.checking
                ? html`<div class="state" role="status"><span class="spinner"></span>${t('common.loading')}</div>`
                : html`<crs-router-outlet
                    .route=${{ ...this.route, path }}
                    @crs-signed-in=${this.onSignedIn}
                  ></crs-router-outlet>`
            }
          </main>
        </div>
      </div>
      <crs-toast></crs-toast>`
  }
}

customElements.define('crs-app', CrsApp)
declare global {
  interface HTMLElementTagNameMap {
    'crs-app': CrsApp
  }
}
