/**
 * 429 failover on ChatGPT-login (Codex) accounts: an account whose backend answers 429 with the
 * Codex usage headers and a `usage_limit_reached` body is passed over for the next account within
 * the same request (streamed or not), the admin accounts API shows its reset time, and once the
 * reset has passed on the relay's clock it takes requests again with no admin action.
 */
import { describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { FakeOpenAI } from '../fakes/fake-openai.ts'
import { chatgptEnv, openaiSuite } from '../helpers/openai-suite.ts'
import type { TestRelay } from '../helpers/relay.ts'

let oa: FakeOpenAI
let r: TestRelay
let key = ''
let now = Date.now()
const ids: Record<string, string> = {}

const client = () => new OpenAI({ baseURL: `${r.url}/openai/v1`, apiKey: key, maxRetries: 0 })

async function chatgptAccount(name: string, priority: number) {
  const res = await r.admin('POST', '/admin/openai-accounts', {
    name,
    priority,
    openaiOauth: { accessToken: `${name}-token`, refreshToken: `rt-${name}`, expires_in: 864_000 },
    accountInfo: { accountId: `acct-${name}` },
  })
  expect(res.status).toBe(200)
  ids[name] = res.json.data.id
}

/** The admin list's entry of an account. */
async function listed(name: string) {
  const list = await r.admin('GET', '/admin/openai-accounts')
  expect(list.status).toBe(200)
  return list.json.data.find((a: { id: string }) => a.id === ids[name])
}

openaiSuite({
  clock: { now: () => now },
  env: chatgptEnv,
  setup: async (s) => {
    ;({ r, oa } = s)
    await chatgptAccount('first', 10)
    await chatgptAccount('second', 20)
    key = (await r.createKey({ permissions: 'openai' })).key
  },
  beforeEach: async () => {
    for (const id of Object.values(ids)) await r.relay.services.accounts.resetState(id)
  },
})

describe('ChatGPT-login accounts: a 429 usage limit fails over and recovers by itself', () => {
  for (const stream of [false, true])
    test(`${stream ? 'streamed' : 'not streamed'}: the next account answers, the first shows its reset and comes back after it`, async () => {
      // The backend's own 429: Codex usage headers (primary window at 100%) and its body.
      oa.script('first-token', { kind: 'error', status: 429 })
      const t0 = now
      let text = ''
      if (stream) {
        const events = await client().responses.create({ model: 'gpt-5', input: 'hi', stream })
        for await (const ev of events)
          if (ev.type === 'response.output_text.delta') text += ev.delta
      } else {
        text = (await client().responses.create({ model: 'gpt-5', input: 'hi' })).output_text
      }
      expect(text).toBe('Hello from the fake OpenAI')
      expect(oa.received.map((x) => x.account)).toEqual(['first-token', 'second-token'])
      const [o] = await r.waitOutcomes(1)
      expect(o!.attempts.map((a) => a.status)).toEqual([429, 200])
      expect(o).toMatchObject({ outcome: 'success', accountId: ids.second, stream })

      // The reset is the body's `resets_in_seconds` (1800 s), shown by the admin API.
      const until = t0 + 1800 * 1000
      const first = await listed('first')
      expect(first.status).toBe('rate_limited')
      expect(Date.parse(first.recoversAt)).toBeGreaterThanOrEqual(until)
      expect(Date.parse(first.recoversAt)).toBeLessThanOrEqual(until + 1000)
      expect(first.state.rateLimitedUntil).toBe(Date.parse(first.recoversAt))
      const usage = await r.admin('GET', '/admin/openai-accounts/usage')
      expect(usage.json.data[ids.first!]).toMatchObject({
        rateLimitedUntil: first.recoversAt,
        codexUsage: { primary: { usedPercent: 100 } },
      })

      // Meanwhile the limited account is not asked at all.
      oa.reset()
      await client().responses.create({ model: 'gpt-5', input: 'again' })
      expect(oa.received.map((x) => x.account)).toEqual(['second-token'])

      // Past the reset, it is scheduled again (its priority first) with no admin action.
      now = until + 1000
      oa.reset()
      await client().responses.create({ model: 'gpt-5', input: 'later' })
      expect(oa.received.map((x) => x.account)).toEqual(['first-token'])
      const back = await listed('first')
      expect(back.status).not.toBe('rate_limited')
      expect(back.recoversAt).toBeNull()
      expect(back.state.rateLimitedUntil).toBeLessThanOrEqual(now)
    })

  test('a 429 with only the Codex headers: the exhausted window gives the reset', async () => {
    // The weekly (secondary) window is spent; the 5-hour one is not.
    oa.script('first-token', {
      kind: 'error',
      status: 429,
      body: { error: { type: 'usage_limit_reached', message: 'The usage limit has been reached' } },
      headers: {
        'x-codex-primary-used-percent': '30',
        'x-codex-primary-reset-after-seconds': '600',
        'x-codex-secondary-used-percent': '100',
        'x-codex-secondary-reset-after-seconds': '86400',
      },
    })
    const t0 = now
    const d = await client().responses.create({ model: 'gpt-5', input: 'hi' })
    expect(d.output_text).toBe('Hello from the fake OpenAI')
    expect(oa.received.map((x) => x.account)).toEqual(['first-token', 'second-token'])
    const first = await listed('first')
    expect(first.status).toBe('rate_limited')
    expect(first.state.rateLimitedUntil).toBeGreaterThanOrEqual(t0 + 86_400_000)
  })

  test('a usage limit reached inside a 200 stream keeps the account out until its window resets', async () => {
    oa.script('first-token', {
      kind: 'streamError',
      afterEvents: 3,
      error: { type: 'usage_limit_reached', message: 'The usage limit has been reached' },
    })
    const t0 = now
    const events = await client().responses.create({ model: 'gpt-5', input: 'hi', stream: true })
    const err = await (async () => {
      for await (const _ of events) {
        // drain until the error event
      }
    })().catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.APIError)
    expect(String(err.message)).toContain('The usage limit has been reached')
    const [o] = await r.waitOutcomes(1)
    expect(o).toMatchObject({ outcome: 'error', errorType: 'usage_limit_reached', status: 200 })
    // The answer's Codex headers: neither window spent, so the earlier reset (primary, 3600 s).
    const first = await listed('first')
    expect(first.status).toBe('rate_limited')
    expect(first.state.rateLimitedUntil).toBe(t0 + 3600 * 1000)
    oa.reset()
    await client().responses.create({ model: 'gpt-5', input: 'again' })
    expect(oa.received.map((x) => x.account)).toEqual(['second-token'])
  })

  test('every account limited: the client gets a 429 with retry-after until the first is free', async () => {
    oa.script('first-token', { kind: 'error', status: 429 })
    oa.script('second-token', { kind: 'error', status: 429 })
    const err = await client()
      .responses.create({ model: 'gpt-5', input: 'hi' })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.RateLimitError)
    expect(oa.received).toHaveLength(2)
    oa.reset()
    const again = await client()
      .responses.create({ model: 'gpt-5', input: 'hi' })
      .catch((e) => e)
    expect(again).toBeInstanceOf(OpenAI.RateLimitError)
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThanOrEqual(1799)
    expect(oa.received).toHaveLength(0)
  })
})
