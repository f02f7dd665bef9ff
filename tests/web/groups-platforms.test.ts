/**
 * Account groups of every platform in the web UI (real Chromium): a Gemini group made in the
 * groups dialog with two Gemini API accounts as members (only accounts of its platform offered),
 * an OpenAI group offered its OpenAI accounts, a key bound to the Gemini group in the key dialog,
 * then requests through the relay served by the group's members. Screenshots at 1440x900 and
 * 390x844.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { type FakeGemini, startFakeGemini } from '../fakes/fake-gemini.ts'
import { adminPage, launchBrowser, onPage, startWebRelay, type WebRelay } from './harness.ts'

declare const document: any

let g: FakeGemini
let w: WebRelay
let browser: Browser
const ids: Record<string, string> = {}
const dir = join(tmpdir(), 'crs-screens')

async function create(path: string, body: Record<string, unknown>) {
  const res = await w.r.admin('POST', path, body)
  if (res.status !== 200) throw new Error(JSON.stringify(res.json))
  ids[String(body.name)] = res.json.data.id
}

beforeAll(async () => {
  mkdirSync(dir, { recursive: true })
  g = startFakeGemini()
  w = await startWebRelay()
  browser = await launchBrowser()
  for (const name of ['gem-one', 'gem-two'])
    await create('/admin/gemini-api-accounts', {
      name,
      baseUrl: g.url,
      apiKey: `AIza-${name}-0123456789abcdefghij`,
      accountType: 'group',
    })
  await create('/admin/claude-console-accounts', {
    name: 'console-other',
    apiUrl: w.up.url,
    apiKey: 'console-other',
  })
  await create('/admin/openai-responses-accounts', {
    name: 'oa-resp',
    baseApi: w.up.url,
    apiKey: 'sk-oa-resp-0123456789',
  })
}, 90_000)
afterAll(async () => {
  await browser?.close()
  await w?.stop()
  g?.stop()
})

describe('groups of every platform', () => {
  test('a Gemini group with two members, a key bound to it, requests served by its members', async () => {
    let groupId = ''
    await onPage(adminPage(browser, w, 'accounts'), async (page) => {
      await page.locator('[data-testid="groups"]').click()
      const dlg = page.locator('crs-groups-dialog')
      await dlg.locator('input[name="group-name"]').fill('Gemini team')
      await dlg.locator('select[name="group-platform"]').selectOption('gemini')
      await dlg.getByRole('button', { name: 'Add group' }).click()
      await dlg.getByText('Gemini team').waitFor()
      const groups = (await w.r.admin('GET', '/admin/account-groups?platform=gemini')).json.data
      expect(groups.map((x: { name: string }) => x.name)).toEqual(['Gemini team'])
      groupId = groups[0].id
      const row = dlg.locator(`tr[data-id="${groupId}"]`)
      await row.getByText('Gemini', { exact: true }).waitFor()
      await row.getByRole('button', { name: 'Members' }).click()
      const members = dlg.locator('fieldset').filter({ hasText: 'Members of “Gemini team”' })
      // Only accounts of the group's platform are offered.
      await members.getByText('gem-one').waitFor()
      expect(await members.locator('input[type="checkbox"]').count()).toBe(2)
      expect(await members.getByText('console-other').count()).toBe(0)
      await members.getByRole('checkbox', { name: /gem-one/ }).check()
      await members.getByRole('checkbox', { name: /gem-two/ }).check()
      await row.getByText('2', { exact: true }).first().waitFor()
      await page.screenshot({ path: join(dir, 'groups-gemini-1440.png') })

      // An OpenAI group is offered the OpenAI accounts (from the OpenAI page's kinds).
      await dlg.locator('input[name="group-name"]').fill('OpenAI team')
      await dlg.locator('select[name="group-platform"]').selectOption('openai')
      await dlg.getByRole('button', { name: 'Add group' }).click()
      await dlg.getByText('OpenAI team').waitFor()
      const oa = (await w.r.admin('GET', '/admin/account-groups?platform=openai')).json.data[0]
      const oaRow = dlg.locator(`tr[data-id="${oa.id}"]`)
      await oaRow.getByRole('button', { name: 'Members' }).click()
      const oaMembers = dlg.locator('fieldset').filter({ hasText: 'Members of “OpenAI team”' })
      await oaMembers.getByRole('checkbox', { name: /oa-resp/ }).check()
      await oaRow.getByText('1', { exact: true }).first().waitFor()
      const oaDetail = (await w.r.admin('GET', `/admin/account-groups/${oa.id}`)).json.data
      expect(oaDetail.memberIds).toEqual([ids['oa-resp']])
    })
    const detail = (await w.r.admin('GET', `/admin/account-groups/${groupId}`)).json.data
    expect([...detail.memberIds].sort()).toEqual([ids['gem-one'], ids['gem-two']].sort())
    // The server refuses a member of another platform.
    const wrong = await w.r.admin('PUT', `/admin/account-groups/${groupId}/members`, {
      accountIds: [ids['gem-one'], ids['console-other']],
    })
    expect(wrong.status).toBe(400)
    expect(wrong.json.error.message).toContain('to a gemini group')

    let key = ''
    await onPage(adminPage(browser, w, 'keys'), async (page) => {
      await page.locator('[data-testid="new-key"]').click()
      const dlg = page.locator('crs-key-dialog')
      await dlg.locator('input[name="name"]').fill('gemini-group-key')
      await dlg.locator('select[name="permissions"]').selectOption('gemini')
      const select = dlg.locator('select[name="geminiAccountId"]')
      // Gemini API accounts are offered in the seed's `api:<id>` form, then the Gemini groups.
      expect(await select.locator(`option[value="api:${ids['gem-one']}"]`).count()).toBe(1)
      await select.selectOption(`group:${groupId}`)
      await page.screenshot({ path: join(dir, 'key-dialog-gemini-group-1440.png') })
      await page.locator('[data-testid="save-key"]').click()
      key = (await page.locator('[data-testid="new-key-value"]').textContent())?.trim() ?? ''
      await page.getByRole('button', { name: 'I have saved it' }).click()
      // The keys list names the binding (not "Shared pool").
      const made = (await w.r.admin('GET', '/admin/api-keys?search=gemini-group-key')).json.data
        .items[0]
      await page
        .locator(`tr[data-id="${made.id}"] [data-testid="key-binding"]`)
        .getByText('Gemini: Group: Gemini team')
        .waitFor()
    })
    const made = (await w.r.admin('GET', '/admin/api-keys?search=gemini-group-key')).json.data
      .items[0]
    expect(made).toMatchObject({ permissions: 'gemini', geminiAccountId: `group:${groupId}` })
    expect(key).toStartWith('cr_')

    const served: string[] = []
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${w.url}/gemini/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: `hi ${i}` }] }] }),
      })
      expect(res.status).toBe(200)
      served.push(g.received.at(-1)!.credential)
    }
    // Both members serve (least recently used first); no other account is asked.
    expect(served.sort()).toEqual([
      'AIza-gem-one-0123456789abcdefghij',
      'AIza-gem-two-0123456789abcdefghij',
    ])
  }, 120_000)

  test('the groups dialog and the key binding fit a phone (390x844)', async () => {
    await onPage(adminPage(browser, w, 'accounts', { width: 390, height: 844 }), async (page) => {
      await page.locator('[data-testid="groups"]').click()
      const dlg = page.locator('crs-groups-dialog')
      await dlg.getByText('Gemini team').waitFor()
      const groupId = (await w.r.admin('GET', '/admin/account-groups?platform=gemini')).json.data[0]
        .id
      await dlg.locator(`tr[data-id="${groupId}"]`).getByRole('button', { name: 'Members' }).click()
      await dlg.getByText('gem-two').waitFor()
      // Nothing wider than the screen.
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      )
      expect(overflow).toBeLessThanOrEqual(0)
      await page.screenshot({ path: join(dir, 'groups-gemini-390.png'), fullPage: true })
    })
    await onPage(adminPage(browser, w, 'keys', { width: 390, height: 844 }), async (page) => {
      await page.locator('[data-testid="new-key"]').click()
      const select = page.locator('crs-key-dialog select[name="geminiAccountId"]')
      await select.scrollIntoViewIfNeeded()
      expect(await select.locator('option', { hasText: 'Group: Gemini team' }).count()).toBe(1)
      const box = (await select.boundingBox())!
      expect(box.x).toBeGreaterThanOrEqual(0)
      expect(box.x + box.width).toBeLessThanOrEqual(390)
      await page.screenshot({ path: join(dir, 'key-dialog-gemini-group-390.png') })
    })
  }, 60_000)
})
