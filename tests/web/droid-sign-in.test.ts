/**
 * A Droid account added in Chromium by signing in with Factory (the WorkOS device flow against a
 * fake): the dialog shows the code and link, says when the sign-in is not approved yet, and saves
 * the account with the Factory tokens once it is.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Browser } from 'playwright-core'
import { adminPage, launchBrowser, onPage, startWebRelay, type WebRelay } from './harness.ts'

let w: WebRelay
let browser: Browser
let workos: ReturnType<typeof Bun.serve>
let approved = false

beforeAll(async () => {
  workos = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const path = new URL(req.url).pathname
      await req.text()
      if (path.endsWith('/authorize/device'))
        return Response.json({
          device_code: 'dev-code',
          user_code: 'WXYZ-1234',
          verification_uri_complete: 'https://auth.example/device?code=WXYZ-1234',
          expires_in: 300,
          interval: 5,
        })
      if (!approved) return Response.json({ error: 'authorization_pending' }, { status: 400 })
      return Response.json({
        access_token: 'ui-at',
        refresh_token: 'ui-rt',
        organization_id: 'org_ui',
      })
    },
  })
  w = await startWebRelay({
    DROID_AUTH_URL: `http://127.0.0.1:${workos.port}/user_management/authenticate`,
  })
  browser = await launchBrowser()
}, 90_000)
afterAll(async () => {
  await browser?.close()
  await w?.stop()
  workos?.stop(true)
})

describe('Droid sign-in in the admin UI', () => {
  test('code shown, pending said, the account saved with the Factory tokens', async () => {
    await onPage(adminPage(browser, w, 'accounts'), async (page) => {
      await page.locator('[data-testid="add-other"] button.trigger').click()
      await page.getByRole('menuitem', { name: 'Add Droid account' }).click()
      const dlg = page.locator('crs-platform-account-dialog')
      await dlg.locator('input[name="name"]').fill('ui-signed-in')
      await dlg.getByRole('button', { name: 'Or sign in with Factory' }).click()
      await dlg.getByText('WXYZ-1234').waitFor()
      await dlg.getByRole('button', { name: 'I approved: check' }).click()
      await page.getByText('Not approved yet').first().waitFor()
      approved = true
      await dlg.getByRole('button', { name: 'I approved: check' }).click()
      await dlg.getByText('Signed in').waitFor()
      await dlg.locator('[data-testid="save-platform-account"]').click()
      await dlg.waitFor({ state: 'detached' })
      const made = ((await w.r.admin('GET', '/admin/droid-accounts')).json.data as any[]).find(
        (a) => a.name === 'ui-signed-in',
      )
      expect(made).toMatchObject({
        hasAccessToken: true,
        hasRefreshToken: true,
        apiKeyCount: 0,
        options: { organizationId: 'org_ui' },
      })
    })
  }, 90_000)
})
