/**
 * The keys page in Chromium: every limit with its use and reset time, permissions, restrictions,
 * the binding that applies, one-line rows with a labelled actions menu at 1440 and 390 px; and the
 * key dialog: focus, discarding a half-filled form, server errors next to their field, expiry
 * presets, tag suggestions and which binding wins.
 */
import { describe, expect, test } from 'bun:test'
import type { Page } from 'playwright-core'
import { adminPage, demoSuite, expectText, onPage, sendMessage } from './harness.ts'

declare const document: any
declare const crsFind: (selector: string) => any

const suite = demoSuite()

const byName = (name: string) => suite.keys.find((k) => k.name === name)!
const row = (page: Page, id: string) => page.locator(`tr[data-id="${id}"]`)

/** Heights of the table's rows and how far the table scrolls sideways. */
function tableShape(page: Page) {
  return page.evaluate(() => {
    const table = crsFind('crs-data-table[data-testid="keys-table"]')
    const wrap = table.querySelector('.table-wrap')
    const heights = [...table.querySelectorAll('tbody tr')].map(
      (r: any) => r.getBoundingClientRect().height,
    )
    return {
      heights,
      overflow: wrap.scrollWidth - wrap.clientWidth,
      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    }
  })
}

describe('keys page', () => {
  test('every limit shows its use and reset time; permissions, restrictions and the binding that wins', async () => {
    const all = await suite.w.r.createKey({
      name: 'every-limit',
      concurrencyLimit: 3,
      rateLimitWindow: 10,
      rateLimitRequests: 50,
      tokenLimit: 100_000,
      rateLimitCost: 2,
      dailyCostLimit: 5,
      totalCostLimit: 50,
      weeklyOpusCostLimit: 9,
    })
    expect((await sendMessage(suite.w.url, all.key)).status).toBe(200)
    await suite.w.r.settle()
    await suite.w.r.relay.services.usage.flush()
    await onPage(adminPage(suite.browser, suite.w, 'keys'), async (page) => {
      await row(page, all.id).locator('[data-testid="limits"]').waitFor()
      // The example: $3 per 5 minutes is not "Unlimited".
      const carol = row(page, byName('carol').id)
      await expect(carol.locator('.limit-sum').textContent()).resolves.toContain('/$3')
      expect(await carol.textContent()).not.toContain('Unlimited')
      // All seven limits, each with a bar; windowed ones with their reset time.
      await row(page, all.id).locator('crs-popover button.trigger').click()
      await row(page, all.id).locator('crs-popover [popover]').waitFor()
      // The panel shows the popover's slotted content.
      const panel = row(page, all.id).locator('crs-popover')
      const limits = await panel
        .locator('.limit-row')
        .evaluateAll((rows) => rows.map((r) => (r as any).dataset.limit))
      expect(limits.sort()).toEqual(
        ['concurrency', 'daily', 'opus', 'requests', 'tokens', 'total', 'windowCost'].sort(),
      )
      expect(await panel.locator('[role="meter"]').count()).toBe(7)
      await expect(
        panel.locator('.limit-row[data-limit="requests"]').textContent(),
      ).resolves.toMatch(/1 \/ 50\s*resets in \d+ min/)
      await expect(panel.locator('.limit-row[data-limit="daily"]').textContent()).resolves.toMatch(
        /\$0\.\d{4} \/ \$5\s*resets in/,
      )
      await expect(panel.locator('.limit-row[data-limit="opus"]').textContent()).resolves.toContain(
        'resets in',
      )
      await page.keyboard.press('Escape')
      await row(page, all.id).locator('crs-popover [popover]').waitFor({ state: 'hidden' })
      // Permissions, restrictions and the binding: Claude wins, the Console binding is ignored.
      const erin = row(page, byName('erin-restricted').id)
      await expect(erin.textContent()).resolves.toContain('Claude')
      await expect(erin.textContent()).resolves.toContain('1 model(s)')
      await expect(erin.locator('.binding').textContent()).resolves.toContain('claude-max-team')
      await expect(erin.locator('.binding .ignored').textContent()).resolves.toBe('console-backup')
      // A key with no limits and no restrictions says so.
      await expect(row(page, byName('dave-readonly').id).textContent()).resolves.toContain(
        'Unlimited',
      )
    })
  }, 60_000)

  test('rows are one line with a labelled actions menu, at 1440 and at 390 px', async () => {
    // Long names and tags are cut, not wrapped or widening the table.
    await suite.w.r.createKey({
      name: 'a-very-long-key-name-for-the-nightly-build-pipeline-of-team-alpha',
      tags: ['team-alpha', 'nightly-builds', 'release'],
      dailyCostLimit: 10,
      rateLimitWindow: 60,
      rateLimitRequests: 1000,
    })
    for (const [width, height] of [
      [1440, 900],
      [390, 844],
    ] as const) {
      await onPage(adminPage(suite.browser, suite.w, 'keys', { width, height }), async (page) => {
        await row(page, byName('carol').id).locator('.limit-sum').waitFor()
        const shape = await tableShape(page)
        expect({ width, tall: shape.heights.filter((h: number) => h > 50) }).toEqual({
          width,
          tall: [],
        })
        expect({ width, overflow: shape.overflow, page: shape.page }).toEqual({
          width,
          overflow: 0,
          page: 0,
        })
        // The menu is labelled, opens with the keyboard and lists the row's actions.
        const trigger = page.getByRole('button', { name: 'Actions for alice-laptop' })
        await trigger.focus()
        await page.keyboard.press('ArrowDown')
        const menu = row(page, byName('alice-laptop').id).getByRole('menu')
        await menu.waitFor()
        const items = await menu.getByRole('menuitem').allTextContents()
        expect(items.map((s) => s.trim())).toEqual([
          'Edit',
          'Usage',
          'Disable',
          'New secret',
          'Delete',
        ])
        await page.keyboard.press('ArrowDown')
        await page.keyboard.press('Escape')
        await menu.waitFor({ state: 'hidden' })
        // The action works from the menu (disable, then enable again).
        await page.getByRole('button', { name: 'Actions for bob-ci' }).click()
        await row(page, byName('bob-ci').id).getByRole('menuitem', { name: 'Disable' }).click()
        await expectText(page, 'Key saved')
        // The toast follows the saved change.
        const bob = (await suite.w.r.admin('GET', `/admin/api-keys/${byName('bob-ci').id}`)).json
          .data
        expect(bob.isActive).toBe(false)
        await suite.w.r.admin('PUT', `/admin/api-keys/${byName('bob-ci').id}`, { isActive: true })
      })
    }
  }, 90_000)

  test('the key dialog: focus, presets, tag suggestions, which binding wins, Escape asks first', async () => {
    await onPage(adminPage(suite.browser, suite.w, 'keys'), async (page) => {
      await page.locator('[data-testid="new-key"]').click()
      const name = page.locator('crs-key-dialog input[name="name"]')
      await name.waitFor()
      // Focus starts on the first field.
      await page.waitForFunction(() => {
        let a: any = document.activeElement
        while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement
        return a?.name === 'name'
      })
      // Escape on an untouched form closes it at once.
      await page.keyboard.press('Escape')
      await name.waitFor({ state: 'detached' })
      await page.locator('[data-testid="new-key"]').click()
      await name.fill('preset-key')
      // Tag suggestions from the existing tags.
      await page.locator('crs-key-dialog button[data-tag="team-a"]').click()
      expect(await page.locator('crs-key-dialog input[name="tags"]').inputValue()).toBe('team-a')
      await expect(page.locator('crs-key-dialog button[data-tag="team-a"]').count()).resolves.toBe(
        0,
      )
      // An expiry preset fills the date.
      await page.locator('crs-key-dialog button[data-preset="30"]').click()
      const date = await page.locator('crs-key-dialog input[name="expiresAt"]').inputValue()
      const d = new Date(Date.now() + 30 * 86_400_000)
      const want = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
      expect(date).toBe(want)
      // Both bindings: the dialog says which one is used.
      const accounts = (await suite.w.r.admin('GET', '/admin/claude-accounts')).json.data
      const consoles = (await suite.w.r.admin('GET', '/admin/claude-console-accounts')).json.data
      await page
        .locator('crs-key-dialog select[name="claudeAccountId"]')
        .selectOption(accounts[0].id)
      await page
        .locator('crs-key-dialog select[name="claudeConsoleAccountId"]')
        .selectOption(consoles[0].id)
      await expect(
        page.locator('crs-key-dialog [data-testid="binding-note"]').textContent(),
      ).resolves.toContain(`requests go to ${accounts[0].name}; ${consoles[0].name} is ignored`)
      await page.locator('crs-key-dialog select[name="claudeConsoleAccountId"]').selectOption('')
      // Escape on a half-filled form asks before discarding; "Keep editing" keeps it.
      await name.focus()
      await page.keyboard.press('Escape')
      const confirm = page.locator('crs-confirm-dialog')
      await confirm.getByText('Discard changes?').waitFor()
      await confirm.getByRole('button', { name: 'Keep editing' }).click()
      await confirm.waitFor({ state: 'detached' })
      expect(await name.inputValue()).toBe('preset-key')
      // Saved: the key got the tag and the date.
      await page.locator('[data-testid="save-key"]').click()
      await page.locator('[data-testid="new-key-value"]').waitFor()
      const made = (await suite.w.r.admin('GET', '/admin/api-keys?search=preset-key')).json.data
        .items[0]
      expect(made.tags).toEqual(['team-a'])
      expect(made.expiresAt.slice(0, 10)).toBe(
        new Date(`${want}T23:59:59`).toISOString().slice(0, 10),
      )
      await page.getByRole('button', { name: 'I have saved it' }).click()
      // Escape, then Discard, closes a changed form.
      await page.locator('[data-testid="new-key"]').click()
      await name.fill('discard-me')
      await page.keyboard.press('Escape')
      await confirm.getByRole('button', { name: 'Discard' }).click()
      await name.waitFor({ state: 'detached' })
      expect(
        (await suite.w.r.admin('GET', '/admin/api-keys?search=discard-me')).json.data.items,
      ).toEqual([])
    })
  }, 60_000)

  test('a server error appears in the dialog, next to the field it names', async () => {
    await onPage(adminPage(suite.browser, suite.w, 'keys'), async (page, watch) => {
      watch.allow(400, /\/admin\/api-keys$/)
      await page.locator('[data-testid="new-key"]').click()
      const name = page.locator('crs-key-dialog input[name="name"]')
      await name.fill('x'.repeat(120))
      await page.locator('[data-testid="save-key"]').click()
      const err = page.locator('crs-key-dialog #name-err')
      await err.waitFor()
      // Refused at the edge by the route's schema, which names the field.
      expect(await err.textContent()).toMatch(/\/name: .*100/)
      expect(await name.getAttribute('aria-invalid')).toBe('true')
      // A value only the server refuses (a fractional limit) lands on its own field.
      await name.fill('fraction-key')
      await page.locator('crs-key-dialog input[name="concurrencyLimit"]').fill('1.5')
      await page.locator('[data-testid="save-key"]').click()
      await page.locator('crs-key-dialog #concurrencyLimit-err').waitFor()
      // The error is inside the dialog and on top: nothing under the backdrop.
      const onTop = await page.locator('crs-key-dialog #concurrencyLimit-err').evaluate((el) => {
        const r = el.getBoundingClientRect()
        let hit: any = document.elementFromPoint(r.x + 2, r.y + 2)
        while (hit?.shadowRoot) {
          const inner = hit.shadowRoot.elementFromPoint(r.x + 2, r.y + 2)
          if (!inner || inner === hit) break
          hit = inner
        }
        return hit === el || el.contains(hit)
      })
      expect(onTop).toBe(true)
    })
  }, 60_000)
})
