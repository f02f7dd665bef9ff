/**
 * Usage the admin UI reads beside its lists: limits of listed keys with their use and resets,
 * usage per account (summary and per model), the history's request counts, the audit log with
 * names and without sign-ins, and several keys checked together by a key holder.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let accountId: string
beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, env: { TIMEZONE_OFFSET: '8' } })
  accountId = await r.createConsoleAccount('usage-views-acct')
})
afterAll(async () => {
  await r.stop()
  up.stop()
})

const post = (path: string, body: unknown) =>
  r.handle(
    new Request(`http://localhost${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  )
const send = (key: string, model = 'claude-sonnet-4-5', path = '/api/v1/messages') =>
  r.handle(
    new Request(`http://localhost${path}`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({
        model,
        max_tokens: 8,
        messages: [{ role: 'user', content: crypto.randomUUID() }],
      }),
    }),
  )

async function flushAll() {
  await r.settle()
  await r.relay.services.usage.flush()
  await r.relay.services.history.flush()
}

describe('limit usage of listed keys', () => {
  test('every limit comes with its current use and the time its window resets', async () => {
    const k = await r.createKey({
      name: 'limited',
      rateLimitWindow: 5,
      rateLimitRequests: 10,
      rateLimitCost: 3,
      tokenLimit: 100_000,
      dailyCostLimit: 20,
      totalCostLimit: 100,
      weeklyOpusCostLimit: 40,
      concurrencyLimit: 2,
    })
    const plain = await r.createKey({ name: 'plain' })
    for (let i = 0; i < 3; i++) expect((await send(k.key)).status).toBe(200)
    await flushAll()
    const res = await r.admin('GET', `/admin/api-keys/limit-usage?ids=${k.id},${plain.id},nope`)
    expect(res.status).toBe(200)
    const v = res.json.data[k.id]
    expect(Object.keys(res.json.data).sort()).toEqual([k.id, plain.id].sort())
    expect(v.limits.currentWindowRequests).toBe(3)
    expect(v.limits.currentWindowTokens).toBeGreaterThan(0)
    expect(v.limits.currentWindowCost).toBeGreaterThan(0)
    expect(v.limits.currentDailyCost).toBeCloseTo(v.limits.currentWindowCost, 6)
    expect(v.limits.rateLimitCost).toBe(3)
    expect(v.limits.weeklyOpusCostLimit).toBe(40)
    const now = Date.now()
    const window = Date.parse(v.resets.window)
    expect(window).toBeGreaterThan(now)
    expect(window).toBeLessThanOrEqual(now + 5 * 60_000)
    // Local midnight at UTC+8 and the next local Monday.
    const daily = Date.parse(v.resets.daily)
    expect(daily - now).toBeLessThanOrEqual(86_400_000)
    expect((daily + 8 * 3_600_000) % 86_400_000).toBe(0)
    const weekly = Date.parse(v.resets.weeklyOpus)
    expect(new Date(weekly + 8 * 3_600_000).getUTCDay()).toBe(1)
    expect(res.json.data[plain.id].resets.window).toBeNull()
  })

  test('more than 200 ids is a clear 400', async () => {
    const ids = Array.from({ length: 201 }, (_, i) => `k${i}`).join(',')
    const res = await r.admin('GET', `/admin/api-keys/limit-usage?ids=${ids}`)
    expect(res.status).toBe(400)
    expect(res.json.error.message).toContain('ids: at most 200')
  })
})

describe('usage per account', () => {
  test('the summary lists today, this month and lifetime per account; model stats split it', async () => {
    const k = await r.createKey({ name: 'acct-user' })
    await send(k.key, 'claude-sonnet-4-5')
    await send(k.key, 'claude-haiku-4-5')
    await send(k.key, 'claude-haiku-4-5')
    await flushAll()
    const sum = await r.admin('GET', '/admin/accounts/usage-summary')
    expect(sum.status).toBe(200)
    const a = sum.json.data[accountId]
    expect(a.today.requests).toBeGreaterThanOrEqual(3)
    expect(a.month.requests).toBe(a.today.requests)
    expect(a.total.requests).toBe(a.today.requests)
    expect(a.today.cost).toBeGreaterThan(0)
    const models = await r.admin('GET', `/admin/accounts/${accountId}/model-stats?period=daily`)
    expect(models.status).toBe(200)
    const haiku = models.json.data.find((m: any) => m.model === 'claude-haiku-4-5')
    expect(haiku.requests).toBeGreaterThanOrEqual(2)
    const total = models.json.data.reduce((n: number, m: any) => n + m.requests, 0)
    expect(total).toBe(a.today.requests)
    expect((await r.admin('GET', '/admin/accounts/missing/model-stats')).status).toBe(404)
    const bad = await r.admin('GET', `/admin/accounts/${accountId}/model-stats?period=yearly`)
    expect(bad.status).toBe(400)
  })
})

describe('one definition of requests', () => {
  test('history stats count requests as the usage counters do, with rejections and count_tokens apart', async () => {
    const k = await r.createKey({
      name: 'counted',
      enableModelRestriction: true,
      restrictedModels: ['claude-opus-4-1'],
      modelRestrictionMode: 'deny',
    })
    const before = await r.admin('GET', `/admin/request-stats?apiKeyId=${k.id}&days=1`)
    expect(before.json.data.stats.totalRequests).toBe(0)
    expect((await send(k.key)).status).toBe(200)
    expect((await send(k.key)).status).toBe(200)
    expect((await send(k.key, 'claude-opus-4-1')).status).toBe(403)
    expect((await send(k.key, 'claude-sonnet-4-5', '/api/v1/messages/count_tokens')).status).toBe(
      200,
    )
    up.script('usage-views-acct', { kind: 'error', status: 500 })
    expect((await send(k.key)).status).toBeGreaterThanOrEqual(500)
    up.reset()
    await r.admin('POST', `/admin/claude-console-accounts/${accountId}/reset-status`)
    await flushAll()
    const from = Date.now() - 3_600_000
    const st = (await r.admin('GET', `/admin/request-stats?apiKeyId=${k.id}&from=${from}`)).json
      .data.stats
    expect(st.totalRequests).toBe(5)
    expect(st.requests).toBe(3)
    expect(st.requestsFailed).toBe(1)
    expect(st.rejected).toBe(1)
    expect(st.countTokens).toBe(1)
    const keys = await r.admin('GET', `/admin/api-keys?search=counted`)
    const usage = keys.json.data.items.find((x: any) => x.id === k.id).usage
    expect(usage.requests).toBe(st.requests)
    expect(usage.errorRequests).toBe(st.requestsFailed)
  })
})

describe('audit log', () => {
  test('entries name their target and sign-ins can be hidden', async () => {
    const k = await r.createKey({ name: 'audited-key' })
    await r.admin('PUT', `/admin/api-keys/${k.id}`, { name: 'audited-key-2' })
    for (let i = 0; i < 3; i++)
      await post('/web/auth/login', { username: 'admin', password: 'wrong-password-x' })
    await r.relay.services.audit.flush()
    const all = await r.admin('GET', '/admin/audit-log?limit=3')
    expect(all.json.data.entries.map((e: any) => e.action)).toContain('auth.login_failed')
    const hidden = await r.admin('GET', '/admin/audit-log?limit=3&hideSignIns=1')
    const actions = hidden.json.data.entries.map((e: any) => e.action)
    expect(actions.length).toBe(3)
    expect(actions.some((a: string) => a.startsWith('auth.'))).toBe(false)
    const update = hidden.json.data.entries.find((e: any) => e.action === 'api_key.update')
    expect(update.target).toBe(k.id)
    expect(update.targetName).toBe('audited-key-2')
    expect(hidden.json.data.nextBefore).toBe(hidden.json.data.entries[2].at)
  })
})

describe('several keys checked together', () => {
  test('batch stats add up the keys, each proven by the key itself', async () => {
    const a = await r.createKey({ name: 'batch-a', dailyCostLimit: 5 })
    const b = await r.createKey({ name: 'batch-b' })
    await send(a.key)
    await send(a.key)
    await send(b.key, 'claude-haiku-4-5')
    await flushAll()
    const res = await post('/apiStats/api/batch-stats', {
      apiKeys: [a.key, b.key, a.key],
      period: 'daily',
    })
    expect(res.status).toBe(200)
    const d = ((await res.json()) as any).data
    expect(d.keyCount).toBe(2)
    expect(d.timezoneOffset).toBe(8)
    expect(d.aggregated.periodUsage.requests).toBe(3)
    expect(d.individual.map((k: any) => k.name)).toEqual(['batch-a', 'batch-b'])
    expect(d.individual[0].periodUsage.requests).toBe(2)
    expect(d.individual[0].limits.dailyCostLimit).toBe(5)
    const shares = d.individual.reduce((n: number, k: any) => n + k.share, 0)
    expect(shares).toBeCloseTo(1, 6)
    const models = await post('/apiStats/api/batch-model-stats', {
      apiKeys: [a.key, b.key],
      period: 'daily',
    })
    const rows = ((await models.json()) as any).data
    expect(rows.find((m: any) => m.model === 'claude-haiku-4-5').requests).toBe(1)
    expect(rows.find((m: any) => m.model === 'claude-sonnet-4-5').requests).toBe(2)
  })

  test('an unknown key, a bare id or too many keys are refused and named', async () => {
    const a = await r.createKey({ name: 'batch-c' })
    const wrong = await post('/apiStats/api/batch-stats', {
      apiKeys: [a.key, `cr_${'0'.repeat(64)}`],
    })
    expect(wrong.status).toBe(401)
    const body = (await wrong.json()) as any
    expect(body.error.message).toStartWith('apiKeys[1]:')
    expect(body.error.index).toBe(1)
    const ids = await post('/apiStats/api/batch-stats', { apiIds: [a.id] })
    expect(ids.status).toBe(400)
    expect(((await ids.json()) as any).error.message).toContain('key ids alone are not accepted')
    const many = await post('/apiStats/api/batch-model-stats', {
      apiKeys: Array.from({ length: 31 }, () => a.key),
    })
    expect(many.status).toBe(400)
    const period = await post('/apiStats/api/batch-model-stats', {
      apiKeys: [a.key],
      period: 'total',
    })
    expect(period.status).toBe(400)
  })

  test('a disabled key in the list is a 403 that names it', async () => {
    const a = await r.createKey({ name: 'batch-d' })
    const off = await r.createKey({ name: 'batch-off', isActive: false })
    const res = await post('/apiStats/api/batch-stats', { apiKeys: [a.key, off.key] })
    expect(res.status).toBe(403)
    expect(((await res.json()) as any).error.message).toStartWith('apiKeys[1]:')
  })
})
