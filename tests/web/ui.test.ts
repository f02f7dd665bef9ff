/**
 * The admin web UI in real Chromium against a listening relay with seeded data. Every test fails
 * on a console error, a page error, a failed request or an unexpected HTTP error.
 */
import { describe, expect, test } from 'bun:test'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { makeKey, makeOutcome } from '../helpers/fixtures.ts'
import {
  ADMIN,
  demoSuite,
  ensureBuilt,
  expectText,
  onPage,
  openPage,
  presetSession,
  sendMessage,
  signIn,
} from './harness.ts'

// Page functions run in the browser; the server-side typecheck has no DOM library.
declare const document: any
declare const getComputedStyle: (el: unknown) => {
  backgroundColor: string
  visibility: string
  boxShadow: string
}
declare const crsFind: (selector: string) => any
type Element = { shadowRoot: any }

const suite = demoSuite()

describe('web UI', () => {
  test('the full walk: sign in, add an account, create a key, use it, find it in history, open it, export, sign out', async () => {
    await onPage(openPage(suite.browser), async (page) => {
      await page.goto(`${suite.w.url}/`)
      await page.waitForURL(/\/web#\/login/)
      // Validation runs before anything is sent.
      await page.getByRole('button', { name: 'Sign in' }).click()
      await expectText(page, 'Required')
      await signIn(page, suite.w.url)
      await page.locator('[data-testid="card-keys"]').waitFor()

      // A console account pointing at the fake upstream.
      await page.getByRole('link', { name: 'Accounts' }).click()
      await page.locator('[data-testid="add-console"]').click()
      await page.locator('crs-account-dialog input[name="name"]').fill('walk-upstream')
      await page.locator('crs-account-dialog input[name="apiUrl"]').fill(suite.w.up.url)
      await page.locator('crs-account-dialog input[name="apiKey"]').fill('walk-upstream')
      await page.locator('crs-account-dialog input[name="priority"]').fill('1')
      await page.locator('[data-testid="save-account"]').click()
      await expectText(page, 'walk-upstream')

      // A key, shown once.
      await page.getByRole('link', { name: 'API keys' }).click()
      await page.locator('[data-testid="new-key"]').click()
      await page.locator('[data-testid="save-key"]').click()
      await expectText(page, 'Required')
      await page.locator('crs-key-dialog input[name="name"]').fill('walk-key')
      await page.locator('crs-key-dialog input[name="dailyCostLimit"]').fill('5')
      await page.locator('[data-testid="save-key"]').click()
      const plaintext =
        (await page.locator('[data-testid="new-key-value"]').textContent())?.trim() ?? ''
      expect(plaintext).toStartWith('cr_')
      await page.getByRole('button', { name: 'I have saved it' }).click()
      await expectText(page, 'walk-key')

      // The key works through the relay and lands on the walk account.
      const before = suite.w.r.outcomes.length
      const res = await sendMessage(suite.w.url, plaintext, { text: 'walk request' })
      expect(res.status).toBe(200)
      await suite.w.r.waitOutcomes(before + 1)
      await suite.w.r.relay.services.history.flush()
      expect(suite.w.up.received.at(-1)?.account).toBe('walk-upstream')

      // History: find it by text, open the detail.
      await page.getByRole('link', { name: 'Request history' }).click()
      await page.locator('[data-testid="hist-q"]').fill('walk-key')
      await page.waitForURL(/q=walk-key/)
      await expectText(page, '1 records')
      await page.locator('crs-data-table[data-testid="history-table"] tbody tr').first().click()
      await page.locator('[data-testid="request-body"]').waitFor()
      await page
        .locator('[data-testid="history-detail"]')
        .getByText('walk-upstream')
        .first()
        .waitFor()
      expect(await page.locator('[data-testid="request-body"] pre').textContent()).toContain(
        'walk request',
      )
      await page.keyboard.press('Escape')
      await page.locator('[data-testid="history-detail"]').waitFor({ state: 'detached' })

      // Export.
      const download = page.waitForEvent('download')
      await page.locator('[data-testid="export-csv"]').click()
      const file = await download
      expect(file.suggestedFilename()).toEndWith('.csv')
      const text = await Bun.file((await file.path())!).text()
      expect(text).toContain('walk-key')

      // Reload keeps the page state (filters in the URL).
      await page.reload()
      await expectText(page, '1 records')

      // Sign out.
      await page.locator('[data-testid="sign-out"]').click()
      await page.waitForURL(/#\/login/)
      await expectText(page, 'Sign in to the relay admin')
    })
  }, 60_000)

  test('every page renders its main content', async () => {
    await onPage(openPage(suite.browser), async (page, _watchPage, context) => {
      await presetSession(context, suite.w.r)
      const pages: [string, string][] = [
        ['dashboard', '[data-testid="card-accounts"]'],
        ['keys', 'crs-data-table[data-testid="keys-table"] tbody tr'],
        ['keys?tab=trash', 'text=The trash is empty.'],
        ['accounts', 'crs-data-table[data-testid="accounts-table"] tbody tr'],
        ['history', 'crs-data-table[data-testid="history-table"] tbody tr'],
        ['audit', 'crs-data-table[data-testid="audit-table"] tbody tr'],
        ['settings', '[data-testid="history-settings"]'],
        ['connect', '[data-testid="connect-shell"]'],
        ['stats', '[data-testid="public-key"]'],
      ]
      for (const [route, selector] of pages) {
        await page.goto(`${suite.w.url}/web#/${route}`)
        await page.locator(selector).first().waitFor({ timeout: 10_000 })
      }
      // Keyboard: a history row opens with Enter, the dialog closes with Escape.
      await page.goto(`${suite.w.url}/web#/history`)
      const row = page.locator('crs-data-table[data-testid="history-table"] tbody tr').first()
      await row.focus()
      await page.keyboard.press('Enter')
      await page.locator('[data-testid="history-detail"]').waitFor()
      await page.keyboard.press('Escape')
      await page.waitForURL((u) => !u.hash.includes('sel='))
    })
  }, 60_000)

  test('the public stats page shows a key’s usage, limits and its own history', async () => {
    await onPage(openPage(suite.browser), async (page) => {
      const k = await suite.w.r.createKey({ name: 'public-holder', dailyCostLimit: 3 })
      await sendMessage(suite.w.url, k.key, { text: 'public request' })
      await suite.w.r.relay.services.history.flush()
      await page.goto(`${suite.w.url}/web#/stats`)
      await page.locator('[data-testid="public-key"]').fill(k.key)
      await page.getByRole('button', { name: 'Show usage' }).click()
      await page.locator('[data-testid="key-info"]').waitFor()
      await expectText(page, 'public-holder')
      await expectText(page, 'Daily cost')
      await expectText(page, '1–1 of 1')
    })
  }, 30_000)

  test('the language switch shows Chinese and is remembered', async () => {
    await onPage(openPage(suite.browser), async (page, _watchPage, context) => {
      await presetSession(context, suite.w.r)
      await page.goto(`${suite.w.url}/web#/dashboard`)
      await page.locator('[data-testid="card-keys"]').waitFor()
      await page.locator('[data-testid="lang-select"]').selectOption('zh-CN')
      await expectText(page, '今日请求')
      await page.reload()
      await expectText(page, '今日请求')
      expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN')
    })
  }, 30_000)

  test('the browser language picks Chinese by default', async () => {
    await onPage(openPage(suite.browser, { locale: 'zh-CN' }), async (page) => {
      await page.goto(`${suite.w.url}/web#/login`)
      await expectText(page, '登录中转服务管理后台')
    })
  }, 30_000)

  test('the theme follows the system, switches and is remembered', async () => {
    await onPage(openPage(suite.browser, { dark: true }), async (page) => {
      await page.goto(`${suite.w.url}/web#/login`)
      await page.locator('crs-login-form').waitFor()
      const theme = () => page.evaluate(() => document.documentElement.dataset.theme)
      expect(await theme()).toBe('dark')
      await page.locator('[data-testid="theme-toggle"]').click() // system → light
      expect(await theme()).toBe('light')
      await page.reload()
      await page.locator('crs-login-form').waitFor()
      expect(await theme()).toBe('light')
      await page.locator('[data-testid="theme-toggle"]').click() // light → dark
      expect(await theme()).toBe('dark')
      const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor)
      expect(bg).toBe('rgb(14, 17, 22)')
    })
  }, 30_000)

  test('a phone viewport gets a menu and no horizontal page scroll', async () => {
    await onPage(
      openPage(suite.browser, { width: 390, height: 844 }),
      async (page, _watchPage, context) => {
        await presetSession(context, suite.w.r)
        await page.goto(`${suite.w.url}/web#/dashboard`)
        await page.locator('[data-testid="card-keys"]').waitFor()
        // The closed menu leaves nothing on screen: no shadow strip at the left edge.
        const closed = await page.evaluate(() => {
          const nav = crsFind('nav.side')
          const style = getComputedStyle(nav)
          return {
            visibility: style.visibility,
            shadow: style.boxShadow,
            right: Math.round(nav.getBoundingClientRect().right),
          }
        })
        expect(closed).toEqual({ visibility: 'hidden', shadow: 'none', right: 0 })
        await page.getByRole('button', { name: 'Menu' }).click()
        await page.getByRole('link', { name: 'API keys' }).click()
        await page.waitForURL(/#\/keys/)
        await page.locator('crs-data-table[data-testid="keys-table"] tbody tr').first().waitFor()
        for (const route of ['dashboard', 'keys', 'accounts', 'history', 'settings', 'connect']) {
          await page.goto(`${suite.w.url}/web#/${route}`)
          await page.waitForLoadState('networkidle')
          const overflow = await page.evaluate(
            () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
          )
          expect({ route, overflow }).toEqual({ route, overflow: 0 })
        }
      },
    )
  }, 60_000)

  test('a wrong password is shown inline', async () => {
    await onPage(openPage(suite.browser), async (page, watchPage) => {
      watchPage.allow(401, /\/web\/auth\/login$/)
      await page.goto(`${suite.w.url}/web#/login`)
      await page.getByLabel('User name').fill(ADMIN.username)
      await page.getByLabel('Password').fill('wrong-password')
      await page.getByRole('button', { name: 'Sign in' }).click()
      await expectText(page, /Sign-in failed/)
    })
  }, 30_000)
})

describe('web assets', () => {
  // Every page of every platform (six account families since the platform issues): 127 KB at
  // the last count. What a visitor downloads is the first load, bounded in weight.test.ts (60 KB
  // brotli); other pages load when opened.
  test('all JavaScript and CSS weigh under 160 KB gzipped', async () => {
    const dir = await ensureBuilt()
    const files = (await readdir(dir)).filter((f) => /\.(js|css)$/.test(f))
    let total = 0
    for (const f of files)
      total += Bun.gzipSync(new Uint8Array(await Bun.file(join(dir, f)).arrayBuffer())).length
    console.log(`web UI JS+CSS: ${(total / 1024).toFixed(1)} KB gzipped`)
    expect(files.length).toBeGreaterThan(0)
    expect(total).toBeLessThan(160 * 1024)
  })

  test('/web serves hashed files immutable, the HTML uncached, security headers everywhere', async () => {
    const index = await fetch(`${suite.w.url}/web`)
    expect(index.headers.get('cache-control')).toBe('no-cache')
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(index.headers.get('x-frame-options')).toBe('DENY')
    const html = await index.text()
    expect(html).not.toMatch(/<script>(?!<)/)
    const entry = /src="(\/web\/app-[a-z0-9]+\.js)"/.exec(html)?.[1]
    expect(entry).toBeDefined()
    const js = await fetch(`${suite.w.url}${entry}`)
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(js.headers.get('content-type')).toContain('javascript')
    expect(js.headers.get('x-content-type-options')).toBe('nosniff')
    const spa = await fetch(`${suite.w.url}/web/some/client/route`)
    expect(spa.status).toBe(200)
    expect(spa.headers.get('cache-control')).toBe('no-cache')
    expect((await fetch(`${suite.w.url}/web/missing-file.js`)).status).toBe(404)
    expect((await fetch(`${suite.w.url}/web/..%2f..%2fpackage.json`)).status).toBe(400)
    const root = await fetch(`${suite.w.url}/`, { redirect: 'manual' })
    expect(root.status).toBe(302)
    expect(root.headers.get('location')).toBe('/web')
  })
})

describe('dashboard performance', () => {
  test('30 days of hourly data (720 points per series) render in under 300 ms after arrival', async () => {
    const r = suite.w.r
    const now = Date.now()
    const key = makeKey({ id: 'perf-key', name: 'perf key' })
    const incs = []
    for (let h = 0; h < 720; h++) {
      const at = now - h * 3_600_000
      const o = makeOutcome({
        key,
        startTime: at,
        model: 'claude-sonnet-4-5',
        accountId: 'perf-acct',
        usage: {
          inputTokens: 100 + (h % 50),
          outputTokens: 50 + (h % 7),
          cacheCreate5mTokens: 10,
          cacheCreate1hTokens: 0,
          cacheReadTokens: 5 + (h % 13),
        },
        costNanos: 1_000_000 + h * 1000,
      })
      incs.push(...r.relay.services.usage.incrementsOf(o))
    }
    await r.relay.stores.usage.increment(incs)

    await onPage(openPage(suite.browser), async (page, _watchPage, context) => {
      await presetSession(context, r)
      await page.goto(`${suite.w.url}/web#/dashboard?range=30&gran=hour`)
      const ms = await page.evaluate(
        () =>
          new Promise<number>((resolve, reject) => {
            const t0 = Date.now()
            const poll = () => {
              const m = performance.getEntriesByName('crs-dashboard-render')[0]
              if (m) resolve(m.duration)
              else if (Date.now() - t0 > 15_000)
                reject(new Error('no crs-dashboard-render measure'))
              else setTimeout(poll, 20)
            }
            poll()
          }),
      )
      const points = await page.evaluate(() => {
        const app = document.querySelector('crs-app')
        const dash = app?.shadowRoot
          ?.querySelector('crs-router-outlet')
          ?.shadowRoot?.querySelector('crs-dashboard') as
          | (Element & { trend?: { series: unknown[] } })
          | null
        return dash?.trend?.series.length ?? 0
      })
      console.log(`dashboard render: ${ms.toFixed(1)} ms for ${points} points per series`)
      expect(points).toBeGreaterThanOrEqual(720)
      expect(ms).toBeLessThan(300)
    })
  }, 60_000)
})
