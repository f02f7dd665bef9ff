/**
 * The openai SDK's `AzureOpenAI` client pointed at the relay (`endpoint: <relay>/azure`, the relay
 * key as its `apiKey`, sent in `api-key`): the Azure paths it builds
 * (`/azure/openai/deployments/{deployment}/chat/completions` and `/embeddings`,
 * `/azure/openai/responses`, `?api-version=`) reach Azure accounts on the fake, the path's
 * deployment picking the upstream deployment; usage and history are recorded once; a malformed
 * api-version, a deployment no usable account serves, a key without the `openai` permission and
 * a key bound to another account are refused in Azure's error envelope.
 */
import { describe, expect, test } from 'bun:test'
import { AzureOpenAI, OpenAI } from 'openai'
import type { FakeOpenAI } from '../fakes/fake-openai.ts'
import { openaiSuite } from '../helpers/openai-suite.ts'
import type { TestRelay } from '../helpers/relay.ts'

let oa: FakeOpenAI
let r: TestRelay
let key: { id: string; key: string }
let dedicated: string

/** The client as a user of the relay sets it up (README "Connect clients"). */
const azure = (options: { apiKey?: string; deployment?: string; apiVersion?: string } = {}) =>
  new AzureOpenAI({
    endpoint: `${r.url}/azure`,
    apiKey: options.apiKey ?? key.key,
    apiVersion: options.apiVersion ?? '2024-10-21',
    deployment: options.deployment,
    maxRetries: 0,
  })

async function azureAccount(name: string, input: Record<string, unknown> = {}) {
  const res = await r.admin('POST', '/admin/azure-openai-accounts', {
    name,
    azureEndpoint: oa.url,
    apiVersion: '2024-06-01',
    deploymentName: `${name}-dep`,
    deployments: { 'gpt-4o': `${name}-4o`, 'text-embedding-3-small': `${name}-emb` },
    apiKey: `azure-${name}`,
    ...input,
  })
  expect(res.status).toBe(200)
  return res.json.data.id as string
}

/** Usage counters of a key (requests, tokens) after the pending batch is written. */
async function keyUsage(id: string) {
  await r.settle()
  await r.relay.services.usage.flush()
  const [row] = await r.relay.stores.usage.get([{ scope: 'key', id, period: 'total' }])
  return row
}

openaiSuite({
  setup: async (s) => {
    ;({ r, oa } = s)
    await azureAccount('azc')
    dedicated = await azureAccount('azown', { accountType: 'dedicated' })
    key = await r.createKey({ permissions: 'openai' })
  },
})

describe('AzureOpenAI client → relay /azure/openai/… → Azure OpenAI account', () => {
  test('chat on a named deployment: that deployment upstream, the account key and version, recorded once', async () => {
    const own = await r.createKey({ permissions: 'openai' })
    const data = await azure({ apiKey: own.key, deployment: 'azc-dep' }).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(data.choices[0]!.message.content).toBe('Hello from Azure')
    expect(oa.received).toHaveLength(1)
    const got = oa.received[0]!
    expect(got.path).toBe('/openai/deployments/azc-dep/chat/completions')
    // Upstream, the account's own api-version (the client's is checked, not forwarded).
    expect(got.search).toBe('?api-version=2024-06-01')
    expect(got.headers['api-key']).toBe('azure-azc')
    expect(JSON.stringify(got.headers)).not.toContain(own.key)
    const [o] = await r.waitOutcomes(1)
    expect(o).toMatchObject({
      outcome: 'success',
      platform: 'azure-openai',
      endpoint: '/azure/openai/deployments/{deployment}/chat/completions',
      model: 'gpt-4o',
      usage: { inputTokens: 40, cacheReadTokens: 10, outputTokens: 7 },
    })
    const usage = await keyUsage(own.id)
    expect(usage).toMatchObject({ requests: 1, inputTokens: 40, outputTokens: 7 })
    expect(r.outcomes).toHaveLength(1)
    await r.relay.services.history.flush()
    const rec = await r.relay.services.history.get(o!.requestId)
    expect(rec).toMatchObject({ endpoint: o!.endpoint, inputTokens: 40, outputTokens: 7 })
    expect(JSON.stringify(rec!.requestHeaders)).not.toContain(own.key)
  })

  test('streamed chat without a deployment: the model in the path goes to the account deployment for it', async () => {
    const stream = await azure().chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? ''
    expect(text).toBe('Hello from Azure')
    expect(oa.received).toHaveLength(1)
    expect(oa.received[0]!.path).toBe('/openai/deployments/azc-4o/chat/completions')
    expect(oa.received[0]!.body.stream_options).toEqual({ include_usage: true })
    const [o] = await r.waitOutcomes(1)
    expect(o).toMatchObject({
      outcome: 'success',
      stream: true,
      endpoint: '/azure/openai/deployments/{deployment}/chat/completions',
      usage: { inputTokens: 40, outputTokens: 7 },
    })
    await r.settle()
    expect(r.outcomes).toHaveLength(1)
    await r.relay.services.history.flush()
    const rec = await r.relay.services.history.get(o!.requestId)
    expect(JSON.parse(rec!.responseBody).choices[0].message.content).toBe('Hello from Azure')
  })

  test('embeddings go to the deployment mapped for the model; responses to /openai/responses', async () => {
    const emb = await azure().embeddings.create({ model: 'text-embedding-3-small', input: 'x' })
    expect(emb.data[0]!.embedding).toHaveLength(3)
    expect(oa.received.at(-1)!.path).toBe('/openai/deployments/azc-emb/embeddings')

    const resp = await azure().responses.create({ model: 'gpt-4o', input: 'hi' })
    expect(resp.output_text).toBe('Hello from the fake OpenAI')
    const got = oa.received.at(-1)!
    expect(got.path).toBe('/openai/responses')
    expect(got.search).toBe('?api-version=2025-04-01-preview')
    expect(got.body.model).toBe('azc-4o')

    const events = await azure().responses.create({ model: 'gpt-4o', input: 'hi', stream: true })
    let text = ''
    for await (const ev of events) if (ev.type === 'response.output_text.delta') text += ev.delta
    expect(text).toBe('Hello from the fake OpenAI')

    const outs = await r.waitOutcomes(3)
    await r.settle()
    expect(r.outcomes).toHaveLength(3)
    expect(outs.map((o) => o.endpoint)).toEqual([
      '/azure/openai/deployments/{deployment}/embeddings',
      '/azure/openai/responses',
      '/azure/openai/responses',
    ])
    expect(outs[0]!.usage).toMatchObject({ inputTokens: 8 })
    expect(outs[2]).toMatchObject({ stream: true, usage: { inputTokens: 100, outputTokens: 30 } })
  })

  test('the models list the client asks for answers in the OpenAI list shape', async () => {
    const list = await azure().models.list()
    expect(list.data.map((m) => m.id)).toContain('azure/gpt-4o')
  })

  test('the relay key also works as Bearer or x-api-key on the same paths', async () => {
    const ways: Record<string, string>[] = [
      { authorization: `Bearer ${key.key}` },
      { 'x-api-key': key.key },
    ]
    for (const headers of ways) {
      const res = await fetch(
        `${r.url}/azure/openai/deployments/azc-dep/chat/completions?api-version=2024-10-21`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
        },
      )
      expect(res.status).toBe(200)
    }
    expect(oa.received).toHaveLength(2)
  })
})

describe('AzureOpenAI client: refusals in the Azure error envelope', () => {
  test('a malformed or missing api-version is a 400 BadRequest naming it; nothing goes upstream', async () => {
    const err = await azure({ apiVersion: 'latest-please' })
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect(err.status).toBe(400)
    expect(err.code).toBe('BadRequest')
    expect(err.param).toBe('api-version')
    expect(err.message).toContain('Unsupported api-version "latest-please"')

    const res = await fetch(`${r.url}/azure/openai/responses`, {
      method: 'POST',
      headers: { 'api-key': key.key, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', input: 'x' }),
    })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      code: 'BadRequest',
      param: 'api-version',
    })
    expect(oa.received).toHaveLength(0)

    // The key is still checked first: a stranger learns nothing about versions.
    const stranger = await azure({ apiKey: 'cr_not-a-key', apiVersion: 'bad' })
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e)
    expect(stranger).toBeInstanceOf(OpenAI.AuthenticationError)
  })

  test('a deployment no account serves is a 404 DeploymentNotFound; nothing goes upstream', async () => {
    const err = await azure({ deployment: 'no-such-deployment' })
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.NotFoundError)
    expect(err.code).toBe('DeploymentNotFound')
    expect(err.message).toContain('"no-such-deployment"')
    const emb = await azure({ deployment: 'no-such-deployment' })
      .embeddings.create({ model: 'text-embedding-3-small', input: 'x' })
      .catch((e) => e)
    expect(emb).toBeInstanceOf(OpenAI.NotFoundError)
    expect(oa.received).toHaveLength(0)
    const outs = await r.waitOutcomes(2)
    expect(outs.map((o) => [o.status, o.outcome])).toEqual([
      [404, 'error'],
      [404, 'error'],
    ])
    // Recorded under the route's template, whatever names clients send (bounded metric labels).
    expect(outs.map((o) => o.endpoint)).toEqual([
      '/azure/openai/deployments/{deployment}/chat/completions',
      '/azure/openai/deployments/{deployment}/embeddings',
    ])
  })

  test('a key without the openai permission is refused with 403', async () => {
    const claude = await r.createKey({ permissions: 'claude' })
    const err = await azure({ apiKey: claude.key, deployment: 'azc-dep' })
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError)
    expect(err.error).toMatchObject({ type: 'permission_error' })
    const resp = await azure({ apiKey: claude.key })
      .responses.create({ model: 'gpt-4o', input: 'x' })
      .catch((e) => e)
    expect(resp).toBeInstanceOf(OpenAI.PermissionDeniedError)
    expect(oa.received).toHaveLength(0)
  })

  test('a key bound to an account reaches only it: its deployments, never the shared ones', async () => {
    const bound = await r.createKey({ permissions: 'all', azureOpenaiAccountId: dedicated })
    await azure({ apiKey: bound.key, deployment: 'azown-dep' }).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'x' }],
    })
    expect(oa.received.at(-1)!.headers['api-key']).toBe('azure-azown')
    expect(oa.received.at(-1)!.path).toBe('/openai/deployments/azown-dep/chat/completions')
    // The shared account's deployment is not this key's.
    const err = await azure({ apiKey: bound.key, deployment: 'azc-dep' })
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.NotFoundError)
    expect(err.code).toBe('DeploymentNotFound')
    expect(oa.received).toHaveLength(1)
  })
})
