/**
 * The relay end to end: the official Anthropic SDK as the client, the relay on a real socket,
 * the fake upstream on another.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { FAKE_USAGE, type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true })
})
afterAll(async () => {
  await r.stop()
  up.stop()
})
beforeEach(() => up.reset())

const ask = {
  model: 'claude-sonnet-4-6',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Hi' }],
}
const sdk = (key: string) => new Anthropic({ baseURL: `${r.url}/api`, apiKey: key, maxRetries: 0 })
const direct = (account: string) =>
  new Anthropic({ baseURL: up.url, apiKey: account, maxRetries: 0 })

async function clean() {
  for (const a of await r.relay.services.accounts.list())
    await r.relay.services.accounts.remove(a.id)
}

describe('relay with the official SDK', () => {
  test('non-streaming: same text, tool use and usage as going direct', async () => {
    await clean()
    await r.createConsoleAccount('acc-a')
    const { key } = await r.createKey()
    const viaRelay = await sdk(key).messages.create({
      ...ask,
      tools: [{ name: 'get_weather', input_schema: { type: 'object' } }],
    })
    up.script('*', { kind: 'ok', toolUse: true })
    const a = await sdk(key).messages.create(ask)
    const b = await direct('acc-a').messages.create(ask)
    expect(a.content).toEqual(b.content)
    expect(a.usage).toEqual(b.usage)
    expect(a.content.some((c) => c.type === 'tool_use')).toBe(true)
    expect(viaRelay.content[0]).toMatchObject({
      type: 'text',
      text: 'Hello from acc-a: 你好，世界 🌍',
    })
    // The client's relay key never reaches upstream; the account's credential does.
    const seen = up.received.find((x) => x.account === 'acc-a')!
    expect(JSON.stringify(seen.headers)).not.toContain(key)
    expect(seen.headers['accept-encoding']).toBe('identity')
  })

  test('streaming: same text, tool use and usage as going direct, and the request id header', async () => {
    await clean()
    await r.createConsoleAccount('acc-s')
    const { key } = await r.createKey()
    up.script('*', { kind: 'ok', toolUse: true })
    const s1 = sdk(key).messages.stream(ask)
    const m1 = await s1.finalMessage()
    const s2 = direct('acc-s').messages.stream(ask)
    const m2 = await s2.finalMessage()
    expect(m1.content).toEqual(m2.content)
    expect(m1.usage).toEqual(m2.usage)
    expect(m1.usage.output_tokens).toBe(FAKE_USAGE.output_tokens)
    const out = (await r.waitOutcomes(r.outcomes.length)).at(-1)!
    expect(out).toMatchObject({ outcome: 'success', stream: true, status: 200 })
    expect(out.usage).toEqual({
      inputTokens: 25,
      outputTokens: 12,
      cacheCreate5mTokens: 10,
      cacheCreate1hTokens: 20,
      cacheReadTokens: 40,
    })
  })

  test('headers: whitelisted ones go upstream, credentials and others do not; the answer carries both request ids', async () => {
    await clean()
    await r.createConsoleAccount('acc-h')
    const { key } = await r.createKey()
    for (const stream of [false, true]) {
      up.reset()
      const res = await fetch(`${r.url}/api/v1/messages`, {
        method: 'POST',
        headers: {
          'x-api-key': key,
          'content-type': 'application/json',
          'anthropic-beta': 'tools-2024-04-04',
          'x-stainless-lang': 'js',
          cookie: 'session=secret-cookie',
          'x-custom-header': 'not-forwarded',
          'user-agent': 'my-client/1.0',
        },
        body: JSON.stringify({ ...ask, stream }),
      })
      expect(res.status).toBe(200)
      await res.text()
      expect(res.headers.get('request-id')).toMatch(/^req_[-0-9A-Za-z_]{20}$/)
      expect(res.headers.get('upstream-request-id')).toBe(
        stream ? 'req_upstream_s' : 'req_upstream_1',
      )
      expect(res.headers.get('x-relay-overhead-ms')).toMatch(/^\d+\.\d{3}$/)
      expect(res.headers.get('server-timing')).toMatch(/^relay;dur=\d+\.\d{3}$/)
      expect(res.headers.get('content-type')).toContain(stream ? 'text/event-stream' : 'json')
      if (stream) expect(res.headers.get('cache-control')).toBe('no-cache')
      const seen = up.received.find((x) => x.account === 'acc-h')!.headers
      expect(seen['anthropic-beta']).toBe('tools-2024-04-04')
      expect(seen['x-stainless-lang']).toBe('js')
      expect(seen['anthropic-version']).toBe(r.relay.config.CLAUDE_API_VERSION)
      expect(seen['user-agent']).toBe('my-client/1.0')
      expect(seen.authorization).toBe('Bearer acc-h')
      expect(seen.cookie).toBeUndefined()
      expect(seen['x-custom-header']).toBeUndefined()
      expect(JSON.stringify(seen)).not.toContain(key)
    }
  })

  test('count_tokens, models and me answer for a key', async () => {
    await clean()
    await r.createConsoleAccount('acc-c')
    const { key } = await r.createKey()
    const c = await sdk(key).messages.countTokens({
      model: 'claude-sonnet-4-6',
      messages: ask.messages,
    })
    expect(c.input_tokens).toBe(42)
    expect(up.received.at(-1)?.path).toBe('/v1/messages/count_tokens')
    const models = await sdk(key).models.list()
    expect(models.data.length).toBeGreaterThan(3)
    const me = await fetch(`${r.url}/api/v1/me`, { headers: { 'x-api-key': key } })
    expect(((await me.json()) as any).type).toBe('user')
  })
})

describe('client errors', () => {
  test('wrong, disabled and expired keys get 401 authentication_error', async () => {
    const { id, key } = await r.createKey()
    const { id: expiredId, key: expired } = await r.createKey()
    await r.admin('PUT', `/admin/api-keys/${expiredId}`, {
      expiresAt: new Date(Date.now() - 1000).toISOString(),
    })
    await r.admin('PUT', `/admin/api-keys/${id}`, { isActive: false })
    for (const [k, reason] of [
      [`cr_${'0'.repeat(64)}`, 'not found'],
      ['sk-not-ours', 'format'],
      [key, 'disabled'],
      [expired, 'expired'],
    ] as const) {
      const res = await fetch(`${r.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': k, 'content-type': 'application/json' },
        body: JSON.stringify(ask),
      })
      expect(res.status).toBe(401)
      const body = (await res.json()) as any
      expect(body.type).toBe('error')
      expect(body.error.type).toBe('authentication_error')
      expect(body.error.message.toLowerCase()).toContain(reason)
      expect(body.request_id).toBe(res.headers.get('request-id'))
    }
    const missing = await fetch(`${r.url}/api/v1/messages`, { method: 'POST', body: '{}' })
    expect(missing.status).toBe(401)
  })

  test('malformed JSON, empty messages and a missing model get 400 invalid_request_error', async () => {
    const { key } = await r.createKey()
    for (const body of [
      '{"model":',
      JSON.stringify({ ...ask, messages: [] }),
      JSON.stringify({ messages: ask.messages }),
      '[]',
    ]) {
      const res = await fetch(`${r.url}/v1/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}` },
        body,
      })
      expect(res.status).toBe(400)
      expect(((await res.json()) as any).error.type).toBe('invalid_request_error')
    }
    expect(up.received.length).toBe(0)
  })

  test('a model the key may not use gets 403 permission_error', async () => {
    const { key } = await r.createKey({
      enableModelRestriction: true,
      restrictedModels: ['claude-sonnet-4-6'],
    })
    const res = await fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: JSON.stringify(ask),
    })
    expect(res.status).toBe(403)
    expect(((await res.json()) as any).error.type).toBe('permission_error')
  })
})

describe('request ids on client routes', () => {
  // The relay routes set `request-id` themselves (not through the global hook); every kind of
  // answer must still carry one, and each must be a fresh id.
  test('success, rejection, upstream error and unknown-route answers all carry a request id', async () => {
    await clean()
    await r.createConsoleAccount('acc-ids')
    const { key } = await r.createKey({ rateLimitWindow: 1, rateLimitRequests: 4 })
    const post = (path: string, body: string, apiKey = key) =>
      fetch(`${r.url}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
        body,
      })
    const valid = (extra: Record<string, unknown> = {}) => JSON.stringify({ ...ask, ...extra })
    const answers: [string, Response][] = [
      ['stream', await post('/api/v1/messages', valid({ stream: true }))],
      ['json', await post('/api/v1/messages', valid())],
      ['count_tokens', await post('/api/v1/messages/count_tokens', valid())],
      ['bad key', await post('/api/v1/messages', valid(), `cr_${'0'.repeat(64)}`)],
      ['bad json', await post('/api/v1/messages', '{"model":')],
    ]
    up.script('acc-ids', { kind: 'error', status: 400 })
    answers.push(['upstream 400', await post('/api/v1/messages', valid())])
    answers.push(['rate limited', await post('/api/v1/messages', valid())])
    answers.push(['unknown route', await post('/api/v1/nothing/messages', valid())])
    const ids = new Set<string>()
    for (const [what, res] of answers) {
      const id = res.headers.get('request-id')
      expect({ what, id }).toEqual({ what, id: expect.stringMatching(/^req_/) })
      ids.add(id!)
      await res.arrayBuffer()
    }
    expect(ids.size).toBe(answers.length)
    expect(answers.map(([w, res]) => [w, res.status])).toEqual([
      ['stream', 200],
      ['json', 200],
      ['count_tokens', 200],
      ['bad key', 401],
      ['bad json', 400],
      ['upstream 400', 400],
      ['rate limited', 429],
      ['unknown route', 404],
    ])
  })
})
