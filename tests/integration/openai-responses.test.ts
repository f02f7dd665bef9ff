/**
 * The OpenAI Responses routes end to end: the official `openai` SDK (`responses.create`, streamed
 * and not) through the relay on a real socket to OpenAI-Responses accounts on the fake OpenAI
 * upstream; usage with cached input, cost, history (assembled text and tool calls), errors in
 * OpenAI's envelope, failover on 429 with the reset time kept, a stream cut midway.
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
let keyId: string
const accounts: string[] = []

const client = (apiKey = key, path = '/openai/v1') =>
  new OpenAI({ baseURL: `${r.url}${path}`, apiKey, maxRetries: 0 })

async function createResponsesAccount(name: string, input: Record<string, unknown> = {}) {
  const res = await r.admin('POST', '/admin/openai-responses-accounts', {
    name,
    baseApi: `${oa.url}/v1`,
    apiKey: `sk-${name}`,
    ...input,
  })
  expect(res.status).toBe(200)
  return res.json.data.id as string
}

beforeAll(async () => {
  up = startFakeUpstream()
  oa = startFakeOpenAI()
  r = await startRelay({ upstream: up, listen: true })
  accounts.push(await createResponsesAccount('oa-one', { priority: 10 }))
  accounts.push(await createResponsesAccount('oa-two', { priority: 20 }))
  const k = await r.createKey({ permissions: 'openai' })
  key = k.key
  keyId = k.id
})
afterAll(async () => {
  await r.stop()
  oa.stop()
  up.stop()
})
beforeEach(async () => {
  await r.settle()
  oa.reset()
  for (const id of accounts) await r.relay.services.accounts.resetState(id)
  r.outcomes.length = 0
})

describe('openai SDK responses.create → relay → OpenAI-Responses account', () => {
  test('not streamed: the answer, the client instructions kept, usage with cached input and cost', async () => {
    const { data, response } = await client()
      .responses.create({ model: 'gpt-5', input: 'Hi there', instructions: 'Talk like a pirate.' })
      .withResponse()
    expect(data.output_text).toBe('Hello from the fake OpenAI')
    expect(response.headers.get('request-id')).toMatch(/^req_/)
    const got = oa.received.at(-1)!
    expect(got.path).toBe('/v1/responses')
    expect(got.account).toBe('sk-oa-one')
    expect(got.body.instructions).toBe('Talk like a pirate.')
    expect(got.headers.authorization).toBe('Bearer sk-oa-one')
    expect(JSON.stringify(got.headers)).not.toContain(key)
    const [o] = await r.waitOutcomes(1)
    expect(o).toMatchObject({
      outcome: 'success',
      status: 200,
      platform: 'openai-responses',
      endpoint: '/openai/v1/responses',
      model: 'gpt-5',
      usage: { inputTokens: 100, cacheReadTokens: 20, outputTokens: 30 },
    })
    // 100 × 1250 + 20 × 125 + 30 × 10000 nano-dollars.
    expect(o!.costNanos).toBe(100 * 1250 + 20 * 125 + 30 * 10_000)
    expect(o!.priced).toBe(true)
  })

  test('streamed: events in order, one record with usage and the assembled answer in history', async () => {
    oa.script('sk-oa-one', {
      kind: 'ok',
      text: 'Streaming hello',
      toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    })
    const stream = await client().responses.create({
      model: 'gpt-5-codex',
      input: 'weather?',
      stream: true,
    })
    const types: string[] = []
    let text = ''
    for await (const ev of stream) {
      types.push(ev.type)
      if (ev.type === 'response.output_text.delta') text += ev.delta
    }
    expect(text).toBe('Streaming hello')
    expect(types[0]).toBe('response.created')
    expect(types.at(-1)).toBe('response.completed')
    const outs = await r.waitOutcomes(1)
    expect(outs).toHaveLength(1)
    expect(outs[0]).toMatchObject({
      outcome: 'success',
      stream: true,
      model: 'gpt-5-codex',
      usage: { inputTokens: 100, cacheReadTokens: 20, outputTokens: 30 },
    })
    await r.relay.services.history.flush()
    const rec = await r.relay.services.history.get(outs[0]!.requestId)
    expect(rec?.platform).toBe('openai-responses')
    const answer = JSON.parse(rec!.responseBody)
    expect(answer.output[0].content[0].text).toBe('Streaming hello')
    expect(answer.output[1]).toMatchObject({ type: 'function_call', name: 'get_weather' })
    expect(answer.usage.output_tokens_details.reasoning_tokens).toBe(10)
  })

  test('the /openai/responses and compact routes reach the matching upstream paths', async () => {
    const res = await fetch(`${r.url}/openai/responses/compact`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', input: [{ role: 'user', content: 'long chat' }] }),
    })
    expect(res.status).toBe(200)
    expect(((await res.json()) as { object: string }).object).toBe('response.compaction')
    expect(oa.received.at(-1)!.path).toBe('/v1/responses/compact')
    const outs = await r.waitOutcomes(1)
    expect(outs[0]).toMatchObject({ endpoint: '/openai/responses/compact', outcome: 'success' })
  })

  test('a key without the openai permission gets a 403 in the OpenAI envelope', async () => {
    const claudeOnly = await r.createKey({ permissions: 'claude' })
    const err = await client(claudeOnly.key)
      .responses.create({ model: 'gpt-5', input: 'x' })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError)
    const e = err as InstanceType<typeof OpenAI.PermissionDeniedError>
    expect(e.status).toBe(403)
    expect((e.error as { type?: string }).type).toBe('permission_error')
    expect(oa.received).toHaveLength(0)
  })

  test('a bad key gets a 401 in the OpenAI envelope', async () => {
    const err = await client('cr_nope')
      .responses.create({ model: 'gpt-5', input: 'x' })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError)
  })

  test('429 fails over to the next account; the first keeps its reset time', async () => {
    oa.script('sk-oa-one', {
      kind: 'error',
      status: 429,
      headers: { 'x-ratelimit-reset-requests': '20m0s' },
      body: {
        error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' },
      },
    })
    const t0 = Date.now()
    const data = await client().responses.create({ model: 'gpt-5', input: 'hi' })
    expect(data.output_text).toBe('Hello from the fake OpenAI')
    expect(oa.received.map((x) => x.account)).toEqual(['sk-oa-one', 'sk-oa-two'])
    const state = await r.relay.services.accounts.getState(accounts[0]!)
    expect(state.rateLimitedUntil).toBeGreaterThanOrEqual(t0 + 20 * 60_000 - 1000)
    expect(state.rateLimitedUntil).toBeLessThanOrEqual(Date.now() + 20 * 60_000 + 1000)
    const list = await r.admin('GET', '/admin/openai-responses-accounts')
    const one = list.json.data.find((a: { id: string }) => a.id === accounts[0])
    expect(one.status).toBe('rate_limited')
    const outs = await r.waitOutcomes(1)
    expect(outs).toHaveLength(1)
    expect(outs[0]!.attempts.map((a) => a.status)).toEqual([429, 200])

    // The next request skips the limited account without asking it.
    oa.reset()
    await client().responses.create({ model: 'gpt-5', input: 'again' })
    expect(oa.received.map((x) => x.account)).toEqual(['sk-oa-two'])
  })

  test('a refusal no account can change is passed on in the OpenAI envelope with its status', async () => {
    oa.script('*', {
      kind: 'error',
      status: 400,
      body: {
        error: {
          message: 'Unsupported parameter: foo',
          type: 'invalid_request_error',
          param: 'foo',
          code: null,
        },
      },
    })
    const err = await client()
      .responses.create({ model: 'gpt-5', input: 'x' })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect((err as Error).message).toContain('Unsupported parameter: foo')
    const outs = await r.waitOutcomes(1)
    expect(outs[0]).toMatchObject({ outcome: 'error', status: 400 })
  })

  test('a stream cut midway ends with an OpenAI error event and an error record', async () => {
    oa.script('sk-oa-one', { kind: 'cut', afterEvents: 4 })
    const res = await fetch(`${r.url}/openai/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-5', input: 'hi', stream: true }),
    })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text).toContain('response.created')
    const last = text.trim().split('\n\n').at(-1)!
    expect(last).toStartWith('event: error\ndata: ')
    const ev = JSON.parse(last.split('data: ')[1]!)
    expect(ev).toMatchObject({ type: 'error', code: 'api_error' })
    const outs = await r.waitOutcomes(1)
    expect(outs[0]).toMatchObject({ outcome: 'error', stream: true })
  })

  test('/openai/key-info and /openai/usage show the calling key', async () => {
    await client().responses.create({ model: 'gpt-5', input: 'count me' })
    await r.waitOutcomes(1)
    await r.relay.services.usage.flush()
    const info = await fetch(`${r.url}/openai/key-info`, { headers: { 'x-api-key': key } })
    expect(info.status).toBe(200)
    const j = (await info.json()) as { keyInfo: { id: string; usage: { requests: number } } }
    expect(j.keyInfo.id).toBe(keyId)
    expect(j.keyInfo.usage.requests).toBeGreaterThan(0)
    const usage = await fetch(`${r.url}/openai/usage`, {
      headers: { authorization: `Bearer ${key}` },
    })
    expect(usage.status).toBe(200)
    const u = (await usage.json()) as { usage: { total: { inputTokens: number } } }
    expect(u.usage.total.inputTokens).toBeGreaterThan(0)
    const bad = await fetch(`${r.url}/openai/usage`, { headers: { authorization: 'Bearer cr_x' } })
    expect(bad.status).toBe(401)
    expect(((await bad.json()) as { error: { type: string } }).error.type).toBe(
      'authentication_error',
    )
  })

  test('requests of one Codex session stick to one account (session_id header or body)', async () => {
    await r.admin('PUT', `/admin/openai-responses-accounts/${accounts[1]}`, { priority: 10 })
    try {
      const send = (headers: Record<string, string>, body: Record<string, unknown> = {}) =>
        fetch(`${r.url}/openai/responses`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${key}`,
            'content-type': 'application/json',
            ...headers,
          },
          body: JSON.stringify({ model: 'gpt-5', input: 'x', ...body }),
        }).then((res) => res.text())
      for (let i = 0; i < 4; i++) await send({ session_id: 'sess-aaaaaaaaaaaaaaaaaaaaaaaa' })
      const bySession = new Set(oa.received.map((x) => x.account))
      expect(bySession.size).toBe(1)
      oa.reset()
      for (let i = 0; i < 3; i++) await send({}, { prompt_cache_key: 'conv-bbbbbbbbbbbbbbbbbb' })
      expect(new Set(oa.received.map((x) => x.account)).size).toBe(1)
      oa.reset()
      // Without a session the two accounts of equal priority take turns.
      for (let i = 0; i < 4; i++) await send({})
      expect(new Set(oa.received.map((x) => x.account)).size).toBe(2)
    } finally {
      await r.admin('PUT', `/admin/openai-responses-accounts/${accounts[1]}`, { priority: 20 })
    }
  })

  test('the Responses API over WebSocket: a warm-up answered locally, a turn relayed and recorded once', async () => {
    const ws = new WebSocket(`${r.url.replace('http', 'ws')}/openai/v1/responses`, {
      headers: { authorization: `Bearer ${key}` },
    } as unknown as string[])
    const frames: Record<string, unknown>[] = []
    let waiting: (() => void) | null = null
    ws.onmessage = (e) => {
      frames.push(JSON.parse(String(e.data)))
      waiting?.()
    }
    const until = async (type: string, n: number) => {
      while (frames.filter((f) => f.type === type).length < n)
        await new Promise<void>((resolve) => {
          waiting = resolve
        })
    }
    await new Promise((resolve, reject) => {
      ws.onopen = resolve
      ws.onerror = reject
    })
    ws.send(
      JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'x', generate: false }),
    )
    await until('response.completed', 1)
    expect(oa.received).toHaveLength(0)
    ws.send(
      JSON.stringify({ type: 'response.create', model: 'gpt-5', input: 'hello', stream: true }),
    )
    await until('response.completed', 2)
    const deltas = frames.filter((f) => f.type === 'response.output_text.delta')
    expect(deltas.map((d) => d.delta).join('')).toBe('Hello from the fake OpenAI')
    expect(oa.received).toHaveLength(1)
    ws.send(JSON.stringify({ type: 'nonsense' }))
    await until('error', 1)
    ws.close()
    const outs = await r.waitOutcomes(1)
    await Bun.sleep(30)
    expect(r.outcomes).toHaveLength(1)
    expect(outs[0]).toMatchObject({ outcome: 'success', usage: { inputTokens: 100 } })

    const bad = await fetch(`${r.url}/openai/v1/responses`, {
      headers: { upgrade: 'websocket', connection: 'Upgrade', authorization: 'Bearer cr_nope' },
    })
    expect(bad.status).toBe(401)
  })
})
