/**
 * The Claude account settings of the seed in Chromium: a console account's daily quota entered
 * in the account form (what the relay then enforces), an OAuth account's 5-hour session window
 * and warning stop shown in the account list, and the public page's key test.
 */
import { describe, expect, test } from 'bun:test'
import { adminPage, demoSuite, onPage, openPage, rowAction, sendMessage } from './harness.ts'

const suite = demoSuite()

describe('Claude account settings in the UI', () => {
  test('the console form saves dailyQuota, quotaResetTime and rateLimitDuration', async () => {
    const list = (await suite.w.r.admin('GET', '/admin/claude-console-accounts')).json.data as any[]
    const id = list[0].id as string
    await onPage(adminPage(suite.browser, suite.w, 'accounts'), async (page) => {
      await rowAction(page, id, 'Edit')
      const dlg = page.locator('crs-account-dialog')
      await dlg.locator('input[name="quotaResetTime"]').fill('25:00')
      await dlg.locator('[data-testid="save-account"]').click()
      await dlg.getByText('Enter a time HH:mm').waitFor()
      await dlg.locator('input[name="dailyQuota"]').fill('12.5')
      await dlg.locator('input[name="quotaResetTime"]').fill('08:30')
      await dlg.locator('input[name="rateLimitDuration"]').fill('15')
      await dlg.locator('[data-testid="save-account"]').click()
      await dlg.waitFor({ state: 'detached' })
      const saved = (await suite.w.r.admin('GET', `/admin/claude-console-accounts/${id}`)).json.data
      expect(saved.options).toMatchObject({
        dailyQuota: 12.5,
        quotaResetTime: '08:30',
        rateLimitDuration: 15,
      })
      const usage = (await suite.w.r.admin('GET', `/admin/claude-console-accounts/${id}/usage`))
        .json.data
      expect(usage).toMatchObject({ dailyQuota: 12.5, quotaResetTime: '08:30' })
      // The list shows a quota bar for it.
      await page.reload()
      await page.locator(`tr[data-id="${id}"]`).getByText('Quota').waitFor()
      await rowAction(page, id, 'Edit')
      expect(await dlg.locator('input[name="dailyQuota"]').inputValue()).toBe('12.5')
      await dlg.locator('input[name="dailyQuota"]').fill('0')
      await dlg.locator('[data-testid="save-account"]').click()
      await dlg.waitFor({ state: 'detached' })
    })
  }, 60_000)

  test('an OAuth account shows its session window and the warning stop', async () => {
    const r = suite.w.r
    const id = await r.createOAuthAccount('ui-window', { autoStopOnWarning: true, priority: 1 })
    const k = await r.createKey({ name: 'ui-window', claudeAccountId: id })
    suite.w.up.script('ui-window', {
      kind: 'ok',
      headers: {
        'anthropic-ratelimit-unified-5h-status': 'allowed_warning',
        'anthropic-ratelimit-unified-5h-reset': String(Math.floor(Date.now() / 1000) + 3600),
        'anthropic-ratelimit-unified-5h-utilization': '0.93',
        'anthropic-ratelimit-unified-7d-utilization': '0.4',
      },
    })
    expect((await sendMessage(suite.w.url, k.key)).status).toBe(200)
    await onPage(adminPage(suite.browser, suite.w, 'accounts'), async (page) => {
      const row = page.locator(`tr[data-id="${id}"]`)
      await row.locator('[data-testid="session-stopped"]').waitFor()
      const text = (await row.textContent()) ?? ''
      expect(text).toContain('93%')
      expect(text).toContain('40%')
      expect(text).toContain('Rate limited')
    })
  }, 60_000)

  test('the public page tests a key with a short message', async () => {
    const k = suite.keys[0]!
    await onPage(openPage(suite.browser), async (page) => {
      await page.goto(`${suite.w.url}/web#/stats`)
      await page.locator('[data-testid="public-key"]').fill(k.key)
      await page.getByRole('button', { name: 'Show usage' }).click()
      await page.locator('[data-testid="test-key"]').click()
      await page.getByText('The key works').first().waitFor()
    })
  }, 60_000)
})
