/**
 * Azure OpenAI accounts end to end: the official `openai` SDK pointed at the relay's `/azure`
 * routes (chat streamed and not, embeddings, responses) with Azure accounts on the fake (the
 * `api-key` header, deployments, api-version); cached tokens billed once; the key's `openai`
 * permission and its `azureOpenaiAccountId` binding are honoured.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { type FakeOpenAI, startFakeOpenAI } from '../fakes/fake-openai.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let oa: FakeOpenAI
let r: TestRelay
let key: string
let shared: string
let dedicated: string

const client = (apiKey = key) => new OpenAI({ baseURL: `${r.url}/azure`, apiKey, maxRetries: 0 })

async function azureAccount(name: string, input: Record<string, unknown> = {}) {
  const res = await r.admin('POST', '/admin/azure-openai-accounts', {
    name,
    azureEndpoint: oa.url,
    apiVersion: '2024-10-21',
    deploymentName: `${name}-dep`,
    deployments: { 'text-embedding-3-small': 'emb-small' },
    apiKey: `azure-${name}`,
    ...input,
  })
  expect(res.status).toBe(200)
  return res.json.data.id as string
}

beforeAll(async () => {
  up = startFakeUpstream()
  oa = startFakeOpenAI()
  r = await startRelay({ upstream: up, listen: true })
  shared = await azureAccount('az-shared')
  dedicated = await azureAccount('az-own', { accountType: 'dedicated' })
  key = (await r.createKey({ permissions: 'openai' })).key
})
afterAll(async () => {
  await r.stop()
  oa.stop()
  up.stop()
})
beforeEach(async () => {
  await r.settle()
  oa.reset()
  r.outcomes.length = 0
})

describe('openai SDK → relay /azure → Azure OpenAI account', () => {
  test('chat completion: deployment URL, api-key, usage with cached tokens billed once', async () => {
    const data = await client().chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(data.choices[0]!.message.content).toBe('Hello from Azure')
    const got = oa.received.at(-1)!
    expect(got.path).toBe('/openai/deployments/az-shared-dep/chat/completions')
    expect(got.search).toBe('?api-version=2024-10-21')
    expect(got.headers['api-key']).toBe('azure-az-shared')
    expect(got.headers.authorization).toBeUndefined()
    const [o] = await r.waitOutcomes(1)
    expect(o).toMatchObject({
      outcome: 'success',
      platform: 'azure-openai',
      endpoint: '/azure/chat/completions',
      model: 'gpt-4o',
      usage: { inputTokens: 40, cacheReadTokens: 10, outputTokens: 7 },
    })
    // gpt-4o: 40 × 2500 + 10 × 1250 + 7 × 10000 nano-dollars.
    expect(o!.costNanos).toBe(40 * 2500 + 10 * 1250 + 7 * 10_000)
  })

  test('streamed chat: the relay asks for the usage chunk and counts it', async () => {
    const stream = await client().chat.completions.create({
      model: 'azure/gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? ''
    expect(text).toBe('Hello from Azure')
    expect(oa.received.at(-1)!.body.stream_options).toEqual({ include_usage: true })
    expect(oa.received.at(-1)!.body.model).toBe('gpt-4o')
    const [o] = await r.waitOutcomes(1)
    expect(o).toMatchObject({ outcome: 'success', stream: true, usage: { inputTokens: 40 } })
    await r.relay.services.history.flush()
    const rec = await r.relay.services.history.get(o!.requestId)
    expect(JSON.parse(rec!.responseBody).choices[0].message.content).toBe('Hello from Azure')
  })

  test('embeddings go to the mapped deployment; responses to /openai/responses', async () => {
    const emb = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'x' })
    expect(emb.data[0]!.embedding).toHaveLength(3)
    expect(oa.received.at(-1)!.path).toBe('/openai/deployments/emb-small/embeddings')
    const resp = await client().responses.create({ model: 'gpt-4o', input: 'hi' })
    expect(resp.output_text).toBe('Hello from the fake OpenAI')
    const got = oa.received.at(-1)!
    expect(got.path).toBe('/openai/responses')
    expect(got.search).toBe('?api-version=2025-04-01-preview')
    expect(got.body.model).toBe('az-shared-dep')
    const outs = await r.waitOutcomes(2)
    expect(outs.map((o) => o.endpoint)).toEqual(['/azure/embeddings', '/azure/responses'])
    expect(outs[0]!.usage).toMatchObject({ inputTokens: 8 })
  })

  test('a key without the openai permission is refused; a bound key uses its account', async () => {
    const claude = await r.createKey({ permissions: 'claude' })
    const err = await client(claude.key)
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError)
    expect(oa.received).toHaveLength(0)
    const models = await fetch(`${r.url}/azure/models`, { headers: { 'x-api-key': claude.key } })
    expect(models.status).toBe(403)

    const bound = await r.createKey({ permissions: 'all', azureOpenaiAccountId: dedicated })
    await client(bound.key).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
    })
    expect(oa.received.at(-1)!.headers['api-key']).toBe('azure-az-own')
    expect(shared).not.toBe(dedicated)
  })

  test('GET /azure/models lists the seed models', async () => {
    const list = await client().models.list()
    expect(list.data.map((m) => m.id)).toContain('azure/gpt-4o')
  })
})
