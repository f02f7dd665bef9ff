/**
 * The two Gemini account kinds in the web UI (real Chromium): a Gemini API account created with
 * its dialog, and a Google-login account onboarded through its dialog (sign-in link generated,
 * the code pasted, exchanged against the fake Google token endpoint, the account created).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { type FakeGemini, startFakeGemini } from '../fakes/fake-gemini.ts'
import {
  adminPage,
  expectText,
  launchBrowser,
  onPage,
  startWebRelay,
  type WebRelay,
} from './harness.ts'

let g: FakeGemini
let w: WebRelay
let browser: Browser

beforeAll(async () => {
  g = startFakeGemini()
  w = await startWebRelay({ GEMINI_OAUTH_TOKEN_URL: g.tokenUrl })
  browser = await launchBrowser()
}, 90_000)
afterAll(async () => {
  await browser?.close()
  await w?.stop()
  g?.stop()
})

describe('Gemini accounts in the web UI', () => {
  test('a Gemini API account and a Google-login account are added from the accounts page', async () => {
    await onPage(adminPage(browser, w, 'accounts'), async (page) => {
      await page.locator('[data-testid="add-gemini"] button.trigger').click()
      await page.getByRole('menuitem', { name: 'Add Gemini API key' }).click()
      const dlg = page.locator('crs-account-dialog')
      await dlg.locator('input[name="name"]').fill('ui-gemini-key')
      await dlg.locator('input[name="apiUrl"]').fill(g.url)
      await dlg.locator('input[name="apiKey"]').fill('AIza-ui-0123456789abcdefghij')
      await page.locator('[data-testid="save-account"]').click()
      await expectText(page, 'ui-gemini-key')

      await page.locator('[data-testid="add-gemini"] button.trigger').click()
      await page.getByRole('menuitem', { name: 'Add Google login' }).click()
      const wiz = page.locator('crs-gemini-oauth-dialog')
      await wiz.locator('input[name="name"]').fill('ui-google-login')
      await wiz.locator('[data-testid="gemini-generate"]').click()
      const link = wiz.locator('[data-testid="gemini-auth-url"]')
      await link.waitFor()
      expect(await link.getAttribute('href')).toStartWith('https://accounts.google.com/')
      await wiz.locator('input[name="code"]').fill('4/ui-code')
      await wiz.locator('input[name="projectId"]').fill('ui-project')
      await wiz.locator('[data-testid="gemini-create"]').click()
      await expectText(page, 'ui-google-login')
    })
    const api = (await w.r.admin('GET', '/admin/gemini-api-accounts')).json.data
    expect(api.map((a: { name: string }) => a.name)).toContain('ui-gemini-key')
    const google = (await w.r.admin('GET', '/admin/gemini-accounts')).json.data
    const acct = google.find((a: { name: string }) => a.name === 'ui-google-login')
    expect(acct.options.projectId).toBe('ui-project')
    expect(g.tokenRequests.at(-1)?.code).toBe('4/ui-code')
  }, 120_000)
})
