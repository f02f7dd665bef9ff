/**
 * The seed's remaining Claude-side client routes through HTTP: health probes, the organization
 * usage stub, legacy completions (with the official `openai` SDK), the public key test (SSE).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let key: string

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true })
  key = (await r.createKey({ tokenLimit: 1000, rateLimitWindow: 60 })).key
})
afterAll(async () => {
  await r.stop()
  up.stop()
})

describe('seed client routes', () => {
  test('/api/health and /claude/health: 503 without a Claude account, 200 with one', async () => {
    for (const path of ['/api/health', '/claude/health']) {
      const res = await fetch(`${r.url}${path}`)
      expect(res.status).toBe(503)
      const body = (await res.json()) as any
      expect(body).toMatchObject({ healthy: false, activeAccounts: 0, totalAccounts: 0 })
    }
    await r.createOAuthAccount('health-acct')
    const res = await fetch(`${r.url}/claude/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      status: 'healthy',
      healthy: true,
      activeAccounts: 1,
      totalAccounts: 1,
      service: 'claude-relay-service',
    })
  })

  test('organization usage stub answers the key balance under every prefix', async () => {
    for (const prefix of ['/api', '', '/claude']) {
      const res = await fetch(`${r.url}${prefix}/v1/organizations/org-1/usage`, {
        headers: { 'x-api-key': key },
      })
      expect(res.status).toBe(200)
      const body = (await res.json()) as any
      expect(body.object).toBe('usage')
      expect(body.data[0]).toMatchObject({ type: 'credit_balance' })
      expect(typeof body.data[0].credit_balance).toBe('number')
    }
    const bad = await fetch(`${r.url}/api/v1/organizations/org-1/usage`, {
      headers: { 'x-api-key': 'cr_nope' },
    })
    expect(bad.status).toBe(401)
  })

  test('legacy completions: prompt becomes a user message, answer as a chat completion', async () => {
    up.reset()
    const client = new OpenAI({ baseURL: `${r.url}/openai/claude/v1`, apiKey: key, maxRetries: 0 })
    const res = (await client.completions.create({
      model: 'claude-sonnet-4-5',
      prompt: 'Say hi',
      max_tokens: 20,
    })) as any
    expect(res.object).toBe('chat.completion')
    expect(res.choices[0].message.content).toContain('Hello from')
    const sent = up.received.at(-1)!
    expect(sent.body.messages).toEqual([{ role: 'user', content: 'Say hi' }])
    // Without a prompt: an OpenAI error envelope.
    const bad = await fetch(`${r.url}/api/v1/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5' }),
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as any).error.message).toContain('prompt')
  })

  test('key test streams progress and ends with test_complete; a bad key ends with an error', async () => {
    for (const path of ['/apiStats/api-key/test', '/apiStats/api/api-key/test']) {
      const res = await fetch(`${r.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiKey: key, model: 'claude-sonnet-4-5' }),
      })
      expect(res.status).toBe(200)
      expect(res.headers.get('content-type')).toContain('text/event-stream')
      const events = (await res.text())
        .split('\n\n')
        .filter((s) => s.startsWith('data: '))
        .map((s) => JSON.parse(s.slice(6)))
      expect(events[0].type).toBe('test_start')
      expect(
        events
          .filter((e) => e.type === 'content')
          .map((e) => e.text)
          .join(''),
      ).toContain('Hello from')
      expect(events.at(-1)).toMatchObject({ type: 'test_complete', success: true })
    }
    const res = await fetch(`${r.url}/apiStats/api-key/test`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiKey: 'cr_wrong' }),
    })
    const text = await res.text()
    expect(text).toContain('"type":"error"')
    expect(text).not.toContain('test_complete')
  })
})
