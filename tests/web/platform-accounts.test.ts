/**
 * Bedrock, CCR and Droid accounts on the accounts page in Chromium: added through their dialog
 * (secrets sent, never shown again), listed with the Claude accounts under their own type,
 * filtered by it, and edited with their own fields read back.
 */
import { describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { adminPage, demoSuite, onPage, rowAction } from './harness.ts'

const suite = demoSuite()

describe('Bedrock, CCR and Droid accounts in the admin UI', () => {
  test('added through their dialog, listed and edited with their own fields', async () => {
    await onPage(adminPage(suite.browser, suite.w, 'accounts'), async (page) => {
      // Bedrock, with AWS credentials.
      await page.locator('[data-testid="add-other"] button.trigger').click()
      await page.getByRole('menuitem', { name: 'Add Bedrock account' }).click()
      const dlg = page.locator('crs-platform-account-dialog')
      await dlg.locator('input[name="name"]').fill('ui-bedrock')
      await dlg.locator('[data-testid="save-platform-account"]').click()
      await dlg.locator('#accessKeyId-err').waitFor()
      await dlg.locator('input[name="region"]').fill('eu-central-1')
      await dlg.locator('input[name="accessKeyId"]').fill('AKIAUITEST000000001')
      await dlg.locator('input[name="secretAccessKey"]').fill('ui-secret-access-key-0123456789')
      await dlg.locator('select[name="inferenceProfile"]').selectOption('global')
      await dlg
        .locator('textarea[name="mapping"]')
        .fill(
          'claude-sonnet-4-5=arn:aws:bedrock:eu-central-1:123456789012:application-inference-profile/abc',
        )
      await dlg.locator('[data-testid="save-platform-account"]').click()
      await dlg.waitFor({ state: 'detached' })
      const bedrock = (
        (await suite.w.r.admin('GET', '/admin/bedrock-accounts')).json.data as any[]
      ).find((a) => a.name === 'ui-bedrock')
      expect(bedrock).toMatchObject({
        hasAwsCredentials: true,
        options: { region: 'eu-central-1', inferenceProfile: 'global' },
      })
      expect(Object.keys(bedrock.supportedModels)).toEqual(['claude-sonnet-4-5'])

      // Droid, with two Factory keys.
      await page.locator('[data-testid="add-other"] button.trigger').click()
      await page.getByRole('menuitem', { name: 'Add Droid account' }).click()
      await dlg.locator('input[name="name"]').fill('ui-droid')
      await dlg.locator('textarea[name="apiKeys"]').fill('fk-ui-one\nfk-ui-two')
      await dlg.locator('[data-testid="save-platform-account"]').click()
      await dlg.waitFor({ state: 'detached' })
      const droid = (
        (await suite.w.r.admin('GET', '/admin/droid-accounts')).json.data as any[]
      ).find((a) => a.name === 'ui-droid')
      expect(droid.apiKeyCount).toBe(2)

      // Both listed under their type; the filter keeps one kind.
      const rowOf = (id: string) => page.locator(`tr[data-id="${id}"]`)
      await rowOf(bedrock.id).getByText('AWS Bedrock').waitFor()
      await rowOf(droid.id).getByText('Droid (Factory)').waitFor()
      await page.locator('select').filter({ hasText: 'AWS Bedrock' }).selectOption('bedrock')
      await rowOf(droid.id).waitFor({ state: 'detached' })
      await rowOf(bedrock.id).waitFor()
      const dir = join(tmpdir(), 'crs-screens')
      mkdirSync(dir, { recursive: true })
      // Edit reads the region back and keeps the secret unless a new one is typed.
      await rowAction(page, bedrock.id, 'Edit')
      expect(await dlg.locator('input[name="region"]').inputValue()).toBe('eu-central-1')
      expect(await dlg.locator('input[name="secretAccessKey"]').inputValue()).toBe('')
      await page.screenshot({ path: join(dir, 'platform-account-dialog.png') })
      await dlg.locator('input[name="priority"]').fill('7')
      await dlg.locator('[data-testid="save-platform-account"]').click()
      await dlg.waitFor({ state: 'detached' })
      const edited = (await suite.w.r.admin('GET', `/admin/bedrock-accounts/${bedrock.id}`)).json
        .data
      expect(edited).toMatchObject({ priority: 7, hasAwsCredentials: true })
      expect(edited.options.region).toBe('eu-central-1')
    })
  }, 90_000)

  test('a key gets the droid permission and a Droid and a Bedrock binding in the key dialog', async () => {
    const droidId = (
      await suite.w.r.admin('POST', '/admin/droid-accounts', {
        name: 'bind-droid',
        apiKeys: ['fk-b'],
      })
    ).json.data.id
    const bedrockId = (
      await suite.w.r.admin('POST', '/admin/bedrock-accounts', {
        name: 'bind-bedrock',
        apiKey: 'bedrock-key',
      })
    ).json.data.id
    await onPage(adminPage(suite.browser, suite.w, 'keys'), async (page) => {
      await page.locator('[data-testid="new-key"]').click()
      const dlg = page.locator('crs-key-dialog')
      await dlg.locator('input[name="name"]').fill('droid-bound-key')
      await dlg.locator('select[name="permissions"]').selectOption('droid')
      await dlg.locator('select[name="droidAccountId"]').selectOption(droidId)
      await dlg.locator('select[name="bedrockAccountId"]').selectOption(bedrockId)
      await page.locator('[data-testid="save-key"]').click()
      await page.locator('[data-testid="new-key-value"]').waitFor()
      const made = (await suite.w.r.admin('GET', '/admin/api-keys?search=droid-bound-key')).json
        .data.items[0]
      expect(made).toMatchObject({
        permissions: 'droid',
        droidAccountId: droidId,
        bedrockAccountId: bedrockId,
      })
      await page.getByRole('button', { name: 'I have saved it' }).click()
    })
  }, 90_000)
})
