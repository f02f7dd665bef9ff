/**
 * Webhook settings in Chromium: the seed's notification types switched off from the settings
 * page are saved (and honoured by the server, see webhook-system-events.test.ts), and a Bark
 * destination added with its sound and level keeps them.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { until } from '../helpers/until.ts'
import { adminPage, launchBrowser, onPage, startWebRelay, type WebRelay } from './harness.ts'

let w: WebRelay
let browser: Browser

beforeAll(async () => {
  w = await startWebRelay()
  browser = await launchBrowser()
}, 90_000)
afterAll(async () => {
  await browser?.close()
  await w?.stop()
})

describe('webhook settings in the UI', () => {
  test('notification types are switched and saved; a Bark destination keeps sound and level', async () => {
    await onPage(adminPage(browser, w, 'settings'), async (page) => {
      const form = page.locator('form:has([data-testid="notification-types"])')
      const types = form.locator('[data-testid="notification-types"]')
      await types.locator('input[name="nt-systemError"]').uncheck()
      await types.locator('input[name="nt-securityAlert"]').uncheck()
      await form.getByRole('button', { name: 'Save' }).click()
      await until(
        'the notification types to be saved',
        async () =>
          !(await w.r.admin('GET', '/admin/webhook/config')).json.data.notificationTypes
            .systemError,
        { everyMs: 50 },
      )

      await page.getByLabel('Type').selectOption('bark')
      await page.locator('input[name="url"]').fill('http://127.0.0.1:9/uiDeviceKey0123')
      await page.locator('input[name="sound"]').fill('minuet')
      await page.locator('input[name="level"]').fill('timeSensitive')
      await page.getByRole('button', { name: 'Add destination' }).click()
      // The list shows the new destination, URL masked.
      await page.getByText('http://127.0.0.1:9/…').waitFor()
    })
    const cfg = (await w.r.admin('GET', '/admin/webhook/config')).json.data
    expect(cfg.notificationTypes).toMatchObject({
      systemError: false,
      securityAlert: false,
      accountAnomaly: true,
    })
    expect(cfg.platforms).toHaveLength(1)
    expect(cfg.platforms[0]).toMatchObject({
      type: 'bark',
      sound: 'minuet',
      level: 'timeSensitive',
    })
  }, 90_000)
})
