/**
 * The accounts page in Chromium: today's usage per account, the account usage view, the models an
 * account serves (list and mapping, used by the relay), tokens entered by hand, renaming groups,
 * and server errors inside dialogs with toasts on top of them.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import type { Page } from 'playwright-core'
import {
  accountIds,
  adminPage,
  demoSuite,
  expectText,
  onPage,
  rowAction,
  sendMessage,
} from './harness.ts'

declare const document: any

const suite = demoSuite()
let ids: Record<string, string>
beforeAll(async () => {
  ids = await accountIds(suite.w)
})

const row = (page: Page, id: string) => page.locator(`tr[data-id="${id}"]`)

/** Whether the element under the middle of a locator's box is that element (nothing covers it). */
function onTop(page: Page, selector: string) {
  return page.locator(selector).evaluate((el) => {
    const r = el.getBoundingClientRect()
    const x = r.x + r.width / 2
    const y = r.y + r.height / 2
    let hit: any = document.elementFromPoint(x, y)
    while (hit?.shadowRoot) {
      const inner = hit.shadowRoot.elementFromPoint(x, y)
      if (!inner || inner === hit) break
      hit = inner
    }
    return hit === el || el.contains(hit)
  })
}

describe('accounts page', () => {
  test("the list shows each account's requests, tokens and cost today; the usage view splits them", async () => {
    const summary = (await suite.w.r.admin('GET', '/admin/accounts/usage-summary')).json.data
    const primary = summary[ids['console-primary']!].today
    expect(primary.requests).toBeGreaterThan(0)
    await onPage(adminPage(suite.browser, suite.w, 'accounts'), async (page) => {
      const r = row(page, ids['console-primary']!)
      await r.waitFor()
      const cells = await r.locator('td').allTextContents()
      expect(cells.map((c) => c.trim())).toContain(String(primary.requests))
      expect(cells.map((c) => c.trim())).toContain(`$${primary.cost.toFixed(4)}`)
      // The usage view: today, this month, lifetime, a chart with two axes, models.
      await rowAction(page, ids['console-primary']!, 'Usage')
      const dlg = page.locator('[data-testid="account-usage"]')
      await dlg.locator('[data-testid="acct-today"]').waitFor()
      await expect(dlg.locator('[data-testid="acct-today"]').textContent()).resolves.toContain(
        `Requests${primary.requests}`,
      )
      await dlg.locator('crs-usage-chart canvas').first().waitFor()
      const legend = (
        await dlg.locator('[data-testid="chart-legend"]').first().textContent()
      )?.replace(/\s+/g, ' ')
      expect(legend).toContain(`Requests ${primary.requests}`)
      expect(legend).toContain('Tokens')
      const models = (
        await suite.w.r.admin('GET', `/admin/accounts/${ids['console-primary']}/model-stats`)
      ).json.data as { model: string; requests: number }[]
      for (const m of models) await expectText(page, m.model)
      // 7 days by the hour.
      await dlg.getByRole('button', { name: 'Last 7 days' }).click()
      await dlg.locator('crs-usage-chart canvas').first().waitFor()
      await page.keyboard.press('Escape')
      await dlg.waitFor({ state: 'detached' })
    })
  }, 60_000)

  test('a model mapping saved in the dialog is what the relay sends upstream', async () => {
    await onPage(adminPage(suite.browser, suite.w, 'accounts'), async (page) => {
      const id = ids['console-backup']!
      await rowAction(page, id, 'Edit')
      const dlg = page.locator('crs-account-dialog')
      await dlg.locator('select[name="modelsMode"]').selectOption('map')
      await dlg.locator('input[name="map-from-0"]').fill('claude-sonnet-4-5')
      // An incomplete row is refused before sending.
      await dlg.locator('[data-testid="add-mapping"]').click()
      await dlg.locator('input[name="map-from-1"]').fill('claude-haiku-4-5')
      await dlg.locator('[data-testid="save-account"]').click()
      await dlg.getByText('Fill in both names of every row').waitFor()
      await dlg.locator('input[name="map-to-0"]').fill('vendor/sonnet-latest')
      await dlg.locator('input[name="map-to-1"]').fill('vendor/haiku-latest')
      await dlg.locator('[data-testid="save-account"]').click()
      await dlg.waitFor({ state: 'detached' })
      const saved = (await suite.w.r.admin('GET', `/admin/claude-console-accounts/${id}`)).json.data
      expect(saved.supportedModels).toEqual({
        'claude-sonnet-4-5': 'vendor/sonnet-latest',
        'claude-haiku-4-5': 'vendor/haiku-latest',
      })
      // The relay uses it: a key bound to the account asks for sonnet, upstream gets the mapping.
      const k = await suite.w.r.createKey({ name: 'mapped', claudeConsoleAccountId: id })
      expect((await sendMessage(suite.w.url, k.key, { model: 'claude-sonnet-4-5' })).status).toBe(
        200,
      )
      expect(suite.w.up.received.at(-1)?.body.model).toBe('vendor/sonnet-latest')
      // The dialog reads it back; switching to a list and back keeps nothing half-done.
      await rowAction(page, id, 'Edit')
      expect(await dlg.locator('input[name="map-to-1"]').inputValue()).toBe('vendor/haiku-latest')
      await dlg.locator('select[name="modelsMode"]').selectOption('list')
      await dlg.locator('textarea[name="modelsList"]').fill('claude-sonnet-4-5\nclaude-opus-4-1')
      await dlg.locator('[data-testid="save-account"]').click()
      await dlg.waitFor({ state: 'detached' })
      const listed = (await suite.w.r.admin('GET', `/admin/claude-console-accounts/${id}`)).json
        .data
      expect(listed.supportedModels).toEqual(['claude-sonnet-4-5', 'claude-opus-4-1'])
      await suite.w.r.admin('PUT', `/admin/claude-console-accounts/${id}`, { supportedModels: [] })
    })
  }, 60_000)

  test('an OAuth code the token endpoint refuses is shown in the wizard, at the code field', async () => {
    await onPage(adminPage(suite.browser, suite.w, 'accounts'), async (page, watch) => {
      watch.allow(400, /exchange-code$/)
      watch.allow(502, /exchange-code$/)
      await page.locator('[data-testid="add-oauth"]').click()
      const wiz = page.locator('crs-oauth-wizard')
      await wiz.locator('input[name="name"]').fill('refused-code')
      await wiz.getByRole('button', { name: 'Get the sign-in link' }).click()
      await wiz.locator('[data-testid="auth-url"]').waitFor()
      await wiz.locator('input[name="code"]').fill('bad-code-123')
      await wiz.getByRole('button', { name: 'Add account' }).click()
      const err = wiz.locator('#code-err')
      await err.waitFor()
      expect(await err.textContent()).toMatch(/invalid/i)
      expect(await onTop(page, 'crs-oauth-wizard #code-err')).toBe(true)
      // A toast while the wizard is open is on top of it and can be dismissed.
      await wiz.locator('crs-copy-button button').click()
      const toastBtn = 'crs-oauth-wizard crs-dialog crs-toast button'
      await page.locator(toastBtn).first().waitFor()
      expect(await onTop(page, toastBtn)).toBe(true)
      await page.locator(toastBtn).first().click()
      await page.locator(toastBtn).first().waitFor({ state: 'detached' })
    })
  }, 60_000)

  test('tokens entered by hand add a Claude account', async () => {
    await onPage(adminPage(suite.browser, suite.w, 'accounts'), async (page) => {
      await page.locator('[data-testid="add-oauth"]').click()
      const wiz = page.locator('crs-oauth-wizard')
      await wiz.locator('select[name="mode"]').selectOption('manual')
      await wiz.getByRole('button', { name: 'Add account' }).click()
      await wiz.locator('#accessToken-err').waitFor()
      await wiz.locator('input[name="name"]').fill('hand-entered')
      await wiz.locator('input[name="accessToken"]').fill('manual-access-token')
      await wiz.locator('input[name="refreshToken"]').fill('manual-refresh-token')
      await wiz.getByRole('button', { name: 'Add account' }).click()
      await wiz.getByText('Account “hand-entered” added.').first().waitFor()
      const list = (await suite.w.r.admin('GET', '/admin/claude-accounts')).json.data as any[]
      const made = list.find((a) => a.name === 'hand-entered')
      expect(made.hasAccessToken).toBe(true)
      expect(made.hasRefreshToken).toBe(true)
      expect(made.scopes).toEqual(['user:inference', 'user:profile'])
      await wiz.getByRole('button', { name: 'Close' }).last().click()
      await row(page, made.id).waitFor()
    })
  }, 60_000)

  test('groups can be renamed', async () => {
    await onPage(adminPage(suite.browser, suite.w, 'accounts'), async (page) => {
      await page.locator('[data-testid="groups"]').click()
      const dlg = page.locator('crs-groups-dialog')
      await dlg.getByRole('button', { name: 'Rename Team A' }).click()
      const input = dlg.locator('input[name="rename"]')
      await input.fill('Team Alpha')
      await input.press('Enter')
      await dlg.getByText('Team Alpha').waitFor()
      const groups = (await suite.w.r.admin('GET', '/admin/account-groups')).json.data
      expect(groups.map((g: any) => g.name)).toContain('Team Alpha')
      // Escape in the rename field leaves the rename, not the dialog.
      await dlg.getByRole('button', { name: 'Rename Team Alpha' }).click()
      await input.press('Escape')
      await input.waitFor({ state: 'detached' })
      await dlg.getByText('Account groups').waitFor()
      // The new name shows in the accounts list.
      await page.keyboard.press('Escape')
      await dlg.waitFor({ state: 'detached' })
      await row(page, ids['console-primary']!).getByText('Team Alpha').waitFor()
    })
  }, 60_000)
})
