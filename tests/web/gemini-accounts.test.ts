/**
 * The two Gemini account kinds in the web UI (real Chromium): a Gemini API account created with
 * its dialog, and a Google-login account onboarded through its dialog (sign-in link generated,
 * the code pasted, exchanged against the fake Google token endpoint, the account created), and
 * one onboarded with a proxy, which carries the code exchange and then the account's requests.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { type FakeGemini, startFakeGemini } from '../fakes/fake-gemini.ts'
import { startCountingProxy } from '../helpers/http-proxy.ts'
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
  w = await startWebRelay({ GEMINI_OAUTH_TOKEN_URL: g.tokenUrl, GEMINI_CODE_ASSIST_URL: g.url })
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

  test('the Google-login dialog takes a proxy: it carries the code exchange and the account traffic', async () => {
    const proxy = await startCountingProxy()
    try {
      await onPage(adminPage(browser, w, 'accounts'), async (page) => {
        await page.locator('[data-testid="add-gemini"] button.trigger').click()
        await page.getByRole('menuitem', { name: 'Add Google login' }).click()
        const wiz = page.locator('crs-gemini-oauth-dialog')
        await wiz.locator('input[name="name"]').fill('ui-google-proxied')
        await wiz.locator('select[name="proxyType"]').selectOption('http')
        await wiz.locator('input[name="proxyHost"]').fill('127.0.0.1')
        // A missing port is caught before anything is sent.
        await wiz.locator('[data-testid="gemini-generate"]').click()
        await wiz.locator('input[name="proxyPort"][aria-invalid="true"]').waitFor()
        expect(proxy.count).toBe(0)
        await wiz.locator('input[name="proxyPort"]').fill(String(proxy.port))
        await wiz.locator('[data-testid="gemini-generate"]').click()
        await wiz.locator('[data-testid="gemini-auth-url"]').waitFor()
        await wiz.locator('input[name="code"]').fill('4/ui-proxied-code')
        await wiz.locator('input[name="projectId"]').fill('ui-proxied-project')
        const dir = join(tmpdir(), 'crs-screens')
        mkdirSync(dir, { recursive: true })
        await page.screenshot({ path: join(dir, 'gemini-oauth-proxy.png') })
        await wiz.locator('[data-testid="gemini-create"]').click()
        await expectText(page, 'ui-google-proxied')
      })
      expect(proxy.carried).toEqual(['/token'])
      expect(g.tokenRequests.at(-1)?.code).toBe('4/ui-proxied-code')
      const google = (await w.r.admin('GET', '/admin/gemini-accounts')).json.data
      const acct = google.find((a: { name: string }) => a.name === 'ui-google-proxied')
      expect(acct.proxy).toMatchObject({ type: 'http', host: '127.0.0.1', port: proxy.port })
      // The account's requests go through the same proxy.
      const { key } = await w.r.createKey({ geminiAccountId: acct.id })
      const res = await fetch(`${w.url}/gemini/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      })
      expect(res.status).toBe(200)
      expect(proxy.carried).toEqual(['/token', '/v1internal:generateContent'])
      expect(g.received.at(-1)?.body.project).toBe('ui-proxied-project')
    } finally {
      proxy.stop()
    }
  }, 120_000)
})
