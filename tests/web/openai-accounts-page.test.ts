/**
 * The OpenAI accounts page in Chromium: an OpenAI-Responses account added through its dialog
 * appears in the table with its upstream; a ChatGPT account shows its Codex usage windows after a
 * request; the ChatGPT dialog generates the authorization URL.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai.ts'
import {
  adminPage,
  expectText,
  launchBrowser,
  onPage,
  startWebRelay,
  type WebRelay,
} from './harness.ts'

let w: WebRelay
let oa: FakeOpenAI
let browser: Browser

beforeAll(async () => {
  oa = startFakeOpenAI()
  w = await startWebRelay({ OPENAI_CHATGPT_BASE_URL: oa.url })
  browser = await launchBrowser()
}, 90_000)
afterAll(async () => {
  await browser?.close()
  await w?.stop()
  oa?.stop()
})

describe('OpenAI accounts page', () => {
  test('add an OpenAI-Responses account; a ChatGPT account shows its Codex windows', async () => {
    const chat = await w.r.admin('POST', '/admin/openai-accounts', {
      name: 'codex-login',
      openaiOauth: { accessToken: 'ui-token', refreshToken: 'ui-rt', expires_in: 3600 },
      accountInfo: { accountId: 'acct-ui' },
    })
    const { key } = await w.r.createKey({ permissions: 'openai' })
    await fetch(`${w.url}/openai/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', input: 'hi' }),
    }).then((r) => r.text())
    await onPage(adminPage(browser, w, 'openai'), async (page) => {
      await expectText(page, 'codex-login')
      const row = page.locator(`tr[data-id="${chat.json.data.id}"]`)
      await expect(row.getByRole('meter', { name: '5h 12.5%' }).count()).resolves.toBe(1)
      await page.locator('[data-testid="oa-add-openai-responses"]').click()
      await page.getByLabel('Name').fill('ui-responses')
      await page.getByLabel(/^Base URL/).fill(`${oa.url}/v1`)
      await page.getByLabel('API key').fill('sk-ui')
      await page.locator('[data-testid="oa-save"]').click()
      await expectText(page, 'ui-responses')
      await expectText(page, `${oa.url}/v1`)
      await page.screenshot({ path: '/tmp/openai-accounts-page.png' })
      await page.locator('[data-testid="oa-add-openai"]').click()
      await page.locator('[data-testid="oa-generate"]').click()
      const href = await page.locator('[data-testid="oa-auth-url"]').getAttribute('href')
      expect(href).toContain('https://auth.openai.com/oauth/authorize')
    })
    const list = (await w.r.admin('GET', '/admin/openai-responses-accounts')).json.data
    expect(list.map((a: { name: string }) => a.name)).toContain('ui-responses')
  }, 60_000)
})
