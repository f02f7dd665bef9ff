/**
 * The key holder's page in Chromium: its own requests paged, the title fitting a phone, several
 * keys checked together (each proven by the key), and a refused key pointed at by its position.
 */
import { describe, expect, test } from 'bun:test'
import { demoSuite, expectText, onPage, openPage, sendMessage } from './harness.ts'

declare const crsFind: (selector: string) => any
declare const document: any

const suite = demoSuite()

describe('public stats page', () => {
  test("a key's own requests are paged", async () => {
    const k = await suite.w.r.createKey({ name: 'paged-holder', dailyCostLimit: 3 })
    for (let i = 0; i < 27; i++) await sendMessage(suite.w.url, k.key, { text: `paged ${i}` })
    await suite.w.r.settle()
    await suite.w.r.relay.services.history.flush()
    await suite.w.r.relay.services.usage.flush()
    await onPage(openPage(suite.browser), async (page) => {
      await page.goto(`${suite.w.url}/web#/stats`)
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
      // The limits with their use and the time the day starts over (the relay's midnight).
      const daily = page.locator('[data-testid="limits"] .limit-row[data-limit="daily"]')
      await daily.waitFor()
      expect(await daily.textContent()).toMatch(/\$0\.\d{4} \/ \$3\s*resets in \d+/)
    })
  }, 60_000)

  test('the title fits a phone and nothing scrolls sideways', async () => {
    await onPage(
      openPage(suite.browser, { width: 390, height: 844 }),
      async (page, _watch, context) => {
        await context.addInitScript(
          (k: string) => sessionStorage.setItem('crs.publicKey', k),
          suite.keys[0]!.key,
        )
        await page.goto(`${suite.w.url}/web#/stats`)
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
      },
    )
  }, 60_000)

  test('several keys are checked together, each by the key itself', async () => {
    await onPage(openPage(suite.browser), async (page, watch) => {
      const three = suite.keys.slice(0, 3)
      const batch = (
        await suite.w.r.handle(
          new Request('http://localhost/apiStats/api/batch-stats', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ apiKeys: three.map((k) => k.key), period: 'monthly' }),
          }),
        )
      ).json() as Promise<any>
      const expected = (await batch).data
      await page.goto(`${suite.w.url}/web#/stats`)
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
    })
  }, 60_000)
})
