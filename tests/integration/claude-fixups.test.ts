/**
 * Request fix-ups on Claude OAuth accounts, driven through HTTP with the official Anthropic SDK:
 * each rule changes what the fake upstream receives, history keeps the body sent next to the
 * client's, and a request no rule touches goes upstream byte for byte.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import { CLAUDE_CODE_SYSTEM } from '../../src/platforms/claude/protocol.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let key: string
let client: Anthropic

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true })
  await r.createOAuthAccount('fix-acct')
  key = (await r.createKey()).key
  client = new Anthropic({ baseURL: `${r.url}/api`, apiKey: key, maxRetries: 0 })
})
afterAll(async () => {
  await r.stop()
  up.stop()
})
beforeEach(() => up.reset())

const cached = (text: string, ttl?: '1h') => ({
  type: 'text' as const,
  text,
  cache_control: ttl ? { type: 'ephemeral' as const, ttl } : { type: 'ephemeral' as const },
})

/** A Messages request over HTTP (for bodies the SDK's types or checks do not take). */
async function send(body: Record<string, unknown>) {
  const res = await fetch(`${r.url}/api/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  expect(res.status).toBe(200)
  await res.text()
  return res
}

async function recordOf(requestId: string) {
  await r.waitOutcomes(r.outcomes.length)
  await r.relay.services.history.flush()
  const res = await r.admin('GET', `/admin/request-history/${requestId}`)
  expect(res.status).toBe(200)
  return res.json.data
}

describe('OAuth request fix-ups', () => {
  test('max_tokens is clamped to the model maximum', async () => {
    // (The SDK refuses a non-streamed request this large; the relay must still fix it up.)
    const response = await send({
      model: 'claude-opus-4-1-20250805',
      max_tokens: 100_000,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(up.received.at(-1)!.body.max_tokens).toBe(32_000)
    const rec = await recordOf(response.headers.get('request-id')!)
    expect(rec.attempts[0].fixups).toEqual(['max_tokens'])
    expect(JSON.parse(rec.attempts[0].upstreamBody).max_tokens).toBe(32_000)
    // The client's body is kept as sent.
    const sentByClient =
      typeof rec.requestBody === 'string' ? JSON.parse(rec.requestBody) : rec.requestBody
    expect(sentByClient.max_tokens).toBe(100_000)
  })

  test('cache_control: ttl removed, at most 4 markers (oldest dropped, blocks kept)', async () => {
    await client.messages.create({
      model: 'claude-opus-4-5',
      max_tokens: 100,
      system: [cached('sys one', '1h')],
      messages: [
        { role: 'user', content: [cached('m1'), cached('m2')] },
        { role: 'assistant', content: [cached('m3')] },
        { role: 'user', content: [cached('m4', '1h')] },
      ],
    })
    const body = up.received.at(-1)!.body as any
    const marks: string[] = []
    for (const b of body.system) if (b.cache_control) marks.push(b.text)
    for (const m of body.messages)
      for (const b of m.content) if (b.cache_control) marks.push(b.text)
    // Claude Code's block + the client's system + 5 message blocks = 7 markers: 3 oldest go.
    expect(marks).toEqual([CLAUDE_CODE_SYSTEM, 'sys one', 'm3', 'm4'])
    expect(JSON.stringify(body)).not.toContain('"ttl"')
    expect(body.messages[0].content.map((b: any) => b.text)).toEqual(['m1', 'm2'])
  })

  test('top_p is dropped beside temperature on models that refuse both only', async () => {
    await send({
      model: 'claude-opus-4-5',
      max_tokens: 10,
      temperature: 0.5,
      top_p: 0.9,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(up.received.at(-1)!.body).toMatchObject({ temperature: 0.5 })
    expect(up.received.at(-1)!.body.top_p).toBeUndefined()
    await send({
      model: 'claude-3-7-sonnet-20250219',
      max_tokens: 10,
      temperature: 0.5,
      top_p: 0.9,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(up.received.at(-1)!.body).toMatchObject({ temperature: 0.5, top_p: 0.9 })
  })

  test('an account that keeps ttl keeps it', async () => {
    const r2 = await startRelay({ upstream: up })
    await r2.createOAuthAccount('ttl-acct', { keepCacheTtl: true })
    const k = (await r2.createKey()).key
    const res = await r2.handle(
      new Request('http://localhost/api/v1/messages', {
        method: 'POST',
        headers: { 'x-api-key': k, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'claude-opus-4-5',
          max_tokens: 10,
          messages: [{ role: 'user', content: [cached('x', '1h')] }],
        }),
      }),
    )
    expect(res.status).toBe(200)
    expect((up.received.at(-1)!.body as any).messages[0].content[0].cache_control.ttl).toBe('1h')
    await r2.stop()
  })

  test('no rule fires: the client bytes go upstream as sent, history has no second body', async () => {
    const raw = JSON.stringify({
      model: 'claude-opus-4-5',
      max_tokens: 10,
      system: [{ type: 'text', text: CLAUDE_CODE_SYSTEM }],
      messages: [{ role: 'user', content: 'hi' }],
    })
    const res = await fetch(`${r.url}/api/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: raw,
    })
    expect(res.status).toBe(200)
    await res.text()
    expect(up.received.at(-1)!.body).toEqual(JSON.parse(raw))
    const rec = await recordOf(res.headers.get('request-id')!)
    expect(rec.attempts[0].upstreamBody).toBeUndefined()
    expect(rec.attempts[0].fixups).toBeUndefined()
  })
})
