/**
 * Screenshots of every page and dialog at 1440×900 and 390×844, in English and Chinese (and the
 * main pages in dark mode), against a relay seeded with demo data (fake upstream, keys, accounts,
 * history): `dist/screenshots/<page>-<viewport>-<lang>[-dark].png`. Fails when a page logs an
 * error. Run with `bun web-components/screenshots.ts` (it builds the UI first); `--only=keys,audit`
 * limits the pages.
 */
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import {
  launchBrowser,
  openPage,
  presetSession,
  seedDemo,
  startWebRelay,
} from '../tests/web/harness.ts'

const OUT = fileURLToPath(new URL('../dist/screenshots/', import.meta.url))
const VIEWPORTS = [
  { name: 'desktop', width: 1440, height: 900 },
  { name: 'phone', width: 390, height: 844 },
]
const LANGS = ['en', 'zh-CN'] as const
/** Pages also shot in dark mode (English). */
const DARK = new Set(['login', 'dashboard', 'keys', 'accounts', 'history', 'stats'])

interface Ids {
  keys: { id: string; key: string; name: string }[]
  accounts: Record<string, string>
  /** The request that failed with no account left to try. */
  noAccount: string
}

/** A page or dialog: where to go, what means "loaded", and what to do before the shot. */
interface Shot {
  name: string
  route: string | ((ids: Ids) => string)
  signedIn: boolean
  ready: string
  /** A dialog or popover: the viewport only, not the full page. */
  overlay?: boolean
  act?: (page: Page, ids: Ids) => Promise<void>
}

const menu = async (page: Page, rowId: string, item: number) => {
  await page.locator(`tr[data-id="${rowId}"] crs-menu button.trigger`).click()
  await page.locator(`tr[data-id="${rowId}"] crs-menu [role="menuitem"]`).nth(item).click()
}

const SHOTS: Shot[] = [
  { name: 'login', route: 'login', signedIn: false, ready: 'crs-login-form input' },
  {
    name: 'dashboard',
    route: 'dashboard',
    signedIn: true,
    ready: '[data-testid="top-accounts"] crs-usage-chart canvas',
  },
  { name: 'keys', route: 'keys', signedIn: true, ready: '[data-testid="limits"]' },
  {
    name: 'keys-limits',
    route: 'keys',
    signedIn: true,
    ready: '[data-testid="limits"]',
    overlay: true,
    act: async (page, ids) => {
      const carol = ids.keys.find((k) => k.name === 'carol')!
      await page.locator(`tr[data-id="${carol.id}"] crs-popover button.trigger`).click()
      await page.locator(`tr[data-id="${carol.id}"] crs-popover [popover]`).waitFor()
    },
  },
  {
    name: 'keys-menu',
    route: 'keys',
    signedIn: true,
    ready: '[data-testid="limits"]',
    overlay: true,
    act: async (page, ids) => {
      await page.locator(`tr[data-id="${ids.keys[0]!.id}"] crs-menu button.trigger`).click()
      await page.locator(`tr[data-id="${ids.keys[0]!.id}"] [role="menuitem"]`).first().waitFor()
    },
  },
  {
    name: 'key-dialog',
    route: 'keys',
    signedIn: true,
    ready: 'crs-data-table tbody tr',
    overlay: true,
    act: async (page) => {
      await page.locator('[data-testid="new-key"]').click()
      await page.locator('crs-key-dialog input[name="name"]').waitFor()
    },
  },
  {
    name: 'key-edit',
    route: 'keys',
    signedIn: true,
    ready: 'crs-data-table tbody tr',
    overlay: true,
    act: async (page, ids) => {
      await menu(page, ids.keys.find((k) => k.name === 'erin-restricted')!.id, 0)
      await page.locator('[data-testid="binding-note"]').scrollIntoViewIfNeeded()
    },
  },
  {
    name: 'key-usage',
    route: 'keys',
    signedIn: true,
    ready: 'crs-data-table tbody tr',
    overlay: true,
    act: async (page, ids) => {
      await menu(page, ids.keys[0]!.id, 1)
      await page.locator('crs-key-usage-dialog crs-usage-chart canvas').first().waitFor()
    },
  },
  { name: 'accounts', route: 'accounts', signedIn: true, ready: '[data-testid="health"]' },
  {
    name: 'account-dialog',
    route: 'accounts',
    signedIn: true,
    ready: '[data-testid="health"]',
    overlay: true,
    act: async (page, ids) => {
      await menu(page, ids.accounts['console-backup']!, 2)
      await page.locator('crs-account-dialog select[name="modelsMode"]').selectOption('map')
      await page.locator('crs-account-dialog input[name="map-from-0"]').fill('claude-sonnet-4-5')
      await page.locator('crs-account-dialog input[name="map-to-0"]').fill('vendor/sonnet-latest')
      await page.locator('crs-account-dialog [data-testid="models"]').scrollIntoViewIfNeeded()
    },
  },
  {
    name: 'account-usage',
    route: 'accounts',
    signedIn: true,
    ready: '[data-testid="health"]',
    overlay: true,
    act: async (page, ids) => {
      await menu(page, ids.accounts['console-primary']!, 1)
      await page.locator('crs-account-usage-dialog crs-usage-chart canvas').first().waitFor()
    },
  },
  {
    name: 'oauth-wizard',
    route: 'accounts',
    signedIn: true,
    ready: '[data-testid="health"]',
    overlay: true,
    act: async (page) => {
      await page.locator('[data-testid="add-oauth"]').click()
      await page.locator('crs-oauth-wizard select[name="mode"]').selectOption('manual')
      await page.locator('[data-testid="manual-tokens"]').waitFor()
    },
  },
  {
    name: 'groups',
    route: 'accounts',
    signedIn: true,
    ready: '[data-testid="health"]',
    overlay: true,
    act: async (page) => {
      await page.locator('[data-testid="groups"]').click()
      await page.locator('crs-groups-dialog tbody tr button').first().click()
      await page.locator('crs-groups-dialog input[name="rename"]').waitFor()
    },
  },
  {
    name: 'history',
    route: 'history?range=24h',
    signedIn: true,
    ready: '[data-testid="hist-requests"]',
  },
  {
    name: 'history-detail',
    route: (ids) => `history?range=24h&sel=${ids.noAccount}`,
    signedIn: true,
    ready: '[data-testid="no-attempts"]',
    overlay: true,
  },
  { name: 'audit', route: 'audit', signedIn: true, ready: 'crs-data-table tbody tr' },
  {
    name: 'audit-detail',
    route: 'audit?action=api_key.update',
    signedIn: true,
    ready: 'crs-data-table tbody tr',
    overlay: true,
    act: async (page) => {
      await page.locator('crs-data-table tbody tr').first().click()
      await page.locator('[data-testid="audit-diff"]').waitFor()
    },
  },
  { name: 'settings', route: 'settings', signedIn: true, ready: 'form' },
  { name: 'stats', route: 'stats', signedIn: false, ready: '[data-testid="key-info"]' },
  { name: 'stats-batch', route: 'stats', signedIn: false, ready: '[data-testid="batch-keys"]' },
  { name: 'connect', route: 'connect', signedIn: false, ready: 'crs-code-block' },
]

async function main() {
  const only = process.argv
    .find((a) => a.startsWith('--only='))
    ?.slice(7)
    .split(',')
  await mkdir(OUT, { recursive: true })
  const w = await startWebRelay()
  const { keys } = await seedDemo(w)
  const list = (await w.r.admin('GET', '/admin/claude-console-accounts')).json.data as {
    id: string
    name: string
  }[]
  const oauth = (await w.r.admin('GET', '/admin/claude-accounts')).json.data as {
    id: string
    name: string
  }[]
  const failed = (await w.r.admin('GET', '/admin/request-history?status=error&limit=100')).json.data
    .history as { id: string; accountId: string }[]
  const ids: Ids = {
    keys,
    accounts: Object.fromEntries([...list, ...oauth].map((a) => [a.name, a.id])),
    noAccount: failed.find((h) => !h.accountId)?.id ?? '',
  }
  const browser = await launchBrowser()
  const problems: string[] = []
  let count = 0
  try {
    for (const vp of VIEWPORTS)
      for (const lang of LANGS)
        for (const dark of [false, true])
          for (const p of SHOTS) {
            if (only && !only.includes(p.name)) continue
            if (dark && (lang !== 'en' || !DARK.has(p.name))) continue
            const {
              context,
              page,
              w: watchPage,
            } = await openPage(browser, {
              width: vp.width,
              height: vp.height,
              dark,
              locale: lang,
            })
            await context.addInitScript((l: string) => localStorage.setItem('crs.lang', l), lang)
            if (p.signedIn) await presetSession(context, w.r)
            if (p.name === 'stats' || p.name === 'stats-batch') {
              const value =
                p.name === 'stats'
                  ? keys[0]!.key
                  : keys
                      .slice(0, 3)
                      .map((k) => k.key)
                      .join('\n')
              await context.addInitScript(
                (k: string) => sessionStorage.setItem('crs.publicKey', k),
                value,
              )
            }
            await page.goto(
              `${w.url}/web#/${typeof p.route === 'function' ? p.route(ids) : p.route}`,
            )
            await page.locator(p.ready).first().waitFor({ timeout: 30_000 })
            await page.waitForLoadState('networkidle')
            await p.act?.(page, ids)
            await page.waitForTimeout(300)
            const file = `${OUT}${p.name}-${vp.name}-${lang}${dark ? '-dark' : ''}.png`
            await page.screenshot({ path: file, fullPage: !p.overlay })
            problems.push(
              ...watchPage.problems.map(
                (x) => `${p.name}/${vp.name}/${lang}${dark ? '/dark' : ''}: ${x}`,
              ),
            )
            await context.close()
            count++
          }
  } finally {
    await browser.close()
    await w.stop()
  }
  console.log(`wrote ${count} screenshots into ${OUT}`)
  if (problems.length) {
    console.error(problems.join('\n'))
    process.exit(1)
  }
}

await main()
