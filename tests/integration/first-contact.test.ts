/**
 * What a new user meets first, with the official SDK as the client: a Console account created with
 * a model mapping keeps it, `models.retrieve` works, and when every account is rate-limited by the
 * upstream the client gets a 429 with the wait until the first one is free (not a 529 every 30 s),
 * while the account list shows that state instead of `active`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
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

const sdk = (key: string) => new Anthropic({ baseURL: `${r.url}/api`, apiKey: key, maxRetries: 0 })
const ask = (key: string, model = 'claude-sonnet-4-5') =>
  fetch(`${r.url}/api/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({ model, max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }),
  })

describe('a Console account created with a model mapping', () => {
  test('keeps the mapping and relays the mapped name upstream', async () => {
    const mapping = { 'claude-sonnet-4-5': 'gateway-sonnet', 'claude-haiku-4-5': 'gateway-haiku' }
    const id = await r.createConsoleAccount('mapped', { supportedModels: mapping })
    try {
      const view = await r.admin('GET', `/admin/claude-console-accounts/${id}`)
      expect(view.json.data.supportedModels).toEqual(mapping)
      const key = await r.createKey({ claudeConsoleAccountId: id })
      const msg = await sdk(key.key).messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'hi' }],
      })
      expect(msg.type).toBe('message')
      expect(up.received.at(-1)?.body.model).toBe('gateway-sonnet')
      // A model outside the mapping is not served by this account.
      expect((await ask(key.key, 'claude-opus-4-1')).status).toBe(503)
    } finally {
      await r.admin('DELETE', `/admin/claude-console-accounts/${id}`)
    }
  })

  test('an array of models stays an array', async () => {
    const id = await r.createConsoleAccount('listed-models', {
      supportedModels: ['claude-sonnet-4-5'],
    })
    const view = await r.admin('GET', `/admin/claude-console-accounts/${id}`)
    expect(view.json.data.supportedModels).toEqual(['claude-sonnet-4-5'])
    await r.admin('DELETE', `/admin/claude-console-accounts/${id}`)
  })
})

describe('models.retrieve', () => {
  test('answers one model by id or alias, 404 for an unknown one', async () => {
    const key = await r.createKey()
    const client = sdk(key.key)
    const m = await client.models.retrieve('claude-sonnet-4-5-20250929')
    expect(m).toMatchObject({ type: 'model', id: 'claude-sonnet-4-5-20250929' })
    expect(m.display_name).toBe('Claude Sonnet 4.5')
    const alias = await client.models.retrieve('claude-sonnet-4-5')
    expect(alias.id).toBe('claude-sonnet-4-5-20250929')
    const err = await client.models.retrieve('claude-nope-1').catch((e) => e)
    expect(err).toBeInstanceOf(Anthropic.NotFoundError)
    expect(err.error?.error?.type).toBe('not_found_error')
  })

  test("a model the key may not use is not found, as in the key's list", async () => {
    const key = await r.createKey({
      enableModelRestriction: true,
      restrictedModels: ['claude-opus-4-1-20250805'],
    })
    const res = await fetch(`${r.url}/api/v1/models/claude-opus-4-1-20250805`, {
      headers: { 'x-api-key': key.key },
    })
    expect(res.status).toBe(404)
    const list = (await (
      await fetch(`${r.url}/api/v1/models`, { headers: { 'x-api-key': key.key } })
    ).json()) as { data: { id: string }[] }
    expect(list.data.map((m) => m.id)).not.toContain('claude-opus-4-1-20250805')
  })
})

describe('every account rate-limited', () => {
  test('answers 429 with retry-after until the first account is free; the list shows it', async () => {
    const group = (
      await r.admin('POST', '/admin/account-groups', { name: 'rl', platform: 'claude' })
    ).json.data.id as string
    const a = await r.createConsoleAccount('rl-a', { groupIds: [group] })
    const b = await r.createConsoleAccount('rl-b', { groupIds: [group] })
    const key = await r.createKey({ claudeConsoleAccountId: `group:${group}` })
    try {
      const resetA = Math.floor(Date.now() / 1000) + 3600
      up.script('rl-a', {
        kind: 'error',
        status: 429,
        headers: { 'anthropic-ratelimit-unified-reset': String(resetA) },
        body: { type: 'error', error: { type: 'rate_limit_error', message: 'limited' } },
      })
      up.script('rl-b', {
        kind: 'error',
        status: 429,
        headers: { 'retry-after': '600' },
        body: { type: 'error', error: { type: 'rate_limit_error', message: 'limited' } },
      })
      // The first request meets both limits upstream (and passes the last 429 on).
      const first = await ask(key.key)
      expect(first.status).toBe(429)
      await first.text()
      expect(up.received.length).toBe(2)

      // Now nothing is sent upstream: a 429 that says how long to wait (the earlier reset, b's).
      const second = await ask(key.key)
      expect(second.status).toBe(429)
      const wait = Number(second.headers.get('retry-after'))
      expect(wait).toBeGreaterThan(590)
      expect(wait).toBeLessThanOrEqual(600)
      const body = (await second.json()) as any
      expect(body.error.type).toBe('rate_limit_error')
      expect(body.error.message).toContain('rate-limited')
      expect(up.received.length).toBe(2)
      const err = await sdk(key.key)
        .messages.create({
          model: 'claude-sonnet-4-5',
          max_tokens: 8,
          messages: [{ role: 'user', content: 'hi' }],
        })
        .catch((e) => e)
      expect(err).toBeInstanceOf(Anthropic.RateLimitError)

      // The list shows where each account stands now.
      const list = (await r.admin('GET', '/admin/claude-console-accounts')).json.data as any[]
      const va = list.find((x) => x.id === a)
      expect(va.status).toBe('rate_limited')
      expect(va.statusDetail).toBe(`rate-limited until ${new Date(resetA * 1000).toISOString()}`)
      expect(va.state.status).toBe('active')
      expect(list.find((x) => x.id === b).status).toBe('rate_limited')

      // One account back: requests go through again.
      await r.relay.services.accounts.resetState(b)
      up.script('rl-b', { kind: 'ok' })
      expect((await ask(key.key)).status).toBe(200)
      const after = (await r.admin('GET', '/admin/claude-console-accounts')).json.data as any[]
      expect(after.find((x) => x.id === b)).toMatchObject({ status: 'active', statusDetail: null })
    } finally {
      await r.admin('DELETE', `/admin/claude-console-accounts/${a}`)
      await r.admin('DELETE', `/admin/claude-console-accounts/${b}`)
    }
  })

  test('an overloaded account still gives 529 overloaded_error', async () => {
    const a = await r.createConsoleAccount('ov-a')
    const key = await r.createKey({ claudeConsoleAccountId: a })
    try {
      up.script('ov-a', { kind: 'error', status: 529 })
      await (await ask(key.key)).text()
      const res = await ask(key.key)
      expect(res.status).toBe(529)
      expect(((await res.json()) as any).error.type).toBe('overloaded_error')
      const list = (await r.admin('GET', '/admin/claude-console-accounts')).json.data as any[]
      expect(list.find((x) => x.id === a)).toMatchObject({ status: 'overloaded' })
    } finally {
      await r.admin('DELETE', `/admin/claude-console-accounts/${a}`)
    }
  })
})
