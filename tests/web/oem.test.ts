/**
 * OEM settings in Chromium and over HTTP: read without signing in, saved by the admin from the
 * settings page (name and icon file), shown in the header of the admin UI and of the public stats
 * page; the admin button of the public page can be hidden.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import {
  adminPage,
  launchBrowser,
  onPage,
  openPage,
  startWebRelay,
  type WebRelay,
} from './harness.ts'

let w: WebRelay
let browser: Browser
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

beforeAll(async () => {
  w = await startWebRelay()
  browser = await launchBrowser()
}, 90_000)
afterAll(async () => {
  await browser?.close()
  await w?.stop()
})

describe('OEM settings', () => {
  test('public read, admin write (checked), shown in the admin UI and on the public page', async () => {
    const anon = await fetch(`${w.url}/admin/oem-settings`)
    expect(anon.status).toBe(200)
    expect(((await anon.json()) as any).data).toMatchObject({
      updatedAt: null,
      showAdminButton: true,
    })
    const refused = await fetch(`${w.url}/admin/oem-settings`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ siteName: 'x' }),
    })
    expect(refused.status).toBe(401)
    const bad = await w.r.admin('PUT', '/admin/oem-settings', {
      siteIconData: 'javascript:alert(1)',
    })
    expect(bad.status).toBe(400)

    const dir = mkdtempSync(join(tmpdir(), 'crs-oem-'))
    const iconFile = join(dir, 'icon.png')
    writeFileSync(iconFile, Buffer.from(PNG, 'base64'))
    await onPage(adminPage(browser, w, 'settings'), async (page) => {
      const form = page.locator('[data-testid="oem-settings"]')
      await form.locator('input[name="siteName"]').fill('Team Relay')
      await form.locator('input[name="icon"]').setInputFiles(iconFile)
      await form.locator('img').waitFor()
      await form.locator('input[name="showAdminButton"]').uncheck()
      await form.getByRole('button', { name: 'Save' }).click()
      await page.locator('[data-testid="brand"]').getByText('Team Relay').waitFor()
      await page.locator('[data-testid="site-icon"]').first().waitFor()
    })
    const saved = (await w.r.admin('GET', '/admin/oem-settings')).json.data
    expect(saved).toMatchObject({ siteName: 'Team Relay', showAdminButton: false })
    expect(saved.siteIconData).toStartWith('data:image/png;base64,')

    // The public stats page, signed out.
    const opened = await openPage(browser)
    await opened.page.goto(`${w.url}/web#/stats`)
    await onPage(Promise.resolve(opened), async (page) => {
      await page.locator('[data-testid="brand"]').getByText('Team Relay').waitFor()
      expect(await page.title()).toBe('Team Relay')
      expect(await page.locator('[data-testid="admin-login"]').count()).toBe(0)
    })
  }, 90_000)
})
