/**
 * The seed's admin usage routes through HTTP, after real requests through the relay: usage-stats,
 * usage-costs, accounts/usage-stats, accounts/:id/usage-history, keys batch-stats and
 * batch-last-usage, cleanup, check-updates.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { postMessages } from '../helpers/messages.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let key: { id: string; key: string }
let idle: { id: string; key: string }
let accountId: string

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true })
  accountId = await r.createConsoleAccount('seed-acct')
  key = await r.createKey({ name: 'busy' })
  idle = await r.createKey({ name: 'idle' })
  for (let i = 0; i < 2; i++) {
    const res = await postMessages(r.url, key.key, { model: 'claude-sonnet-4-5' })
    expect(res.status).toBe(200)
    await res.text()
  }
  await r.waitOutcomes(2)
  await r.relay.services.usage.flush()
  await r.relay.services.history.flush()
})
afterAll(async () => {
  await r.stop()
  up.stop()
})

describe('seed admin usage routes', () => {
  test('usage-stats lists every key with its usage', async () => {
    const res = await r.admin('GET', '/admin/usage-stats?period=daily')
    expect(res.status).toBe(200)
    const busy = res.json.data.find((k: any) => k.keyId === key.id)
    expect(busy.usage.requests).toBe(2)
    expect(busy.usage.cost).toBeGreaterThan(0)
    expect(res.json.data.find((k: any) => k.keyId === idle.id).usage.requests).toBe(0)
    expect((await r.admin('GET', '/admin/usage-stats?period=bogus')).status).toBe(400)
  })

  test('usage-costs: total and per model', async () => {
    for (const period of ['all', 'today', 'monthly', '7days']) {
      const res = await r.admin('GET', `/admin/usage-costs?period=${period}`)
      expect(res.status).toBe(200)
      expect(res.json.data.totalCosts.totalCost).toBeGreaterThan(0)
      expect(res.json.data.models[0].model).toContain('sonnet')
    }
  })

  test('accounts/usage-stats and usage-history', async () => {
    const res = await r.admin('GET', '/admin/accounts/usage-stats')
    expect(res.status).toBe(200)
    const row = res.json.data.find((a: any) => a.accountId === accountId)
    expect(row.daily.requests).toBe(2)
    expect(row.total.requests).toBe(2)
    const hist = await r.admin('GET', `/admin/accounts/${accountId}/usage-history?days=7`)
    expect(hist.status).toBe(200)
    expect(hist.json.data.history).toHaveLength(7)
    expect(hist.json.data.history.at(-1).requests).toBe(2)
    expect(hist.json.data.summary.requests).toBe(2)
    expect((await r.admin('GET', '/admin/accounts/nope/usage-history')).status).toBe(404)
  })

  test('api-keys batch-stats and batch-last-usage', async () => {
    const res = await r.admin('POST', '/admin/api-keys/batch-stats', {
      keyIds: [key.id, idle.id],
      timeRange: 'today',
    })
    expect(res.status).toBe(200)
    expect(res.json.data[key.id].requests).toBe(2)
    expect(res.json.data[idle.id].requests).toBe(0)
    const last = await r.admin('POST', '/admin/api-keys/batch-last-usage', {
      keyIds: [key.id, idle.id],
    })
    expect(last.status).toBe(200)
    expect(last.json.data[key.id]).toMatchObject({ accountId, accountName: 'seed-acct' })
    expect(last.json.data[idle.id]).toBeNull()
    expect((await r.admin('POST', '/admin/api-keys/batch-stats', { keyIds: 'x' })).status).toBe(400)
  })

  test('cleanup disables expired keys; check-updates answers offline', async () => {
    const expired = await r.createKey({ expiresAt: new Date(Date.now() + 60_000).toISOString() })
    await r.relay.services.keys.update(expired.id, {
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    })
    const res = await r.admin('POST', '/admin/cleanup')
    expect(res.status).toBe(200)
    expect(res.json.data.expiredKeys).toBe(1)
    expect((await r.relay.services.keys.get(expired.id))!.isActive).toBe(false)
    const upd = await r.admin('GET', '/admin/check-updates')
    expect(upd.json).toMatchObject({ success: true, data: { hasUpdate: false, offline: true } })
    expect(upd.json.data.current).toBe(upd.json.data.latest)
  })
})
