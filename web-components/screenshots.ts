/**
 * Screenshots of every page at 1440×900 and 390×844, light and dark, against a relay seeded with
 * demo data (fake upstream, keys, accounts, history): `dist/screenshots/<page>-<viewport>-<theme>.png`.
 * Run with `bun web-components/screenshots.ts` (after or without a build; it builds).
 */
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
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
const THEMES = ['light', 'dark'] as const

/** Page name → hash route; `ready` is a selector inside the page that means "loaded". */
const PAGES: { name: string; route: string; signedIn: boolean; ready: string }[] = [
  { name: 'login', route: 'login', signedIn: false, ready: 'crs-login-form' },
  {
    name: 'dashboard',
    route: 'dashboard?range=7&gran=hour',
    signedIn: true,
    ready: 'crs-usage-chart',
  },
  { name: 'keys', route: 'keys', signedIn: true, ready: 'crs-data-table' },
  { name: 'key-dialog', route: 'keys', signedIn: true, ready: 'crs-data-table' },
  { name: 'accounts', route: 'accounts', signedIn: true, ready: 'crs-data-table' },
  { name: 'history', route: 'history?range=24h', signedIn: true, ready: 'crs-data-table' },
  { name: 'history-detail', route: 'history?range=24h', signedIn: true, ready: 'crs-data-table' },
  { name: 'audit', route: 'audit', signedIn: true, ready: 'crs-data-table' },
  { name: 'settings', route: 'settings', signedIn: true, ready: 'form' },
  { name: 'stats', route: 'stats', signedIn: false, ready: 'form' },
  { name: 'connect', route: 'connect', signedIn: false, ready: 'crs-code-block' },
]

async function main() {
  await mkdir(OUT, { recursive: true })
  const w = await startWebRelay()
  const { keys } = await seedDemo(w)
  const browser = await launchBrowser()
  const problems: string[] = []
  try {
    for (const vp of VIEWPORTS)
      for (const theme of THEMES)
        for (const p of PAGES) {
          const {
            context,
            page,
            w: watchPage,
          } = await openPage(browser, {
            width: vp.width,
            height: vp.height,
            dark: theme === 'dark',
          })
          if (p.signedIn) await presetSession(context, w.r)
          if (p.name === 'stats')
            await context.addInitScript(
              (k: string) => sessionStorage.setItem('crs.publicKey', k),
              keys[0]!.key,
            )
          await page.goto(`${w.url}/web#/${p.route}`)
          await page.locator(p.ready).first().waitFor({ timeout: 10_000 })
          await page.waitForLoadState('networkidle')
          if (p.name === 'key-dialog') {
            await page.locator('[data-testid="new-key"]').click()
            await page.locator('crs-key-dialog input[name="name"]').waitFor()
          }
          if (p.name === 'history-detail') {
            await page.locator('crs-data-table tbody tr').first().click()
            await page.locator('[data-testid="request-body"]').waitFor({ timeout: 10_000 })
          }
          if (p.name === 'stats')
            await page.locator('[data-testid="key-info"]').waitFor({ timeout: 10_000 })
          await page.waitForTimeout(250)
          const file = `${OUT}${p.name}-${vp.name}-${theme}.png`
          await page.screenshot({
            path: file,
            fullPage: !p.name.endsWith('dialog') && !p.name.endsWith('detail'),
          })
          problems.push(...watchPage.problems.map((x) => `${p.name}/${vp.name}/${theme}: ${x}`))
          await context.close()
          console.log(`wrote ${file}`)
        }
  } finally {
    await browser.close()
    await w.stop()
  }
  if (problems.length) {
    console.error(problems.join('\n'))
    process.exit(1)
  }
}

await main()
