/**
 * Streaming edge cases: byte-split SSE, client disconnects, upstream dying mid-stream, OAuth
 * token refresh under concurrency.
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
beforeEach(async () => {
  up.reset()
  for (const a of await r.relay.services.accounts.list())
    await r.relay.services.accounts.remove(a.id)
})

const ask = {
  model: 'claude-sonnet-4-6',
  max_tokens: 64,
  stream: true,
  messages: [{ role: 'user' as const, content: 'Hi' }],
}
const post = (key: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${r.url}/api/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  })

describe('streaming', () => {
  test('SSE split at every byte arrives byte-identical with exact usage', async () => {
    await r.createConsoleAccount('bytes')
    const { key } = await r.createKey()
    up.script('*', { kind: 'bytewise' })
    const viaRelay = new Uint8Array(await (await post(key, ask)).arrayBuffer())
    const direct = new Uint8Array(
      await (
        await fetch(up.messagesUrl, {
          method: 'POST',
          headers: { 'x-api-key': 'bytes' },
          body: JSON.stringify(ask),
        })
      ).arrayBuffer(),
    )
    expect(viaRelay.byteLength).toBeGreaterThan(500)
    expect(Buffer.from(viaRelay).equals(Buffer.from(direct))).toBe(true)
    const out = (await r.waitOutcomes(1)).at(-1)!
    expect(out.usage).toEqual({
      inputTokens: 25,
      outputTokens: 12,
      cacheCreate5mTokens: 10,
      cacheCreate1hTokens: 20,
      cacheReadTokens: 40,
    })
    expect(out.outcome).toBe('success')
  })

  test('a client that disconnects mid-stream aborts upstream within 100 ms and frees its lease', async () => {
    await r.createConsoleAccount('slow')
    const { key, id } = await r.createKey({ concurrencyLimit: 1 })
    up.script('*', { kind: 'silence', afterEvents: 3, ms: 5000 })
    const ac = new AbortController()
    const res = await post(key, ask, ac.signal)
    const reader = res.body!.getReader()
    await reader.read()
    // While the stream is open the single lease is taken.
    const blocked = await post(key, ask)
    expect(blocked.status).toBe(429)
    expect(((await blocked.json()) as any).error.type).toBe('rate_limit_error')
    const before = up.abortedStreams()
    const t0 = performance.now()
    ac.abort()
    while (up.abortedStreams() === before && performance.now() - t0 < 2000) await Bun.sleep(2)
    expect(performance.now() - t0).toBeLessThan(100)
    await Bun.sleep(20)
    expect(await r.relay.stores.limits.countLeases(id, Date.now())).toBe(0)
    const aborted = r.outcomes.find((o) => o.outcome === 'aborted')
    expect(aborted?.usage?.inputTokens).toBe(25)
    up.script('*', { kind: 'ok' })
    const next = await post(key, ask)
    expect(next.status).toBe(200)
    await next.arrayBuffer()
  })

  test('an upstream that dies mid-stream gives the client an SSE error event', async () => {
    await r.createConsoleAccount('cut')
    const { key } = await r.createKey()
    up.script('*', { kind: 'cut', afterEvents: 4 })
    const res = await post(key, ask)
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain('event: message_start')
    expect(text).toContain('event: error')
    expect(text).not.toContain('message_stop')
    const out = (await r.waitOutcomes(1)).at(-1)!
    expect(out.outcome).toBe('error')
  })

  test('a failure before the first byte of a stream fails over instead of erroring the stream', async () => {
    await r.createConsoleAccount('bad', { priority: 1 })
    await r.createConsoleAccount('good', { priority: 2 })
    const { key } = await r.createKey()
    up.script('bad', { kind: 'error', status: 503 })
    const msg = await new Anthropic({
      baseURL: `${r.url}/api`,
      apiKey: key,
      maxRetries: 0,
    }).messages
      .stream(ask)
      .finalMessage()
    expect((msg.content[0] as { text: string }).text).toContain('good')
  })
})

describe('oauth accounts', () => {
  test('inject the Claude Code system prompt, bearer token and oauth beta', async () => {
    await r.createOAuthAccount('oa')
    const { key } = await r.createKey()
    await (await post(key, { ...ask, stream: false, system: 'Be brief.' })).json()
    const seen = up.received.at(-1)!
    expect(seen.headers.authorization).toBe('Bearer oa')
    expect(seen.headers['anthropic-beta']).toContain('oauth-2025-04-20')
    expect((seen.body.system as { text: string }[]).map((b) => b.text)).toEqual([
      "You are Claude Code, Anthropic's official CLI for Claude.",
      'Be brief.',
    ])
  })

  test('an expired token is refreshed once for 20 concurrent requests and the rotated refresh token is stored', async () => {
    const id = await r.createOAuthAccount('expired', {
      claudeAiOauth: {
        accessToken: 'stale',
        refreshToken: 'refresh-1',
        expiresAt: Date.now() - 1000,
        scopes: ['user:inference'],
      },
    })
    const { key } = await r.createKey()
    up.setTokenDelay(50)
    const results = await Promise.all(
      Array.from({ length: 20 }, () => post(key, { ...ask, stream: false })),
    )
    up.setTokenDelay(0)
    expect(results.map((x) => x.status)).toEqual(Array(20).fill(200))
    expect(up.tokenRequests.length).toBe(1)
    expect(up.tokenRequests[0]).toMatchObject({
      grant_type: 'refresh_token',
      refresh_token: 'refresh-1',
    })
    expect(new Set(up.received.map((x) => x.headers.authorization))).toEqual(
      new Set(['Bearer fresh-access-1']),
    )
    const stored = await r.relay.services.accounts.reload(id)
    expect(stored?.secrets.refreshToken).toBe('rotated-refresh-1')
    expect(stored?.secrets.accessToken).toBe('fresh-access-1')
    expect(stored?.account.tokenExpiresAt).toBeGreaterThan(Date.now() + 3_000_000)
    const raw = JSON.stringify(await r.relay.stores.accounts.get(id))
    expect(raw).not.toContain('rotated-refresh-1')
  })

  test('a 401 triggers one refresh and a retry on the same account', async () => {
    await r.createOAuthAccount('revoked-once', {
      claudeAiOauth: {
        accessToken: 'old',
        refreshToken: 'refresh-x',
        expiresAt: Date.now() + 3_600_000,
      },
    })
    const { key } = await r.createKey()
    up.script('old', { kind: 'error', status: 401 })
    const res = await post(key, { ...ask, stream: false })
    expect(res.status).toBe(200)
    expect(up.tokenRequests.length).toBe(1)
    expect(up.received.map((x) => x.headers.authorization)).toEqual([
      'Bearer old',
      expect.stringMatching(/^Bearer fresh-access-/),
    ])
  })
})
