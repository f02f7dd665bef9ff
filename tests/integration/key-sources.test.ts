/**
 * Where the relay key is read from: `x-api-key`, `x-goog-api-key`, `Authorization: Bearer`,
 * `api-key` and `?key=`, on every client route (a Claude route here; the Gemini routes in
 * gemini-api.test.ts). A key sent as `?key=` never shows in the recorded endpoint or history.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let key: string

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up })
  await r.createConsoleAccount('keys-acct')
  key = (await r.createKey()).key
})
afterAll(async () => {
  await r.stop()
  up.stop()
})

const body = JSON.stringify({
  model: 'claude-sonnet-4-5',
  max_tokens: 10,
  messages: [{ role: 'user', content: 'hi' }],
})

function post(path: string, headers: Record<string, string>) {
  return r.handle(
    new Request(`http://localhost${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }),
  )
}

describe('relay key sources on a Claude route', () => {
  for (const [name, path, headers] of [
    ['x-api-key', '/api/v1/messages', () => ({ 'x-api-key': key })],
    ['x-goog-api-key', '/api/v1/messages', () => ({ 'x-goog-api-key': key })],
    ['Authorization: Bearer', '/api/v1/messages', () => ({ authorization: `Bearer ${key}` })],
    ['api-key', '/api/v1/messages', () => ({ 'api-key': key })],
    ['?key=', '/api/v1/messages?key=KEY', () => ({})],
  ] as const) {
    test(`a key in ${name} is accepted`, async () => {
      const res = await post(path.replace('KEY', key), headers())
      expect(res.status).toBe(200)
      expect(((await res.json()) as { type: string }).type).toBe('message')
    })
  }

  test('a wrong key in ?key= is refused, and no key at all is refused', async () => {
    expect((await post(`/api/v1/messages?key=cr_${'0'.repeat(64)}`, {})).status).toBe(401)
    expect((await post('/api/v1/messages', {})).status).toBe(401)
  })

  test('a key sent as ?key= is in neither the endpoint nor the history record', async () => {
    const before = r.outcomes.length
    const res = await post(`/api/v1/messages?key=${key}`, {})
    expect(res.status).toBe(200)
    const [o] = (await r.waitOutcomes(before + 1)).slice(before)
    expect(o!.endpoint).toBe('/api/v1/messages')
    const id = o!.requestId
    await r.relay.services.history.flush()
    const rec = await r.admin('GET', `/admin/request-history/${id}`)
    expect(rec.status).toBe(200)
    expect(JSON.stringify(rec.json)).not.toContain(key)
  })
})
