/**
 * The key holder's page in Chromium: its own requests paged, the title fitting a phone, several
 * keys checked together (each proven by the key), and a refused key pointed at by its position.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import {
  expectText,
  launchBrowser,
  openPage,
  seedDemo,
  sendMessage,
  startWebRelay,
  type WebRelay,
} from './harness.ts'

declare const crsFind: (selector: string) => any
declare const document: any

let w: WebRelay
let browser: Browser
let keys: { id: string; key: string; name: string }[]

beforeAll(async () => {
  w = await startWebRelay()
  keys = (await seedDemo(w)).keys
  browser = await launchBrowser()
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await w?.stop()
})

describe('public stats page', () => {
  test("a key's own requests are paged", async () => {
    const k = await w.r.createKey({ name: 'paged-holder', dailyCostLimit: 3 })
    for (let i = 0; i < 27; i++) await sendMessage(w.url, k.key, { text: `paged ${i}` })
    await w.r.settle()
    await w.r.relay.services.history.flush()
    await w.r.relay.services.usage.flush()
    const { context, page, w: watch } = await openPage(browser)
    try {
      await page.goto(`${w.url}/web#/stats`)
      await page.locator('[data-testid="public-key"]').fill(k.key)
      await page.getByRole('button', { name: 'Show usage' }).click()
      const rows = page.locator('crs-data-table[data-testid="own-history"] tbody tr')
      await rows.first().waitFor()
      expect(await rows.count()).toBe(20)
      await expectText(page, '1–20 of 27')
      await page.getByRole('button', { name: 'Next page' }).click()
      await expectText(page, '21–27 of 27')
      await page.waitForFunction(
        () => crsFind('crs-data-table[data-testid="own-history"]')?.rows.length === 7,
      )
      // The limits with their use.
      await page.locator('[data-testid="limits"] .limit-row[data-limit="daily"]').waitFor()
      expect(watch.problems).toEqual([])
    } finally {
      await context.close()
    }
  }, 60_000)

  test('the title fits a phone and nothing scrolls sideways', async () => {
    const { context, page, w: watch } = await openPage(browser, { width: 390, height: 844 })
    try {
      await context.addInitScript(
        (k: string) => sessionStorage.setItem('crs.publicKey', k),
        keys[0]!.key,
      )
      await page.goto(`${w.url}/web#/stats`)
      await page.locator('[data-testid="key-info"]').waitFor()
      const fit = await page.evaluate(() => {
        const title = crsFind('header.top .title')
        const h1 = crsFind('h1')
        return {
          title: title.scrollWidth - title.clientWidth,
          h1: h1.getBoundingClientRect().right <= 390,
          page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
        }
      })
      expect(fit).toEqual({ title: 0, h1: true, page: 0 })
      expect(watch.problems).toEqual([])
    } finally {
      await context.close()
    }
  }, 60_000)

  test('several keys are checked together, each by the key itself', async () => {
    const { context, page, w: watch } = await openPage(browser)
    try {
      const three = keys.slice(0, 3)
      const batch = (
        await w.r.handle(
          new Request('http://localhost/apiStats/api/batch-stats', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ apiKeys: three.map((k) => k.key), period: 'monthly' }),
          }),
        )
      ).json() as Promise<any>
      const expected = (await batch).data
      await page.goto(`${w.url}/web#/stats`)
      await page.locator('[data-testid="public-key"]').fill(three.map((k) => k.key).join('\n'))
      await expectText(page, '3 keys: they are shown together')
      await page.getByRole('button', { name: 'Show usage' }).click()
      const table = page.locator('crs-data-table[data-testid="batch-keys"]')
      await table.locator('tbody tr').first().waitFor()
      await expectText(page, '3 keys together')
      const names = await table.locator('tbody tr td:first-child').allTextContents()
      expect(names.map((n) => n.trim())).toEqual(three.map((k) => k.name))
      const month = page.locator('[data-testid="batch-info"] ~ .period .card').nth(1)
      expect((await month.textContent())?.replace(/\s+/g, ' ')).toContain(
        `Requests${expected.aggregated.usage.monthly.requests}`,
      )
      // A wrong key among them is named by its position.
      watch.allow(401, /batch-(model-)?stats$/)
      await page
        .locator('[data-testid="public-key"]')
        .fill(`${three[0]!.key}\ncr_${'0'.repeat(64)}`)
      await page.getByRole('button', { name: 'Show usage' }).click()
      await expectText(page, /Key 2 was refused/)
      expect(await page.locator('[data-testid="batch-keys"]').count()).toBe(0)
      expect(watch.problems).toEqual([])
    } finally {
      await context.close()
    }
  }, 60_000)
})
