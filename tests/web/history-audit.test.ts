/**
 * Request history and the audit log in Chromium: endpoint and streaming columns, what the failover
 * trail says when it is empty, one cost precision on every page; audit entries by name, rows that
 * say they open, edits as the fields that changed, sign-ins hidden unless asked for.
 */
import { describe, expect, test } from 'bun:test'
import { makeHistory } from '../helpers/fixtures.ts'
import { adminPage, demoSuite, onPage } from './harness.ts'

declare const crsFind: (selector: string) => any
declare const getComputedStyle: (el: unknown) => { cursor: string }

const suite = demoSuite()

interface Row {
  id: string
  endpoint: string
  stream: boolean
  outcome: string
  accountId: string
}

/** One cost precision: four decimals everywhere. */
const COST = /^(\$\d[\d,]*\.\d{4}|<\$0\.0001)$/

describe('request history', () => {
  test('rows show the endpoint, its platform and streaming; costs read the same everywhere', async () => {
    const rows = (await suite.w.r.admin('GET', '/admin/request-history?limit=200')).json.data
      .history as Row[]
    const countTokens = rows.find((r) => r.endpoint.endsWith('/count_tokens'))!
    const chat = rows.find((r) => r.endpoint.includes('chat/completions'))!
    const streamed = rows.find((r) => r.stream)!
    const plain = rows.find((r) => !r.stream && r.endpoint === '/api/v1/messages')!
    await onPage(adminPage(suite.browser, suite.w, 'history?range=24h'), async (page) => {
      const row = (id: string) => page.locator(`tr[data-id="${id}"]`)
      await row(countTokens.id).waitFor()
      const text = async (id: string) => (await row(id).textContent())?.replace(/\s+/g, ' ')
      expect(await text(countTokens.id)).toContain('count_tokens · Claude')
      expect(await text(chat.id)).toContain('Chat · OpenAI')
      expect(await text(plain.id)).toContain('Messages · Claude')
      expect(await row(streamed.id).getByRole('img', { name: 'stream' }).count()).toBe(1)
      expect(await row(plain.id).getByRole('img', { name: 'stream' }).count()).toBe(0)
      const costs = await page
        .locator('crs-data-table[data-testid="history-table"] tbody td:nth-child(9)')
        .allTextContents()
      expect(costs.length).toBe(rows.length)
      for (const c of costs) expect(c.trim()).toMatch(COST)
      // The detail, the key list and the dashboard use the same precision.
      await row(chat.id).click()
      expect((await page.locator('[data-testid="detail-cost"]').textContent())?.trim()).toMatch(
        COST,
      )
      await page.keyboard.press('Escape')
      await page.goto(`${suite.w.url}/web#/keys`)
      const keyCosts = page.locator('crs-data-table[data-testid="keys-table"] tbody td.num')
      await keyCosts.first().waitFor()
      const cells = (await keyCosts.allTextContents()).map((c) => c.trim())
      expect(cells.filter((c) => c.startsWith('$') || c.startsWith('<')).length).toBe(
        suite.keys.length,
      )
      for (const c of cells.filter((c) => c.startsWith('$'))) expect(c).toMatch(COST)
      await page.goto(`${suite.w.url}/web#/dashboard`)
      const cost = page.locator('[data-testid="card-cost"] .stat-value')
      await cost.waitFor()
      expect((await cost.textContent())?.trim()).toMatch(COST)
    })
  }, 60_000)

  test('the failover trail says why it is empty (no account available, rejected) and who answered', async () => {
    const rows = (await suite.w.r.admin('GET', '/admin/request-history?limit=200')).json.data
      .history as Row[]
    const noAccount = rows.find((r) => r.outcome === 'error' && !r.accountId)!
    const rejected = rows.find((r) => r.outcome === 'rejected')!
    const answered = rows.find((r) => r.outcome === 'success' && r.accountId)!
    const cases: [Row, string][] = [
      [noAccount, 'No account was available, so none was tried.'],
      [rejected, 'Rejected before any account was tried.'],
    ]
    await onPage(adminPage(suite.browser, suite.w, 'history?range=24h'), async (page) => {
      for (const [r, says] of cases) {
        await page.goto(`${suite.w.url}/web#/history?range=24h&sel=${r.id}`)
        const note = page.locator('[data-testid="no-attempts"]')
        await note.waitFor()
        expect(await note.textContent()).toContain(says)
        await page.keyboard.press('Escape')
        await note.waitFor({ state: 'detached' })
      }
      // A request that was answered lists the account that answered it.
      await page.goto(`${suite.w.url}/web#/history?range=24h&sel=${answered.id}`)
      const tries = page.locator('[data-testid="attempts"] tbody tr')
      await tries.first().waitFor()
      expect(await tries.count()).toBe(1)
      expect(await tries.first().textContent()).toContain('200')
      expect(await page.locator('[data-testid="no-attempts"]').count()).toBe(0)
    })
  }, 60_000)
})

describe('request history: reasoning tokens', () => {
  test('the detail lists the reasoning part of the output when the answer reported one', async () => {
    const now = Date.now()
    const reasoning = makeHistory({
      startTime: now,
      platform: 'openai-responses',
      endpoint: '/openai/v1/responses',
      model: 'gpt-5',
      outputTokens: 30,
      reasoningTokens: 10,
    })
    const plain = makeHistory({ startTime: now, platform: 'openai-responses', model: 'gpt-5' })
    await suite.w.r.relay.stores.history.write([reasoning, plain])
    await onPage(adminPage(suite.browser, suite.w, 'history?range=24h'), async (page) => {
      await page.goto(`${suite.w.url}/web#/history?range=24h&sel=${reasoning.id}`)
      const item = page.locator('[data-testid="detail-reasoning"]')
      await item.waitFor()
      expect((await item.textContent())?.trim()).toBe('10')
      const label = item.locator('xpath=../preceding-sibling::dt')
      expect((await label.textContent())?.trim()).toBe('Of output: reasoning')
      await page.keyboard.press('Escape')
      await item.waitFor({ state: 'detached' })
      await page.goto(`${suite.w.url}/web#/history?range=24h&sel=${plain.id}`)
      await page.locator('[data-testid="detail-cost"]').waitFor()
      expect(await page.locator('[data-testid="detail-reasoning"]').count()).toBe(0)
    })
  }, 60_000)
})

describe('audit log', () => {
  test('entries name their target, open as the fields that changed, and hide sign-ins', async () => {
    await suite.w.r.relay.services.audit.flush()
    await onPage(adminPage(suite.browser, suite.w, 'audit'), async (page) => {
      const table = page.locator('crs-data-table[data-testid="audit-table"]')
      const edit = table.locator('tr', { hasText: 'Key edited' }).first()
      await edit.waitFor()
      // By name, not by id; the row says it opens.
      const bob = suite.keys.find((k) => k.name === 'bob-ci')!
      expect(await edit.textContent()).toContain('bob-ci')
      expect(await edit.textContent()).not.toContain(bob.id)
      expect(await edit.evaluate((el) => getComputedStyle(el).cursor)).toBe('pointer')
      expect(await edit.textContent()).toContain('Details')
      // Sign-ins are hidden by default (this session's sign-in is in the log).
      expect(await table.getByText('Signed in').count()).toBe(0)
      // The edit as a diff: only the two fields that changed, before and after.
      await edit.click()
      const diff = page.locator('[data-testid="audit-diff"]')
      await diff.waitFor()
      const lines = (await diff.locator('tbody tr').allTextContents()).map((l) =>
        l.replace(/\s+/g, ' ').trim(),
      )
      expect(lines).toEqual(['tags ci ci, nightly', 'dailyCostLimit 0 15'])
      await page.getByText('Show the full documents').click()
      await page.locator('crs-code-block').first().waitFor()
      await page.keyboard.press('Escape')
      await diff.waitFor({ state: 'detached' })
      // A creation lists what was created; sign-ins come back on request.
      await page.locator('[data-testid="show-signins"]').check()
      await page.waitForURL(/signins=1/)
      await table.getByText('Signed in').first().waitFor()
    })
  }, 60_000)
})
