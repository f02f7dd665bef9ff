/**
 * Gemini embeddings end to end: `@google/genai`'s `models.embedContent` (which calls
 * `:batchEmbedContents`) and a plain `:embedContent` call on `/v1` → relay → the fake Generative
 * Language API, which checks the path, the account key and every request's model. The key rules
 * of generateContent apply (permission, model list, request window); an answer without usage is
 * still recorded (0 tokens), one with usage is priced; history keeps the answer; a key that only
 * reaches Google-login accounts gets a Google-shaped error saying why, and Code Assist is not
 * called.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { GoogleGenAI } from '@google/genai'
import { type FakeGemini, resourceExhausted } from '../fakes/fake-gemini.ts'
import {
  createGeminiApiAccount,
  type GeminiRig,
  resetGemini,
  startGeminiRig,
} from '../helpers/gemini-rig.ts'
import type { TestRelay } from '../helpers/relay.ts'

let rig: GeminiRig
let g: FakeGemini
let r: TestRelay
let key: string
let acctA: string
let acctB: string

const MODEL = 'gemini-embedding-001'
const client = (apiKey = key) =>
  new GoogleGenAI({ apiKey, httpOptions: { baseUrl: `${r.url}/gemini` } })

const createApiAccount = (name: string, input: Record<string, unknown> = {}) =>
  createGeminiApiAccount(r, g, name, input)

function embedCall(path: string, apiKey: string, body: unknown) {
  return fetch(`${r.url}/gemini/${path}`, {
    method: 'POST',
    headers: { 'x-goog-api-key': apiKey, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
}

async function googleError(res: Response) {
  return ((await res.json()) as { error: { code: number; status: string; message: string } }).error
}

beforeAll(async () => {
  rig = await startGeminiRig()
  ;({ g, r } = rig)
  acctA = await createApiAccount('emb-a', { priority: 10 })
  acctB = await createApiAccount('emb-b', { priority: 20 })
  ;({ key } = await r.createKey({ permissions: 'gemini' }))
})
afterAll(() => rig.stop())
beforeEach(() => resetGemini(rig, [acctA, acctB]))

describe('Gemini embeddings through the relay', () => {
  test('@google/genai embedContent: batchEmbedContents relayed with the account key, recorded with 0 tokens', async () => {
    const fresh = await r.createKey({ permissions: 'gemini' })
    const before = r.outcomes.length
    const res = await client(fresh.key).models.embedContent({
      model: MODEL,
      contents: ['hello', 'embeddings'],
      config: { taskType: 'RETRIEVAL_DOCUMENT', outputDimensionality: 3 },
    })
    expect(res.embeddings?.map((e) => e.values)).toEqual([
      [5, 0.5, -0.25],
      [10, 0.5, -0.25],
    ])
    const sent = g.received.at(-1)!
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:batchEmbedContents`)
    expect(sent.credential).toBe('AIza-emb-a-0123456789abcdefghij')
    expect(JSON.stringify(sent.headers)).not.toContain(fresh.key)
    const requests = sent.body.requests as Record<string, unknown>[]
    expect(requests).toHaveLength(2)
    expect(requests[0]).toMatchObject({
      model: `models/${MODEL}`,
      taskType: 'RETRIEVAL_DOCUMENT',
      outputDimensionality: 3,
      content: { parts: [{ text: 'hello' }] },
    })
    const [o] = (await r.waitOutcomes(before + 1)).slice(before)
    expect(o!).toMatchObject({
      status: 200,
      outcome: 'success',
      billable: true,
      platform: 'gemini-api',
      accountId: acctA,
      model: MODEL,
      costNanos: 0,
    })
    expect(o!.endpoint).toBe(`/gemini/v1beta/models/${MODEL}:batchEmbedContents`)
    expect(o!.usage?.inputTokens).toBe(0)
    await r.relay.services.history.flush()
    const rec = await r.admin('GET', `/admin/request-history/${o!.requestId}`)
    expect(rec.status).toBe(200)
    expect(JSON.stringify(rec.json.data)).toContain('-0.25')
    await r.relay.services.usage.flush()
    const counters = await r.relay.services.usage.keyModelsOver(fresh.id, ['total'])
    expect(counters.get(MODEL)).toMatchObject({ requests: 1, inputTokens: 0, errorRequests: 0 })
  })

  test('embedContent on /v1 with ?key=: usage, when the answer has it, is counted and priced', async () => {
    const before = r.outcomes.length
    g.script({ kind: 'ok', usage: { promptTokenCount: 7, totalTokenCount: 7 } })
    const res = await fetch(`${r.url}/gemini/v1/models/${MODEL}:embedContent?key=${key}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: { parts: [{ text: 'seven!!' }] } }),
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { embedding: { values: number[] } }).embedding.values).toEqual([
      7, 0.5, -0.25,
    ])
    const sent = g.received.at(-1)!
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:embedContent`)
    expect(sent.search).toBe('')
    expect(sent.body).toEqual({ content: { parts: [{ text: 'seven!!' }] } })
    const [o] = (await r.waitOutcomes(before + 1)).slice(before)
    expect(o!.usage?.inputTokens).toBe(7)
    expect(o!.priced).toBe(true)
    // 7 tokens × $0.15 per million.
    expect(o!.costNanos).toBe(7 * 150)
    expect(o!.endpoint).not.toContain(key)
  })

  test('a 429 RESOURCE_EXHAUSTED moves the embedding to the next account', async () => {
    g.script({ kind: 'error', status: 429, body: resourceExhausted(60) })
    const res = await client().models.embedContent({ model: MODEL, contents: 'x' })
    expect(res.embeddings).toHaveLength(1)
    expect(g.received.map((x) => x.credential)).toEqual([
      'AIza-emb-a-0123456789abcdefghij',
      'AIza-emb-b-0123456789abcdefghij',
    ])
    const a = (await r.relay.services.accounts.snapshot()).find((e) => e.account.id === acctA)!
    expect(a.state.rateLimitedUntil).toBeGreaterThan(Date.now() + 50_000)
  })

  test("an account's model mapping renames the path and every request of a batch", async () => {
    const id = await createApiAccount('emb-mapped', {
      accountType: 'dedicated',
      supportedModels: { 'my-embedder': MODEL },
    })
    const bound = (await r.createKey({ geminiAccountId: `api:${id}` })).key
    const res = await client(bound).models.embedContent({
      model: 'my-embedder',
      contents: ['one', 'two'],
    })
    expect(res.embeddings).toHaveLength(2)
    const sent = g.received.at(-1)!
    expect(sent.path).toBe(`/v1beta/models/${MODEL}:batchEmbedContents`)
    expect(sent.credential).toBe('AIza-emb-mapped-0123456789abcdefghij')
    expect((sent.body.requests as { model: string }[]).map((q) => q.model)).toEqual([
      `models/${MODEL}`,
      `models/${MODEL}`,
    ])
  })

  test('the key rules of generateContent: permission, model list, request window', async () => {
    const claudeOnly = (await r.createKey({ permissions: 'claude' })).key
    const denied = await embedCall(`v1beta/models/${MODEL}:embedContent`, claudeOnly, {
      content: { parts: [{ text: 'x' }] },
    })
    expect(denied.status).toBe(403)
    expect((await googleError(denied)).status).toBe('PERMISSION_DENIED')

    const restricted = (
      await r.createKey({
        enableModelRestriction: true,
        modelRestrictionMode: 'allow',
        restrictedModels: ['gemini-2.5-flash'],
      })
    ).key
    const notListed = await embedCall(`v1beta/models/${MODEL}:batchEmbedContents`, restricted, {
      requests: [{ model: `models/${MODEL}`, content: { parts: [{ text: 'x' }] } }],
    })
    expect(notListed.status).toBe(403)
    expect((await googleError(notListed)).status).toBe('PERMISSION_DENIED')

    const windowed = (await r.createKey({ rateLimitWindow: 1, rateLimitRequests: 1 })).key
    const body = { content: { parts: [{ text: 'x' }] } }
    expect((await embedCall(`v1beta/models/${MODEL}:embedContent`, windowed, body)).status).toBe(
      200,
    )
    const second = await embedCall(`v1beta/models/${MODEL}:embedContent`, windowed, body)
    expect(second.status).toBe(429)
    expect((await googleError(second)).status).toBe('RESOURCE_EXHAUSTED')
    expect(g.received.length).toBe(1)
  })

  test('bad bodies are 400 INVALID_ARGUMENT, and a batch cannot name another model', async () => {
    const cases: [string, unknown, string][] = [
      [`v1beta/models/${MODEL}:embedContent`, {}, 'content.parts'],
      [`v1beta/models/${MODEL}:embedContent`, { content: { parts: [] } }, 'content.parts'],
      [`v1beta/models/${MODEL}:batchEmbedContents`, { requests: [] }, 'requests'],
      [
        `v1beta/models/${MODEL}:batchEmbedContents`,
        { requests: [{ model: 'models/gemini-2.5-pro', content: { parts: [{ text: 'x' }] } }] },
        'requests[0].model',
      ],
    ]
    for (const [path, body, field] of cases) {
      const res = await embedCall(path, key, body)
      expect(res.status).toBe(400)
      const e = await googleError(res)
      expect(e.status).toBe('INVALID_ARGUMENT')
      expect(e.message).toContain(field)
    }
    expect(g.received.length).toBe(0)
  })

  test('a key that reaches only a Google-login account gets a Google error saying why', async () => {
    const created = await r.admin('POST', '/admin/gemini-accounts', {
      name: 'google-only',
      codeAssistEndpoint: g.url,
      accountType: 'dedicated',
      projectId: 'p-emb',
      geminiOauth: {
        access_token: 'emb-access-0123456789abcdef',
        refresh_token: 'emb-refresh-0123456789abcdef',
        expiry_date: Date.now() + 3_600_000,
      },
    })
    expect(created.status).toBe(200)
    const bound = (await r.createKey({ geminiAccountId: created.json.data.id })).key
    const before = r.outcomes.length
    const res = await embedCall(`v1beta/models/${MODEL}:embedContent`, bound, {
      content: { parts: [{ text: 'x' }] },
    })
    expect(res.status).toBe(503)
    const e = await googleError(res)
    expect(e.code).toBe(503)
    expect(e.status).toBe('UNAVAILABLE')
    expect(e.message).toContain('Gemini API-key accounts')
    expect(e.message).toContain('Google-login')
    expect(g.received.length).toBe(0)
    const [o] = (await r.waitOutcomes(before + 1)).slice(before)
    expect(o!.outcome).toBe('error')
    expect(o!.errorMessage).toContain('Gemini API-key accounts')
    // The SDK sees the same error.
    await expect(
      client(bound).models.embedContent({ model: MODEL, contents: 'x' }),
    ).rejects.toThrow(/Gemini API-key accounts/)
  })
})
