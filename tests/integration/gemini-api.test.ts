/**
 * Gemini API-key accounts end to end: the official `@google/genai` SDK (its base URL at the relay's
 * `/gemini`) → relay → the fake Generative Language API. Usage from `usageMetadata` (cached and
 * thinking tokens priced), history assembled from the stream, Google-shaped errors, the relay key
 * from `x-goog-api-key` and `?key=`, and a 429 `RESOURCE_EXHAUSTED` moving the request to the next
 * account with the first one resting for the retry delay.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { GoogleGenAI } from '@google/genai'
import { type FakeGemini, resourceExhausted, startFakeGemini } from '../fakes/fake-gemini.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { createGeminiApiAccount as createApiAccount } from '../helpers/gemini-rig.ts'
import { startCountingProxy } from '../helpers/http-proxy.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let g: FakeGemini
let r: TestRelay
let key: string
let keyId: string
let acctA: string
let acctB: string

const MODEL = 'gemini-2.5-flash'
const client = (apiKey = key) =>
  new GoogleGenAI({ apiKey, httpOptions: { baseUrl: `${r.url}/gemini` } })

const createGeminiApiAccount = (name: string, input: Record<string, unknown> = {}) =>
  createApiAccount(r, g, name, input)

beforeAll(async () => {
  up = startFakeUpstream()
  g = startFakeGemini()
  r = await startRelay({ upstream: up, listen: true })
  acctA = await createGeminiApiAccount('gem-a', { priority: 10 })
  acctB = await createGeminiApiAccount('gem-b', { priority: 20 })
  ;({ key, id: keyId } = await r.createKey({ permissions: 'gemini' }))
})
afterAll(async () => {
  await r.stop()
  g.stop()
  up.stop()
})
beforeEach(async () => {
  g.reset()
  await r.relay.services.accounts.resetState(acctA)
  await r.relay.services.accounts.resetState(acctB)
})

describe('@google/genai → relay → Gemini API-key account', () => {
  test('generateContent: answer, key sent upstream as the account key, usage and cost', async () => {
    const before = r.outcomes.length
    const res = await client().models.generateContent({ model: MODEL, contents: 'Hi there' })
    expect(res.text).toBe('Hello from AIza-gem-a')
    const sent = g.received.at(-1)!
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:generateContent`)
    expect(sent.credential).toBe('AIza-gem-a-0123456789abcdefghij')
    expect(sent.search).toBe('')
    expect(JSON.stringify(sent.headers)).not.toContain(key)
    const [o] = (await r.waitOutcomes(before + 1)).slice(before)
    expect(o!.status).toBe(200)
    expect(o!.platform).toBe('gemini-api')
    expect(o!.endpoint).toMatch(/^\/gemini\/v1(beta)?\/models\/gemini-2.5-flash:generateContent$/)
    // 40 prompt (10 of them cached) → 30 input + 10 cache read; 12 candidates + 5 thoughts → 17 output,
    // 5 of them reasoning.
    expect(o!.usage).toEqual({
      inputTokens: 30,
      outputTokens: 17,
      reasoningTokens: 5,
      cacheCreate5mTokens: 0,
      cacheCreate1hTokens: 0,
      cacheReadTokens: 10,
    })
    expect(o!.priced).toBe(true)
    // 30 × 0.30 + 17 × 2.50 + 10 × 0.03 USD per million tokens.
    expect(o!.costNanos).toBe(30 * 300 + 17 * 2500 + 10 * 30)
  })

  test('generateContentStream: SSE streamed through, usage read, history assembled', async () => {
    const before = r.outcomes.length
    g.script({
      kind: 'ok',
      text: 'Streaming works: 你好 🌍',
      functionCall: { name: 'ls', args: { dir: '.' } },
    })
    const stream = await client().models.generateContentStream({
      model: MODEL,
      contents: 'Stream please',
    })
    let text = ''
    const calls: unknown[] = []
    for await (const chunk of stream) {
      text += chunk.text ?? ''
      for (const c of chunk.functionCalls ?? []) calls.push(c)
    }
    expect(text).toBe('Streaming works: 你好 🌍')
    expect(calls).toEqual([{ name: 'ls', args: { dir: '.' } }])
    expect(g.received.at(-1)!.search).toBe('?alt=sse')
    const [o] = (await r.waitOutcomes(before + 1)).slice(before)
    expect(o!.stream).toBe(true)
    expect(o!.outcome).toBe('success')
    expect(o!.usage?.outputTokens).toBe(17)
    await r.relay.services.history.flush()
    const rec = await r.admin('GET', `/admin/request-history/${o!.requestId}`)
    const body = JSON.stringify(rec.json.data)
    expect(body).toContain('Streaming works: 你好 🌍')
    expect(body).toContain('functionCall')
  })

  test('countTokens: answered, not billed', async () => {
    const before = r.outcomes.length
    const res = await client().models.countTokens({ model: MODEL, contents: 'count these words' })
    expect(res.totalTokens).toBeGreaterThan(0)
    expect(g.received.at(-1)!.path).toBe(`/v1beta/models/${MODEL}:countTokens`)
    const [o] = (await r.waitOutcomes(before + 1)).slice(before)
    expect(o!.billable).toBe(false)
  })

  test('the same routes under /v1, a non-SSE stream, and the model lists', async () => {
    const v1 = new GoogleGenAI({
      apiKey: key,
      apiVersion: 'v1',
      httpOptions: { baseUrl: `${r.url}/gemini` },
    })
    expect((await v1.models.generateContent({ model: MODEL, contents: 'x' })).text).toContain(
      'Hello',
    )
    // Without alt=sse Google streams a JSON array.
    const arr = await fetch(`${r.url}/gemini/v1beta/models/${MODEL}:streamGenerateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
    })
    expect(arr.status).toBe(200)
    expect(Array.isArray(await arr.json())).toBe(true)
    const list = await fetch(`${r.url}/gemini/v1beta/models`, {
      headers: { 'x-goog-api-key': key },
    })
    const models = (await list.json()) as { models: { name: string }[] }
    expect(models.models.map((m) => m.name)).toContain(`models/${MODEL}`)
    const one = await fetch(`${r.url}/gemini/v1/models/${MODEL}?key=${key}`)
    expect(((await one.json()) as { name: string }).name).toBe(`models/${MODEL}`)
  })

  test('the relay key in ?key= and in x-goog-api-key; ?key= kept out of history', async () => {
    const before = r.outcomes.length
    const url = `${r.url}/gemini/v1beta/models/${MODEL}:generateContent?key=${key}`
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    })
    expect(res.status).toBe(200)
    const [o] = (await r.waitOutcomes(before + 1)).slice(before)
    expect(o!.endpoint).not.toContain(key)
    await r.relay.services.history.flush()
    const rec = await r.admin('GET', `/admin/request-history/${o!.requestId}`)
    expect(JSON.stringify(rec.json)).not.toContain(key)
  })

  test('errors in Google shape: a bad key, a wrong permission, a bad body', async () => {
    const bad = await fetch(`${r.url}/gemini/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': `cr_${'0'.repeat(64)}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(bad.status).toBe(401)
    const badJson = (await bad.json()) as { error: { code: number; status: string } }
    expect(badJson.error.code).toBe(401)
    expect(badJson.error.status).toBe('UNAUTHENTICATED')
    const claudeOnly = (await r.createKey({ permissions: 'claude' })).key
    const denied = await fetch(`${r.url}/gemini/v1beta/models`, {
      headers: { 'x-goog-api-key': claudeOnly },
    })
    expect(denied.status).toBe(403)
    expect(((await denied.json()) as { error: { status: string } }).error.status).toBe(
      'PERMISSION_DENIED',
    )
    const unknown = await fetch(`${r.url}/gemini/v1beta/models/${MODEL}:predictLongRunning`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as { error: { status: string } }).error.status).toBe('NOT_FOUND')
    const empty = await fetch(`${r.url}/gemini/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: '{"contents":[]}',
    })
    expect(empty.status).toBe(400)
    expect(((await empty.json()) as { error: { status: string } }).error.status).toBe(
      'INVALID_ARGUMENT',
    )
  })

  test('429 RESOURCE_EXHAUSTED: the next account answers, the first rests for the retry delay', async () => {
    g.script({ kind: 'error', status: 429, body: resourceExhausted(120) })
    const t0 = Date.now()
    const res = await client().models.generateContent({ model: MODEL, contents: 'hi' })
    expect(res.text).toBe('Hello from AIza-gem-b')
    const pool = await r.relay.services.accounts.snapshot()
    const a = pool.find((e) => e.account.id === acctA)!
    expect(a.state.rateLimitedUntil).toBeGreaterThanOrEqual(t0 + 119_000)
    expect(a.state.rateLimitedUntil).toBeLessThan(t0 + 130_000)
    // With both limited, the client gets Google's 429 with retry-after.
    g.script({ kind: 'error', status: 429, body: resourceExhausted(30) })
    const both = await fetch(`${r.url}/gemini/v1beta/models/${MODEL}:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
    })
    expect(both.status).toBe(429)
    expect(Number(both.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(((await both.json()) as { error: { status: string } }).error.status).toBe(
      'RESOURCE_EXHAUSTED',
    )
  })

  test('the admin account test streams through the adapter and reports the answer', async () => {
    const res = await r.handle(
      new Request(`http://localhost/admin/gemini-api-accounts/${acctA}/test`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await r.adminToken()}`,
          'content-type': 'application/json',
        },
        body: '{}',
      }),
    )
    const text = await res.text()
    const m = /event: test_complete\ndata: (.*)\n/.exec(text)
    const result = JSON.parse(m![1]!) as { success: boolean; text: string }
    expect(result).toMatchObject({ success: true, text: 'Hello from AIza-gem-a' })
    expect(g.received.at(-1)!.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent')
  })

  test('a stream cut by the upstream ends with a Google error event and an error record', async () => {
    const before = r.outcomes.length
    g.script({ kind: 'cut' })
    const res = await fetch(
      `${r.url}/gemini/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`,
      {
        method: 'POST',
        headers: { 'x-goog-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }),
      },
    )
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain('data: {"error":{"code":500')
    const [o] = (await r.waitOutcomes(before + 1)).slice(before)
    expect(o!.outcome).toBe('error')
  })

  test('an account with a proxy relays through it (the old system failed every such request)', async () => {
    const proxy = await startCountingProxy()
    try {
      const id = await createGeminiApiAccount('gem-proxied', {
        accountType: 'dedicated',
        proxy: { type: 'http', host: '127.0.0.1', port: proxy.port },
      })
      const bound = (await r.createKey({ geminiAccountId: `api:${id}` })).key
      const res = await client(bound).models.generateContent({ model: MODEL, contents: 'hi' })
      expect(res.text).toBe('Hello from AIza-gem-p')
      expect(proxy.count).toBeGreaterThan(0)
    } finally {
      proxy.stop()
    }
  })

  test('a key bound to an api:<id> account uses only that account', async () => {
    const bound = (await r.createKey({ geminiAccountId: `api:${acctB}` })).key
    const res = await client(bound).models.generateContent({ model: MODEL, contents: 'hi' })
    expect(res.text).toBe('Hello from AIza-gem-b')
    expect(keyId).toBeTruthy()
  })
})
