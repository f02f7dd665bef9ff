/**
 * The admin API: sessions, key management, analytics from counters, the audit log and the
 * OpenAPI document.
 */

import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Validator } from '@seriousme/openapi-schema-validator'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { ADMIN, startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, env: { TRUST_PROXY: 'true' } })
  await r.createConsoleAccount('admin-api-acct')
})
afterAll(async () => {
  await r.stop()
  up.stop()
})

const json = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  r.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  )
const login = async (password = ADMIN.password, username = ADMIN.username, ip = '10.0.0.1') =>
  json('POST', '/web/auth/login', { username, password }, { 'x-forwarded-for': ip })
const relay = (key: string, model = 'claude-sonnet-4-6') =>
  r.handle(
    new Request('http://localhost/api/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: JSON.stringify({
        model,
        max_tokens: 8,
        messages: [{ role: 'user', content: crypto.randomUUID() }],
      }),
    }),
  )

describe('sessions', () => {
  test('sign out revokes that token; the others keep working', async () => {
    const a = ((await (await login()).json()) as any).token
    const b = ((await (await login()).json()) as any).token
    expect(
      (await json('GET', '/web/auth/user', undefined, { authorization: `Bearer ${a}` })).status,
    ).toBe(200)
    expect(
      (await json('POST', '/web/auth/logout', undefined, { authorization: `Bearer ${a}` })).status,
    ).toBe(200)
    const after = await json('GET', '/admin/api-keys', undefined, { authorization: `Bearer ${a}` })
    expect(after.status).toBe(401)
    expect(((await after.json()) as any).error.type).toBe('authentication_error')
    expect(
      (await json('GET', '/admin/api-keys', undefined, { authorization: `Bearer ${b}` })).status,
    ).toBe(200)
  })

  test('refresh issues a new token and revokes the old one', async () => {
    const a = ((await (await login()).json()) as any).token
    const res = (await (
      await json('POST', '/web/auth/refresh', undefined, { authorization: `Bearer ${a}` })
    ).json()) as any
    expect(res.token).not.toBe(a)
    expect(
      (await json('GET', '/web/auth/user', undefined, { authorization: `Bearer ${res.token}` }))
        .status,
    ).toBe(200)
    expect(
      (await json('GET', '/web/auth/user', undefined, { authorization: `Bearer ${a}` })).status,
    ).toBe(401)
  })

  test('changing the password revokes every session', async () => {
    const a = ((await (await login()).json()) as any).token
    const b = ((await (await login()).json()) as any).token
    const wrong = await json(
      'POST',
      '/web/auth/change-password',
      { currentPassword: 'nope', newPassword: 'another-long-pass' },
      { authorization: `Bearer ${a}` },
    )
    expect(wrong.status).toBe(401)
    const ok = await json(
      'POST',
      '/web/auth/change-password',
      { currentPassword: ADMIN.password, newPassword: 'another-long-pass' },
      { authorization: `Bearer ${a}` },
    )
    expect(ok.status).toBe(200)
    for (const t of [a, b])
      expect(
        (await json('GET', '/web/auth/user', undefined, { authorization: `Bearer ${t}` })).status,
      ).toBe(401)
    expect((await login()).status).toBe(401)
    const fresh = ((await (await login('another-long-pass')).json()) as any).token
    await json(
      'POST',
      '/web/auth/change-password',
      { currentPassword: 'another-long-pass', newPassword: ADMIN.password },
      { authorization: `Bearer ${fresh}` },
    )
    expect((await login()).status).toBe(200)
  })

  test('failed sign-ins are limited per user name + address and per address with a clear 429', async () => {
    for (let i = 0; i < 5; i++)
      expect((await login('wrong', 'someone', '10.1.0.1')).status).toBe(401)
    const limited = await login('wrong', 'someone', '10.1.0.1')
    expect(limited.status).toBe(429)
    expect(((await limited.json()) as any).error.type).toBe('rate_limit_error')
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    // The same user name from another address is slowed down, not refused.
    expect((await login('wrong', 'someone', '10.1.0.2')).status).toBe(401)
    // Another user name from a fresh IP is not affected by that user's failures.
    expect((await login(ADMIN.password, ADMIN.username, '10.2.0.1')).status).toBe(200)
    for (let i = 0; i < 20; i++) await login('wrong', `user${i}`, '10.3.0.1')
    expect((await login(ADMIN.password, ADMIN.username, '10.3.0.1')).status).toBe(429)
  }, 60_000)

  test('tampered, unsigned and foreign tokens are refused', async () => {
    const token = ((await (await login()).json()) as any).token as string
    const [h, p] = token.split('.')
    const none = `${btoa(JSON.stringify({ alg: 'none', typ: 'JWT' })).replaceAll('=', '')}.${p}.`
    for (const bad of [`${h}.${p}.AAAA`, none, `${token}x`, 'garbage']) {
      expect(
        (await json('GET', '/admin/api-keys', undefined, { authorization: `Bearer ${bad}` }))
          .status,
      ).toBe(401)
    }
  })
})

describe('API keys', () => {
  test('paging, search, tag and status filters, and sorting by cost', async () => {
    const tag = `t${crypto.randomUUID().slice(0, 6)}`
    const made = []
    for (let i = 0; i < 5; i++)
      made.push(await r.createKey({ name: `${tag}-k${i}`, tags: i % 2 ? [tag, 'odd'] : [tag] }))
    for (let i = 0; i < 3; i++) await (await relay(made[3]!.key)).text()
    await (await relay(made[1]!.key)).text()
    await r.relay.services.usage.flush()
    const list = async (qs: string) => (await r.admin('GET', `/admin/api-keys?${qs}`)).json.data
    const page1 = await list(`search=${tag}&pageSize=2&page=1&sortBy=name&sortOrder=asc`)
    expect(page1.pagination).toMatchObject({ total: 5, pageSize: 2, page: 1, totalPages: 3 })
    expect(page1.items.map((k: any) => k.name)).toEqual([`${tag}-k0`, `${tag}-k1`])
    expect(page1.items[0]).not.toHaveProperty('hash')
    expect(page1.availableTags).toContain(tag)
    expect((await list(`tag=odd&search=${tag}`)).pagination.total).toBe(2)
    const byCost = await list(`search=${tag}&sortBy=cost&sortOrder=desc&costTimeRange=today`)
    expect(byCost.items.map((k: any) => k.name).slice(0, 2)).toEqual([`${tag}-k3`, `${tag}-k1`])
    expect(byCost.items[0].usage.requests).toBe(3)
    await r.admin('PUT', `/admin/api-keys/${made[4]!.id}`, { isActive: false })
    expect((await list(`search=${tag}&status=disabled`)).items.map((k: any) => k.id)).toEqual([
      made[4]!.id,
    ])
    expect((await r.admin('GET', '/admin/api-keys?sortBy=bogus')).status).toBe(400)
  })

  test('batch create (up to 500) returns every key once, batch edit applies tag operations', async () => {
    const res = await r.admin('POST', '/admin/api-keys/batch', {
      baseName: 'team',
      count: 3,
      dailyCostLimit: 2,
      tags: ['a'],
    })
    expect(res.json.data.map((k: any) => k.name)).toEqual(['team_1', 'team_2', 'team_3'])
    expect(res.json.data.every((k: any) => /^cr_[0-9a-f]{64}$/.test(k.apiKey))).toBe(true)
    expect(
      (await r.admin('POST', '/admin/api-keys/batch', { baseName: 'x', count: 501 })).status,
    ).toBe(400)
    const ids = res.json.data.map((k: any) => k.id)
    await r.admin('PUT', '/admin/api-keys/batch', {
      keyIds: ids,
      updates: { tags: ['b'], tagOperation: 'add', concurrencyLimit: 4 },
    })
    const k = (await r.admin('GET', `/admin/api-keys/${ids[0]}`)).json.data
    expect(k).toMatchObject({ tags: ['a', 'b'], concurrencyLimit: 4, dailyCostLimit: 2 })
    await r.admin('PUT', '/admin/api-keys/batch', {
      keyIds: ids,
      updates: { tags: ['a'], tagOperation: 'remove' },
    })
    expect((await r.admin('GET', `/admin/api-keys/${ids[1]}`)).json.data.tags).toEqual(['b'])
    expect(
      (await r.admin('PUT', `/admin/api-keys/${ids[0]}`, { hash: 'f'.repeat(64) })).status,
    ).toBe(400)
  })

  test('trash: soft delete, restore, permanent delete with usage, expiry and regeneration', async () => {
    const { id, key } = await r.createKey()
    await (await relay(key)).text()
    await r.relay.services.usage.flush()
    expect((await r.admin('DELETE', `/admin/api-keys/${id}/permanent`)).status).toBe(409)
    expect((await r.admin('DELETE', `/admin/api-keys/${id}`)).status).toBe(200)
    expect((await relay(key)).status).toBe(401)
    expect(
      (await r.admin('GET', '/admin/api-keys/deleted')).json.data.map((k: any) => k.id),
    ).toContain(id)
    await r.admin('POST', `/admin/api-keys/${id}/restore`)
    expect((await relay(key)).status).toBe(200)
    const exp = await r.admin('PATCH', `/admin/api-keys/${id}/expiration`, {
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    })
    expect(exp.status).toBe(200)
    expect((await relay(key)).status).toBe(401)
    await r.admin('PATCH', `/admin/api-keys/${id}/expiration`, { expiresAt: null })
    const regen = (await r.admin('POST', `/admin/api-keys/${id}/regenerate`)).json.data
    expect(regen.apiKey).not.toBe(key)
    expect((await relay(key)).status).toBe(401)
    expect((await relay(regen.apiKey)).status).toBe(200)
    const models = (await r.admin('GET', `/admin/api-keys/${id}/model-stats?period=daily`)).json
      .data
    await r.relay.services.usage.flush()
    expect(models[0]?.model ?? 'claude-sonnet-4-6').toBe('claude-sonnet-4-6')
    await r.admin('DELETE', `/admin/api-keys/${id}`)
    const purge = await r.admin('DELETE', `/admin/api-keys/${id}/permanent`)
    expect(purge.json.data.counters).toBeGreaterThan(0)
    expect(
      (await r.relay.stores.usage.get([{ scope: 'key', id, period: 'total' }]))[0]?.requests,
    ).toBe(0)
    expect((await r.admin('GET', `/admin/api-keys/${id}`)).status).toBe(404)
  })
})

describe('analytics and audit', () => {
  test('dashboard, trends and model stats come from the counters', async () => {
    const { key } = await r.createKey({ name: 'analytics-key' })
    for (let i = 0; i < 4; i++)
      await (await relay(key, i % 2 ? 'claude-haiku-4-5' : 'claude-sonnet-4-6')).text()
    await r.relay.services.usage.flush()
    const d = (await r.admin('GET', '/admin/dashboard')).json.data
    expect(d.overview.totalApiKeys).toBeGreaterThan(0)
    expect(d.overview.accounts.total).toBe(1)
    expect(d.today.requests).toBeGreaterThanOrEqual(4)
    expect(d.realtimeMetrics.rpm).toBeGreaterThan(0)
    const trend = (await r.admin('GET', '/admin/usage-trend?granularity=hour&days=1')).json.data
    expect(trend.series.length).toBeGreaterThanOrEqual(24)
    expect(trend.series.reduce((a: number, p: any) => a + p.requests, 0)).toBe(d.today.requests)
    const models = (await r.admin('GET', '/admin/model-stats?days=1')).json.data.map(
      (m: any) => m.model,
    )
    expect(models).toContain('claude-haiku-4-5')
    const top = (await r.admin('GET', '/admin/api-keys-usage-trend?metric=requests&topN=1&days=1'))
      .json.data
    expect(top.items.length).toBe(1)
    const accounts = (await r.admin('GET', '/admin/account-usage-trend?days=2')).json.data
    expect(accounts.items[0].name).toBe('admin-api-acct')
    expect((await r.admin('GET', '/admin/usage-trend?granularity=hour&days=60')).status).toBe(400)
  })

  test('admin writes are in the audit log without secrets', async () => {
    const { id, key } = await r.createKey({ name: 'audited' })
    await r.admin('PUT', `/admin/api-keys/${id}`, { description: 'changed' })
    await r.relay.services.audit.flush()
    const entries = (await r.admin('GET', '/admin/audit-log?limit=50')).json.data.entries
    const actions = entries.filter((e: any) => e.target === id).map((e: any) => e.action)
    expect(actions).toContain('api_key.create')
    expect(actions).toContain('api_key.update')
    const upd = entries.find((e: any) => e.target === id && e.action === 'api_key.update')
    expect(upd.before.description).toBe('')
    expect(upd.after.description).toBe('changed')
    expect(upd.actor).toBe(ADMIN.username)
    expect(JSON.stringify(entries)).not.toContain(key)
    expect(entries.some((e: any) => e.action === 'auth.login')).toBe(true)
  })
})

describe('OpenAPI', () => {
  test('the document validates and lists every registered route', async () => {
    const res = await r.handle(new Request('http://localhost/openapi/json'))
    expect(res.status).toBe(200)
    const spec = (await res.json()) as any
    const result = await new Validator().validate(spec)
    expect(result.errors ?? []).toEqual([])
    expect(result.valid).toBe(true)
    const documented = new Set<string>()
    for (const [p, ops] of Object.entries(spec.paths as Record<string, object>))
      for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${p}`)
    const routes = (r.relay.app.routes as { method: string; path: string }[])
      .filter(
        (x) =>
          !x.path.startsWith('/openapi') && !x.path.startsWith('/swagger') && x.method !== 'HEAD',
      )
      .map((x) => `${x.method} ${x.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`)
    const missing = routes.filter((x) => !documented.has(x))
    expect(missing).toEqual([])
    expect(spec.components.securitySchemes).toHaveProperty('adminBearer')
    expect(spec.paths['/admin/api-keys'].get.security).toEqual([{ adminBearer: [] }])
    expect(spec.paths['/api/v1/messages'].post.security).toEqual([
      { relayKey: [] },
      { relayKeyBearer: [] },
    ])
    // The page is part of the web build (tests/integration/web-delivery.test.ts); without one it
    // says how to get it.
    const page = await r.handle(new Request('http://localhost/openapi'))
    expect(page.status).toBe(503)
    expect(await page.text()).toContain('npm run build:web')
    expect((await r.handle(new Request('http://localhost/swagger'))).status).toBe(302)
  })

  test('every admin route refuses requests without a session', async () => {
    const routes = (r.relay.app.routes as { method: string; path: string }[]).filter(
      (x) =>
        (x.path.startsWith('/admin') || x.path.startsWith('/web/auth')) &&
        x.path !== '/web/auth/login' &&
        // The site name and icon are read before sign-in, as in the seed (writing them needs one).
        !(x.method === 'GET' && x.path === '/admin/oem-settings'),
    )
    expect(routes.length).toBeGreaterThan(30)
    for (const route of routes) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, 'x')
      const res = await r.handle(
        new Request(`http://localhost${path}`, {
          method: route.method,
          headers: { 'content-type': 'application/json' },
          body: route.method === 'GET' ? undefined : '{}',
        }),
      )
      expect({ route: `${route.method} ${route.path}`, status: res.status }).toEqual({
        route: `${route.method} ${route.path}`,
        status: 401,
      })
    }
  })
})
