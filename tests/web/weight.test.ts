/**
 * Weight on the wire, measured in Chromium: every file the browser fetches for the first load of
 * the sign-in page and then the dashboard, each sized as brotli would send it (so the test does not
 * depend on how the server compresses). uPlot and the inactive language are only fetched when
 * needed.
 */
import { describe, expect, test } from 'bun:test'
import { brotliCompressSync } from 'node:zlib'
import type { Page, Response } from 'playwright-core'
import { ADMIN, demoSuite, onPage, openPage } from './harness.ts'

const suite = demoSuite()

/** Target for the first load of the sign-in page plus the dashboard. */
const BUDGET = 60 * 1024

interface Fetched {
  path: string
  raw: number
  brotli: number
}

/** Records every static file (HTML, JS, CSS under /web) a page fetches, with its brotli size. */
function recordAssets(page: Page) {
  const files: Fetched[] = []
  const pending: Promise<void>[] = []
  const onResponse = (res: Response) => {
    const url = new URL(res.url())
    // Static files only: the sign-in call (/web/auth/*) is data, not weight of the app.
    if (!url.pathname.startsWith('/web') || url.pathname.startsWith('/web/auth/')) return
    if (res.status() !== 200) return
    pending.push(
      res.body().then((body) => {
        files.push({
          path: url.pathname,
          raw: body.length,
          brotli: brotliCompressSync(body).length,
        })
      }),
    )
  }
  page.on('response', onResponse)
  return {
    files,
    async settle() {
      await Promise.all(pending)
    },
  }
}

/** The source modules bundled in a built file (from its source map). */
async function sourcesOf(path: string): Promise<string[]> {
  const res = await fetch(`${suite.w.url}${path}.map`)
  if (!res.ok) return []
  return ((await res.json()) as { sources: string[] }).sources
}

async function modulesOf(files: Fetched[]): Promise<string[]> {
  const js = files.filter((f) => f.path.endsWith('.js'))
  return (await Promise.all(js.map((f) => sourcesOf(f.path)))).flat()
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`

describe('weight on the wire', () => {
  test('the sign-in page and then the dashboard load under 60 KB brotli, uPlot and the other language only when needed', async () => {
    await onPage(openPage(suite.browser), async (page) => {
      const rec = recordAssets(page)
      await page.goto(`${suite.w.url}/`)
      await page.getByLabel('User name').waitFor()
      await page.waitForLoadState('networkidle')
      await rec.settle()
      const signIn = [...rec.files]
      const signInModules = await modulesOf(signIn)
      expect(signInModules.some((m) => m.includes('uplot'))).toBe(false)
      expect(signInModules.some((m) => m.includes('zh-CN'))).toBe(false)
      expect(signInModules.some((m) => m.includes('crs-dashboard'))).toBe(false)
      expect(signInModules.some((m) => m.includes('en.ts'))).toBe(true)

      await page.getByLabel('User name').fill(ADMIN.username)
      await page.getByLabel('Password').fill(ADMIN.password)
      await page.getByRole('button', { name: 'Sign in' }).click()
      await page.locator('[data-testid="top-accounts"] crs-usage-chart canvas').waitFor()
      await page.waitForLoadState('networkidle')
      await rec.settle()
      const all = rec.files
      const modules = await modulesOf(all)
      expect(modules.some((m) => m.includes('uplot'))).toBe(true)
      expect(modules.some((m) => m.includes('zh-CN'))).toBe(false)
      // Pages not visited are not fetched either.
      expect(modules.some((m) => m.includes('crs-keys-page'))).toBe(false)
      const total = all.reduce((n, f) => n + f.brotli, 0)
      const raw = all.reduce((n, f) => n + f.raw, 0)
      const signInTotal = signIn.reduce((n, f) => n + f.brotli, 0)
      console.log(
        `first load: sign-in ${kb(signInTotal)} brotli; sign-in + dashboard ${kb(total)} brotli (${kb(raw)} raw) in ${all.length} files`,
      )
      for (const f of [...all].sort((a, b) => b.brotli - a.brotli))
        console.log(`  ${f.path.padEnd(36)} ${kb(f.raw).padStart(9)} → ${kb(f.brotli)}`)
      expect(total).toBeLessThan(BUDGET)

      // Switching the language fetches the other one then.
      const before = rec.files.length
      await page.locator('[data-testid="lang-select"]').selectOption('zh-CN')
      await page.getByText('今日请求').first().waitFor()
      await rec.settle()
      const later = await modulesOf(rec.files.slice(before))
      expect(later.some((m) => m.includes('zh-CN'))).toBe(true)
    })
  }, 60_000)
})
