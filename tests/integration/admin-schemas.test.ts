/**
 * Schemas at the admin API's edge: a bad body or query of each route family is refused with a
 * 400 in the admin error shape that names the field (never the validator's dump of schema and
 * value), fields the schema lets through still meet the service's own rules, and `/openapi/json`
 * describes the bodies, queries and answers.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up })
})
afterAll(async () => {
  await r.stop()
  up.stop()
})

/** Sends a request that must be refused, and returns the error message. */
async function refused(method: string, path: string, body?: unknown): Promise<string> {
  const res = await r.admin(method, path, body)
  expect(res.status).toBe(400)
  expect(Object.keys(res.json).sort()).toEqual(['error', 'request_id', 'type'])
  expect(res.json.type).toBe('error')
  expect(Object.keys(res.json.error).sort()).toEqual(['message', 'type'])
  expect(res.json.error.type).toBe('invalid_request_error')
  const message: string = res.json.error.message
  // One sentence, not a dump of the schema or the value.
  expect(message.length).toBeLessThan(200)
  expect(message).not.toMatch(/"type"|"summary"|"expected"|"found"|"schema"/)
  return message
}

describe('keys', () => {
  test('bad bodies and queries name their field', async () => {
    expect(await refused('POST', '/admin/api-keys', { name: 5 })).toMatch(/\/name: /)
    expect(await refused('POST', '/admin/api-keys', { description: 'no name' })).toMatch(/name/)
    expect(await refused('POST', '/admin/api-keys', { name: 'k', tags: 'a' })).toMatch(/\/tags/)
    expect(await refused('POST', '/admin/api-keys', { name: 'k', concurrencyLimit: 1.5 })).toMatch(
      /\/concurrencyLimit: /,
    )
    expect(await refused('POST', '/admin/api-keys/batch', { baseName: 'b', count: 0 })).toMatch(
      /\/count: /,
    )
    expect(await refused('PUT', '/admin/api-keys/batch', { keyIds: [] })).toMatch(/\/keyIds: /)
    expect(await refused('DELETE', '/admin/api-keys/batch', { keyIds: 'x' })).toMatch(/\/keyIds/)
    expect(await refused('PATCH', '/admin/api-keys/x/expiration', { expiresAt: 5 })).toMatch(
      /\/expiresAt/,
    )
    expect(await refused('GET', '/admin/api-keys?pageSize=0')).toBe('pageSize: expected 1 to 500')
    expect(await refused('GET', '/admin/api-keys?page=x')).toBe('page: expected a positive integer')
    expect(await refused('GET', '/admin/api-keys?sortBy=colour')).toMatch(
      /^sortBy: expected one of/,
    )
  })

  test('a field the schema lets through still meets the key rules, by name', async () => {
    expect(await refused('POST', '/admin/api-keys', { name: 'k', hash: 'x' })).toMatch(
      /^Invalid API key field hash: it cannot be set/,
    )
    expect(await refused('POST', '/admin/api-keys', { name: 'k', bogus: 1 })).toMatch(
      /^Invalid API key field bogus/,
    )
  })

  test('an edit without a body changes nothing; with one, what it names', async () => {
    const made = await r.admin('POST', '/admin/api-keys', { name: 'edit-me', tags: ['a'] })
    expect(made.status).toBe(200)
    const id = made.json.data.id
    const empty = await r.handle(
      new Request(`http://localhost/admin/api-keys/${id}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${await r.adminToken()}` },
      }),
    )
    expect(empty.status).toBe(200)
    const edited = await r.admin('PUT', `/admin/api-keys/${id}`, { description: 'd' })
    // No defaults from the schema: the tags stay.
    expect(edited.json.data).toMatchObject({ name: 'edit-me', description: 'd', tags: ['a'] })
  })
})

describe('accounts', () => {
  test('bad bodies name their field', async () => {
    const path = '/admin/claude-console-accounts'
    const base = { name: 'c', apiUrl: 'http://127.0.0.1:9/', apiKey: 'sk-x' }
    expect(await refused('POST', path, { ...base, priority: {} })).toMatch(/^priority: /)
    expect(await refused('POST', path, { ...base, groupIds: 'g' })).toMatch(/^groupIds: /)
    expect(await refused('POST', path, { ...base, proxy: '{' })).toMatch(/^proxy: /)
    // Checked as sent: Elysia's normalizer alone would read 5 as {} for an object field.
    expect(await refused('POST', path, { ...base, proxy: 5 })).toMatch(/^proxy: /)
    expect(await refused('POST', path, { ...base, accountType: 'mine' })).toMatch(/^accountType: /)
    expect(await refused('POST', path, { ...base, supportedModels: 5 })).toMatch(
      /^supportedModels: /,
    )
    expect(await refused('POST', path, { ...base, apiKey: 7 })).toMatch(/\/apiKey: /)
    expect(await refused('POST', '/admin/claude-accounts', { scopes: 'user:inference' })).toMatch(
      /\/scopes/,
    )
    expect(await refused('POST', '/admin/claude-accounts', { claudeAiOauth: 'x' })).toMatch(
      /^claudeAiOauth: /,
    )
    expect(await refused('POST', '/admin/claude-accounts/generate-auth-url', { proxy: 1 })).toMatch(
      /^proxy: /,
    )
    expect(
      await refused('POST', '/admin/claude-accounts/exchange-code', { createAccount: 'yes' }),
    ).toMatch(/\/createAccount: /)
  })

  test('the seed UI forms still work: numbers as strings, nulls, a proxy as JSON, groupId', async () => {
    const group = await r.admin('POST', '/admin/account-groups', { name: 'g1', platform: 'claude' })
    const res = await r.admin('POST', '/admin/claude-console-accounts', {
      name: 'seed-form',
      apiUrl: 'http://127.0.0.1:9/',
      apiKey: 'sk-x',
      priority: '7',
      groupId: group.json.data.id,
      proxy: JSON.stringify({ type: 'socks5', host: '127.0.0.1', port: 1080 }),
      description: null,
      maxConcurrentTasks: null,
      somethingElse: 'ignored',
    })
    expect(res.status).toBe(200)
    expect(res.json.data).toMatchObject({
      priority: 7,
      groupIds: [group.json.data.id],
      proxy: { type: 'socks5', host: '127.0.0.1', port: 1080, hasPassword: false },
    })
    expect(res.json.data.apiKey).toBeUndefined()
    expect(res.json.data.secret).toBeUndefined()
  })
})

describe('groups', () => {
  test('bad bodies name their field; the list counts members and bound keys', async () => {
    expect(await refused('POST', '/admin/account-groups', { name: 5 })).toMatch(/^name: /)
    const g = await r.admin('POST', '/admin/account-groups', { name: 'g2', platform: 'claude' })
    expect(g.status).toBe(200)
    const members = `/admin/account-groups/${g.json.data.id}/members`
    expect(await refused('PUT', members, { accountIds: 'a' })).toBe(
      'Invalid body: accountIds must be an array of account ids',
    )
    expect(await refused('PUT', members, {})).toBe(
      'Invalid body: accountIds must be an array of account ids',
    )
    const list = await r.admin('GET', '/admin/account-groups?platform=claude')
    expect(list.json.data.find((x: any) => x.id === g.json.data.id)).toMatchObject({
      name: 'g2',
      memberCount: 0,
      boundKeys: 0,
    })
  })
})

describe('OpenAPI', () => {
  test('admin bodies, queries and answers are described', async () => {
    const spec = (await (
      await r.handle(new Request('http://localhost/openapi/json'))
    ).json()) as any
    const body = (p: string, m: string) =>
      spec.paths[p][m].requestBody.content['application/json'].schema
    const answer = (p: string, m: string) =>
      spec.paths[p][m].responses['200'].content['application/json'].schema
    expect(body('/admin/api-keys', 'post').properties).toHaveProperty('dailyCostLimit')
    expect(answer('/admin/api-keys', 'get').properties.data.properties).toHaveProperty('items')
    const params = spec.paths['/admin/api-keys'].get.parameters.map((p: any) => p.name)
    expect(params).toEqual(expect.arrayContaining(['page', 'pageSize', 'sortBy', 'search']))
    for (const kind of ['/admin/claude-accounts', '/admin/claude-console-accounts']) {
      expect(body(kind, 'post').properties).toHaveProperty('proxy')
      const view = answer(`${kind}/{id}`, 'get').properties.data
      expect(view.properties).toHaveProperty('boundKeys')
      expect(view.properties).not.toHaveProperty('secret')
    }
    expect(body('/admin/claude-console-accounts', 'post').properties).toHaveProperty('apiUrl')
    expect(body('/admin/claude-accounts', 'post').properties).toHaveProperty('claudeAiOauth')
  })

  test('history and key-holder answers are described, in the seed shape where the seed had them', async () => {
    const spec = (await (
      await r.handle(new Request('http://localhost/openapi/json'))
    ).json()) as any
    const answer = (p: string, m: string, status = '200') =>
      spec.paths[p][m].responses[status].content['application/json'].schema
    const seedList = answer('/api/v1/request-history', 'get')
    expect(seedList.properties.pagination.required).toEqual(
      expect.arrayContaining(['limit', 'offset', 'hasMore']),
    )
    const item = seedList.properties.history.items
    expect(item.required).toEqual(
      expect.arrayContaining(['requestId', 'timestamp', 'status', 'duration', 'totalTokens']),
    )
    expect(item.properties.status.enum).toEqual(['success', 'error'])
    const query = spec.paths['/api/v1/request-history'].get.parameters.map((p: any) => p.name)
    expect(query).toEqual(expect.arrayContaining(['date', 'limit', 'offset']))
    const record = answer('/api/v1/request-history/{requestId}', 'get').properties.request
    expect(record.properties).toHaveProperty('requestBody')
    expect(record.properties.statusCode.type).toBe('integer')
    expect(answer('/api/v1/request-history/{requestId}', 'get', '404').required).toEqual([
      'error',
      'message',
    ])
    const stats = answer('/api/v1/request-stats', 'get').properties.stats
    expect(stats.properties.statusStats.required).toEqual(['success', 'error'])
    expect(stats.properties).toHaveProperty('modelStats')
    expect(answer('/admin/request-history', 'get').properties.data.properties).toHaveProperty(
      'filters',
    )
    expect(
      answer('/admin/request-stats', 'get').properties.data.properties.stats.properties,
    ).toHaveProperty('series')
    expect(answer('/admin/request-history/{id}', 'get').properties.data.properties).toHaveProperty(
      'attempts',
    )
    expect(answer('/api/v1/key-info', 'get').properties.keyInfo.properties).toHaveProperty('usage')
    expect(answer('/api/v1/usage', 'get').properties.limits.properties).toHaveProperty(
      'currentWindowCost',
    )
    const userStats = answer('/apiStats/api/user-stats', 'post').properties.data
    expect(userStats.properties).toHaveProperty('restrictions')
    const batch = answer('/apiStats/api/batch-stats', 'post').properties.data
    expect(batch.properties.individual.items.properties).toHaveProperty('share')
    expect(answer('/apiStats/api/batch-model-stats', 'post').properties).toHaveProperty('period')
  })
})
