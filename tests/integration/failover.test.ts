/**
 * Failover and account health: a failing account moves the request to the next one before any
 * byte reaches the client, and time-based health brings the account back by itself.
 */

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { freePort } from '../helpers/net.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let offset = 0
const clock = { now: () => Date.now() + offset }

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true, clock })
})
afterAll(async () => {
  await r.stop()
  up.stop()
})
beforeEach(async () => {
  up.reset()
  offset = 0
  for (const a of await r.relay.services.accounts.list())
    await r.relay.services.accounts.remove(a.id)
})

const ask = {
  model: 'claude-sonnet-4-6',
  max_tokens: 64,
  messages: [{ role: 'user' as const, content: 'Hi' }],
}
const sdk = (key: string) => new Anthropic({ baseURL: `${r.url}/api`, apiKey: key, maxRetries: 0 })
const accountsSeen = () =>
  up.received.filter((x) => x.path === '/v1/messages').map((x) => x.account)

async function twoAccounts() {
  await r.createConsoleAccount('first', { priority: 1 })
  await r.createConsoleAccount('second', { priority: 2 })
  return (await r.createKey()).key
}

describe('failover', () => {
  const cases: [string, Parameters<FakeUpstream['script']>[1], number | null][] = [
    [
      '429 with a reset header',
      { kind: 'error', status: 429, headers: { 'retry-after': '30' } },
      30_000,
    ],
    ['529 overloaded', { kind: 'error', status: 529 }, 5 * 60_000],
    ['500 server error', { kind: 'error', status: 500 }, null],
    ['401 revoked', { kind: 'error', status: 401 }, -1],
  ]
  for (const [name, script, skipMs] of cases) {
    test(`${name}: the request succeeds on the second account`, async () => {
      const key = await twoAccounts()
      up.script('first', script, { kind: 'ok' })
      for (const stream of [false, true]) {
        up.reset()
        up.script('first', script)
        const msg = stream
          ? await sdk(key).messages.stream(ask).finalMessage()
          : await sdk(key).messages.create(ask)
        expect((msg.content[0] as { text: string }).text).toContain('second')
        if (skipMs === null) expect(accountsSeen()).toEqual(['first', 'second'])
        else if (stream) expect(accountsSeen()).toEqual(['second'])
      }
      await r.settle()
      const last = r.outcomes.at(-1)!
      expect(last.outcome).toBe('success')
      if (skipMs && skipMs > 0) {
        // Skipped while the state lasts, used again once it has passed.
        up.reset()
        await sdk(key).messages.create(ask)
        expect(accountsSeen()).toEqual(['second'])
        offset = skipMs + 1000
        up.reset()
        up.script('first', { kind: 'ok' })
        // A new conversation (the old one is pinned to "second" by its sticky session).
        const again = await sdk(key).messages.create({
          ...ask,
          messages: [{ role: 'user', content: 'new topic' }],
        })
        expect((again.content[0] as { text: string }).text).toContain('first')
      }
      if (skipMs === -1) {
        const first = (await r.relay.services.accounts.list()).find((a) => a.name === 'first')!
        expect((await r.relay.services.accounts.getState(first.id)).status).toBe('unauthorized')
      }
    })
  }

  test('a refused connection moves to the next account', async () => {
    const dead = await freePort()
    await r.createConsoleAccount('dead', { priority: 1, apiUrl: `http://127.0.0.1:${dead}` })
    await r.createConsoleAccount('alive', { priority: 2 })
    const { key } = await r.createKey()
    const msg = await sdk(key).messages.create(ask)
    expect((msg.content[0] as { text: string }).text).toContain('alive')
    await r.settle()
    const out = r.outcomes.at(-1)!
    expect(out.attempts.map((a) => a.accountName)).toEqual(['dead', 'alive'])
    expect(out.attempts[0]!.status).toBe(0)
  })

  test('when every account fails the client gets the last upstream error with its status', async () => {
    const key = await twoAccounts()
    up.script('*', { kind: 'error', status: 529 })
    const res = await fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: JSON.stringify(ask),
    })
    expect(res.status).toBe(529)
    const body = (await res.json()) as any
    expect(body).toMatchObject({
      type: 'error',
      error: { type: 'overloaded_error' },
      request_id: res.headers.get('request-id'),
    })
    const again = await fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: JSON.stringify(ask),
    })
    expect(again.status).toBe(529)
    expect(((await again.json()) as any).error.message).toContain('No account is available')
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0)
  })

  test('a client error (400) is passed through without trying other accounts', async () => {
    const key = await twoAccounts()
    up.script('first', {
      kind: 'error',
      status: 400,
      body: {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'max_tokens: too large' },
      },
    })
    const res = await fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: JSON.stringify(ask),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as any).error.message).toBe('max_tokens: too large')
    expect(accountsSeen()).toEqual(['first'])
  })
})

describe('sticky sessions', () => {
  test('one conversation stays on one account and moves when its account dies', async () => {
    await r.createConsoleAccount('s1')
    await r.createConsoleAccount('s2')
    const { key } = await r.createKey()
    const session = 'user_abc_account__session_0b1c2d3e-4f50-4617-8899-aabbccddeeff'
    const withSession = { ...ask, metadata: { user_id: session } }
    for (let i = 0; i < 4; i++) await sdk(key).messages.create(withSession)
    const seen = accountsSeen()
    expect(new Set(seen).size).toBe(1)
    // Without a session the pool alternates (least recently used first).
    up.reset()
    for (let i = 0; i < 2; i++)
      await sdk(key).messages.create({
        ...ask,
        messages: [{ role: 'user', content: `other ${i}` }],
      })
    expect(new Set(accountsSeen()).size).toBe(2)
    // Kill the pinned account: the session moves and stays on the other one.
    up.reset()
    up.script(seen[0]!, { kind: 'error', status: 529 })
    for (let i = 0; i < 3; i++) await sdk(key).messages.create(withSession)
    const moved = accountsSeen().filter((a) => a !== seen[0])
    expect(new Set(moved).size).toBe(1)
    expect(accountsSeen().filter((a) => a === seen[0]).length).toBe(1)
  })
})
