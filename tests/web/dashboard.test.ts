/**
 * The dashboard in Chromium: 24 hours by the hour unless chosen otherwise, legends with the latest
 * values, separate axes for requests and tokens, texts in the chosen language, charts refreshed
 * with the cards, the top keys and accounts, and one definition of "requests" with what it leaves
 * out shown beside it (the same number on the history page).
 */
import { describe, expect, test } from 'bun:test'
import type { Page } from 'playwright-core'
import { adminPage, demoSuite, expectText, onPage, rowAction, sendMessage } from './harness.ts'

declare const crsFind: (selector: string) => any

const suite = demoSuite()

/** What a chart holds and how uPlot set it up (axes, scales, labels). */
function chartState(page: Page, selector: string) {
  return page.locator(selector).evaluate((el: any) => ({
    points: el.data.x.length,
    granularity: el.granularity,
    series: el.data.series.map((s: any) => ({ label: s.label, last: s.values.at(-1) })),
    axes: el.plot?.axes.map((a: any) => ({ scale: a.scale, label: a.label ?? '' })) ?? [],
    scales: el.plot?.series.slice(1).map((s: any) => s.scale) ?? [],
    legend: el.shadowRoot
      .querySelector('[data-testid="chart-legend"]')
      ?.textContent.replace(/\s+/g, ' '),
  }))
}

const flush = async () => {
  await suite.w.r.settle()
  await suite.w.r.relay.services.usage.flush()
  await suite.w.r.relay.services.history.flush()
}

describe('dashboard', () => {
  test('24 hours by the hour; legends show the latest values; cards and charts refresh together', async () => {
    await onPage(adminPage(suite.browser, suite.w, 'dashboard'), async (page) => {
      await page.clock.install()
      await page.reload()
      const chart = '[data-testid="chart-requests"]'
      await page.locator(`${chart} canvas`).waitFor()
      expect(await page.locator('[data-testid="range"]').inputValue()).toBe('1')
      const before = await chartState(page, chart)
      expect(before.granularity).toBe('hour')
      expect(before.points).toBeGreaterThanOrEqual(24)
      expect(before.points).toBeLessThanOrEqual(26)
      const trend = (await suite.w.r.admin('GET', '/admin/usage-trend?days=1&granularity=hour'))
        .json.data.series
      // Without hovering, the legend names the latest value of each series (not "—").
      expect(before.legend).toContain('Latest (')
      expect(before.legend).toContain(`Requests ${trend.at(-1).requests}`)
      expect(before.legend).not.toContain('—')
      // New requests show up in the card and in the chart on the next refresh (every 30 s).
      const card = page.locator('[data-testid="card-requests"] .stat-value')
      const cardBefore = Number((await card.textContent())?.replace(/\D/g, ''))
      for (let i = 0; i < 3; i++) await sendMessage(suite.w.url, suite.keys[0]!.key)
      await flush()
      await page.clock.runFor(31_000)
      await page.waitForFunction((n) => {
        return (
          Number(
            crsFind('[data-testid="card-requests"] .stat-value')?.textContent.replace(/\D/g, ''),
          ) === n
        )
      }, cardBefore + 3)
      await page.waitForFunction(
        ({ sel, n }) => {
          return crsFind(sel)?.data.series[0].values.at(-1) === n
        },
        { sel: chart, n: trend.at(-1).requests + 3 },
      )
    })
  }, 60_000)

  test('requests and tokens get their own axes; axes and legends follow the language', async () => {
    await onPage(adminPage(suite.browser, suite.w, 'keys'), async (page) => {
      await rowAction(page, suite.keys[1]!.id, 'Usage')
      const chart = 'crs-key-usage-dialog crs-usage-chart'
      await page.locator(`${chart} canvas`).first().waitFor()
      const en = await chartState(page, `${chart} >> nth=0`)
      expect(en.scales).toEqual(['y', 'y', 'y2'])
      expect(en.axes.map((a: any) => a.scale)).toEqual(['x', 'y', 'y2'])
      expect(en.axes.map((a: any) => a.label)).toEqual(['', 'Requests', 'Tokens'])
      expect(en.legend).toContain('Tokens')
      await page.keyboard.press('Escape')
      await page.locator('[data-testid="lang-select"]').selectOption('zh-CN')
      await rowAction(page, suite.keys[1]!.id, '用量')
      await page.locator(`${chart} canvas`).first().waitFor()
      const zh = await chartState(page, `${chart} >> nth=0`)
      expect(zh.axes.map((a: any) => a.label)).toEqual(['', '请求', 'Token'])
      expect(zh.legend).toContain('最新')
      expect(zh.series.map((s: any) => s.label)).toEqual(['请求', '失败', 'Token'])
    })
  }, 60_000)

  test('the top keys and accounts follow the range and the metric', async () => {
    await onPage(adminPage(suite.browser, suite.w, 'dashboard'), async (page) => {
      const keysChart = '[data-testid="top-keys"] crs-usage-chart'
      await page.locator(`${keysChart} canvas`).waitFor()
      const api = (
        await suite.w.r.admin('GET', '/admin/api-keys-usage-trend?days=1&granularity=hour&topN=5')
      ).json.data.items as { name: string }[]
      const byCost = await chartState(page, keysChart)
      expect(byCost.series.map((s: any) => s.label)).toEqual(api.map((i) => i.name))
      const accounts = await chartState(page, '[data-testid="top-accounts"] crs-usage-chart')
      expect(accounts.series.length).toBeGreaterThan(0)
      await page.getByRole('button', { name: 'Requests', exact: true }).last().click()
      await page.waitForURL(/top=requests/)
      const byRequests = (
        await suite.w.r.admin(
          'GET',
          '/admin/api-keys-usage-trend?days=1&granularity=hour&topN=5&metric=requests',
        )
      ).json.data.items as { name: string }[]
      await page.waitForFunction(
        ({ sel, names }) => {
          const el = crsFind(sel)
          return (
            el?.kind === 'count' &&
            JSON.stringify(el.data.series.map((s: any) => s.label)) === JSON.stringify(names)
          )
        },
        { sel: keysChart, names: byRequests.map((i) => i.name) },
      )
    })
  }, 60_000)

  test('"requests" means the same on the dashboard and in history, with rejected and failed beside it', async () => {
    await flush()
    const today = (await suite.w.r.admin('GET', '/admin/dashboard')).json.data.today
    const stats = (await suite.w.r.admin('GET', '/admin/request-stats')).json.data.stats
    expect(stats.rejected).toBeGreaterThan(0)
    expect(stats.countTokens).toBeGreaterThan(0)
    expect(stats.requests).toBe(today.requests)
    expect(stats.totalRequests).toBe(today.requests + stats.rejected + stats.countTokens)
    await onPage(adminPage(suite.browser, suite.w, 'dashboard'), async (page) => {
      const card = page.locator('[data-testid="card-requests"]')
      await card.locator('.sub').waitFor()
      const text = (await card.textContent())?.replace(/\s+/g, ' ')
      expect(text).toContain(`Requests today ${today.requests}`)
      expect(text).toContain(`${today.errorRequests} failed`)
      expect(text).toContain(`${stats.rejected} rejected`)
      expect(text).toContain(`count_tokens ${stats.countTokens}`)
      // History, same day: the same number of requests; every record counted in the list.
      await page.goto(`${suite.w.url}/web#/history?range=24h`)
      const hist = page.locator('[data-testid="hist-requests"]')
      await hist.waitFor()
      const h = (await hist.textContent())?.replace(/\s+/g, ' ')
      expect(await hist.locator('.stat-value').textContent()).toBe(String(today.requests))
      expect(h).toContain(`${stats.rejected} rejected`)
      await expectText(page, `${stats.totalRequests} records`)
    })
  }, 60_000)
})
