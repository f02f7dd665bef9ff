/**
 * The OpenAI-compatible endpoint end to end: the official `openai` SDK as the client, the relay on
 * a real socket, the fake Anthropic upstream behind it (console accounts).
 */

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let key: string
let accountId: string

const MODEL = 'claude-sonnet-4-5'
const ANSWER = 'Hello from oa-acct: 你好，世界 🌍'
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='
const TOOLS = [
  { id: 'toolu_paris', name: 'get_weather', input: { city: 'Paris' } },
  { id: 'toolu_rome', name: 'get_weather', input: { city: 'Rome' } },
]
const weatherTool = {
  type: 'function' as const,
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } } },
  },
}

const client = (apiKey: string, path = '/openai/claude/v1') =>
  new OpenAI({ baseURL: `${r.url}${path}`, apiKey, maxRetries: 0 })
const lastReceived = () => up.received.at(-1)!

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true })
  accountId = await r.createConsoleAccount('oa-acct')
  key = (await r.createKey()).key
})
afterAll(async () => {
  await r.stop()
  up.stop()
})
beforeEach(async () => {
  up.reset()
  await r.relay.services.accounts.resetState(accountId)
})

describe('OpenAI SDK → relay → Anthropic', () => {
  test('plain chat: system prompt kept, answer, usage with cache tokens, request-id', async () => {
    const { data, response } = await client(key)
      .chat.completions.create({
        model: MODEL,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'developer', content: 'Answer in French.' },
          { role: 'user', content: 'Hi' },
        ],
        temperature: 1.5,
        stop: ['END'],
        user: 'user-7',
      })
      .withResponse()
    expect(response.headers.get('request-id')).toMatch(/.+/)
    expect(data).toMatchObject({
      id: 'chatcmpl-msg_fake_01',
      object: 'chat.completion',
      model: MODEL,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: ANSWER, refusal: null },
          finish_reason: 'stop',
          logprobs: null,
        },
      ],
      usage: {
        prompt_tokens: 95,
        completion_tokens: 12,
        total_tokens: 107,
        prompt_tokens_details: { cached_tokens: 40 },
      },
    })
    expect(data.choices[0]?.message.tool_calls).toBeUndefined()
    const sent = lastReceived()
    expect(sent.path).toBe('/v1/messages')
    expect(sent.body).toEqual({
      model: MODEL,
      max_tokens: 4096,
      system: 'You are terse.\n\nAnswer in French.',
      messages: [{ role: 'user', content: 'Hi' }],
      temperature: 1,
      stop_sequences: ['END'],
      metadata: { user_id: 'user-7' },
    })
    expect(JSON.stringify(sent.headers)).not.toContain(key)
    const out = (await r.waitOutcomes(r.outcomes.length)).at(-1)!
    expect(out).toMatchObject({
      outcome: 'success',
      endpoint: '/openai/claude/v1/chat/completions',
      stream: false,
    })
  })

  test('streaming chat (alias path) with include_usage', async () => {
    const stream = await client(key, '/api/v1').chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = []
    for await (const c of stream) chunks.push(c)
    expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' })
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['chatcmpl-msg_fake_01']))
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === MODEL)).toBe(
      true,
    )
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')
    expect(text).toBe(ANSWER)
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop')
    expect(chunks.at(-1)?.choices).toEqual([])
    expect(chunks.at(-1)?.usage).toMatchObject({
      prompt_tokens: 95,
      completion_tokens: 12,
      total_tokens: 107,
    })
    expect(lastReceived().body.stream).toBe(true)
    const n = r.outcomes.length
    const out = (await r.waitOutcomes(n + 1, 1000)).at(-1)!
    expect(out).toMatchObject({
      outcome: 'success',
      stream: true,
      endpoint: '/api/v1/chat/completions',
    })
  })

  test('/openai/v1 alias and the model lists (OpenAI shape; /api/v1/models unchanged)', async () => {
    const page = await client(key, '/openai/v1').models.list()
    expect(page.data.length).toBeGreaterThan(0)
    expect(page.data[0]).toMatchObject({ object: 'model', owned_by: 'anthropic' })
    expect(typeof page.data[0]?.created).toBe('number')
    const other = await client(key).models.list()
    expect(other.data.map((m) => m.id)).toEqual(page.data.map((m) => m.id))
    const anthropic = await fetch(`${r.url}/api/v1/models`, { headers: { 'x-api-key': key } })
    const json = (await anthropic.json()) as { data: Array<Record<string, unknown>> }
    expect(json.data[0]).toMatchObject({ type: 'model' })
    expect(json.data[0]?.display_name).toBeString()
    const c = await client(key, '/openai/v1').chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(c.choices[0]?.message.content).toBe(ANSWER)
  })

  for (const streaming of [false, true]) {
    test(`multi-turn tool calling (${streaming ? 'streaming' : 'non-streaming'})`, async () => {
      up.script('*', { kind: 'ok', text: 'Checking both.', tools: TOOLS })
      const sdk = client(key)
      const messages: ChatCompletionMessageParam[] = [
        { role: 'user', content: 'Weather in Paris and Rome?' },
      ]
      const ask = {
        model: MODEL,
        messages,
        tools: [weatherTool],
        tool_choice: 'auto' as const,
        parallel_tool_calls: false,
      }
      let assistant: OpenAI.Chat.Completions.ChatCompletionMessage
      if (streaming) {
        const stream = await sdk.chat.completions.create({ ...ask, stream: true })
        let content = ''
        let finish: string | null = null
        const calls: Array<{ id: string; name: string; arguments: string }> = []
        for await (const c of stream) {
          const choice = c.choices[0]
          if (!choice) continue
          content += choice.delta.content ?? ''
          if (choice.finish_reason) finish = choice.finish_reason
          for (const t of choice.delta.tool_calls ?? []) {
            if (t.id) calls[t.index] = { id: t.id, name: t.function?.name ?? '', arguments: '' }
            const call = calls[t.index]
            expect(call).toBeDefined()
            call!.arguments += t.function?.arguments ?? ''
          }
        }
        expect(finish).toBe('tool_calls')
        // Text came first (content block 0), yet tool calls are numbered 0 and 1.
        expect(calls.map((c) => c.id)).toEqual(['toolu_paris', 'toolu_rome'])
        assistant = {
          role: 'assistant',
          content,
          refusal: null,
          tool_calls: calls.map((c) => ({
            id: c.id,
            type: 'function',
            function: { name: c.name, arguments: c.arguments },
          })),
        }
      } else {
        const res = await sdk.chat.completions.create(ask)
        expect(res.choices[0]?.finish_reason).toBe('tool_calls')
        assistant = res.choices[0]!.message
      }
      expect(assistant.content).toBe('Checking both.')
      expect(assistant.tool_calls).toEqual([
        {
          id: 'toolu_paris',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
        },
        {
          id: 'toolu_rome',
          type: 'function',
          function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
        },
      ])
      expect(lastReceived().body).toMatchObject({
        tools: [
          {
            name: 'get_weather',
            description: 'Current weather of a city',
            input_schema: weatherTool.function.parameters,
          },
        ],
        tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      })

      up.script('*', { kind: 'ok', text: 'Sunny in Paris, rainy in Rome.' })
      messages.push(
        assistant,
        { role: 'tool', tool_call_id: 'toolu_paris', content: 'sunny, 24°C' },
        { role: 'tool', tool_call_id: 'toolu_rome', content: 'rainy, 18°C' },
      )
      const second = streaming
        ? await collectText(await sdk.chat.completions.create({ ...ask, messages, stream: true }))
        : (await sdk.chat.completions.create({ ...ask, messages })).choices[0]?.message.content
      expect(second).toBe('Sunny in Paris, rainy in Rome.')
      expect(lastReceived().body.messages).toEqual([
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking both.' },
            { type: 'tool_use', id: 'toolu_paris', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_rome', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_paris', content: 'sunny, 24°C' },
            { type: 'tool_result', tool_use_id: 'toolu_rome', content: 'rainy, 18°C' },
          ],
        },
      ])
    })
  }

  test('an image as a data URL becomes a base64 image block', async () => {
    await client(key).chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          ],
        },
      ],
    })
    expect(lastReceived().body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        ],
      },
    ])
  })

  test('response_format and reasoning_effort reach upstream as documented', async () => {
    await client(key).chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Give me JSON' }],
      response_format: { type: 'json_object' },
      reasoning_effort: 'medium',
      temperature: 0.2,
      max_completion_tokens: 2000,
    })
    const body = lastReceived().body
    expect(body.system).toContain('JSON')
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 4096 })
    expect(body.max_tokens).toBe(6096)
    expect(body.temperature).toBeUndefined()
  })
})

describe('errors in OpenAI format', () => {
  test('bad key → AuthenticationError 401', async () => {
    const err = await client('cr_not_a_real_key')
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError)
    expect(err.status).toBe(401)
    expect(err.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' })
    expect(err.headers.get('request-id')).toMatch(/.+/)
    const models = await client('cr_nope')
      .models.list()
      .catch((e) => e)
    expect(models).toBeInstanceOf(OpenAI.AuthenticationError)
  })

  test('http image URL → BadRequestError 400, never fetched', async () => {
    const err = await client(key)
      .chat.completions.create({
        model: MODEL,
        messages: [
          {
            role: 'user',
            content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }],
          },
        ],
      })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect(err.error).toMatchObject({ type: 'invalid_request_error', param: null })
    expect(err.message).toContain(
      'messages[0].content[0].image_url.url: http(s) image URLs are not supported',
    )
    expect(up.received).toHaveLength(0)
  })

  test('n: 2 and logprobs: true → 400', async () => {
    for (const extra of [{ n: 2 }, { logprobs: true }]) {
      const err = await client(key)
        .chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'Hi' }],
          ...extra,
        })
        .catch((e) => e)
      expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    }
    expect(up.received).toHaveLength(0)
  })

  test('key over its rate limit → RateLimitError 429 with retry-after', async () => {
    const limited = await r.createKey({ rateLimitWindow: 1, rateLimitRequests: 1 })
    const ask = { model: MODEL, messages: [{ role: 'user' as const, content: 'Hi' }] }
    await client(limited.key).chat.completions.create(ask)
    const err = await client(limited.key)
      .chat.completions.create(ask)
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.RateLimitError)
    expect(err.status).toBe(429)
    expect(err.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' })
    expect(Number(err.headers.get('retry-after'))).toBeGreaterThan(0)
    const out = (await r.waitOutcomes(r.outcomes.length)).at(-1)!
    expect(out).toMatchObject({
      outcome: 'rejected',
      endpoint: '/openai/claude/v1/chat/completions',
    })
  })

  test('a key without Claude permission → PermissionDeniedError 403', async () => {
    const k = await r.createKey({ permissions: 'openai' })
    const err = await client(k.key)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError)
    expect(err.error.type).toBe('permission_error')
  })

  test('upstream 400 keeps its status and message', async () => {
    up.script('*', {
      kind: 'error',
      status: 400,
      body: {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'max_tokens: too large' },
      },
    })
    const err = await client(key)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.BadRequestError)
    expect(err.error).toMatchObject({
      type: 'invalid_request_error',
      message: 'max_tokens: too large',
    })
  })

  test('every account overloaded (529) → the SDK’s server error with status 529', async () => {
    up.script('*', { kind: 'error', status: 529 })
    const err = await client(key)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.InternalServerError)
    expect(err.status).toBe(529)
    expect(err.error).toMatchObject({ type: 'server_error' })
    // The account is now marked overloaded: the next request is refused by the relay itself.
    const again = await client(key)
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e) => e)
    expect(again).toBeInstanceOf(OpenAI.InternalServerError)
    expect([503, 529]).toContain(again.status)
    expect(again.error.type).toBe('server_error')
  })

  test('an upstream cut mid-stream ends the stream with an OpenAI error the SDK throws', async () => {
    up.script('*', { kind: 'cut', afterEvents: 4 })
    const stream = await client(key).chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    })
    let text = ''
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? ''
    })().catch((e) => e)
    expect(err).toBeInstanceOf(OpenAI.APIError)
    // Depending on timing the relay sees a network error or a stream that just ends early.
    expect(err.message).toMatch(/Upstream connection lost|ended before the answer was complete/)
    expect(text.length).toBeGreaterThan(0)
  })

  test('a client that disconnects mid-stream aborts the upstream request', async () => {
    up.script('*', { kind: 'silence', afterEvents: 4, ms: 3000 })
    const before = up.abortedStreams()
    const n = r.outcomes.length
    const abort = new AbortController()
    const res = await fetch(`${r.url}/openai/claude/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        messages: [{ role: 'user', content: 'Hi' }],
        stream: true,
      }),
      signal: abort.signal,
    })
    const reader = res.body!.getReader()
    await reader.read()
    abort.abort()
    const t0 = Date.now()
    while (up.abortedStreams() === before && Date.now() - t0 < 2000) await Bun.sleep(10)
    expect(up.abortedStreams()).toBe(before + 1)
    const out = (await r.waitOutcomes(n + 1)).at(-1)!
    expect(out).toMatchObject({
      outcome: 'aborted',
      endpoint: '/openai/claude/v1/chat/completions',
    })
  })

  test('raw: invalid JSON → 400 in the OpenAI envelope', async () => {
    const res = await fetch(`${r.url}/openai/claude/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{nope',
    })
    expect(res.status).toBe(400)
    expect(res.headers.get('request-id')).toMatch(/.+/)
    expect(await res.json()).toEqual({
      error: {
        message: 'Cannot parse request body: expected valid JSON',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    })
  })
})

describe('accounting', () => {
  for (const stream of [false, true]) {
    test(`usage, cost and history equal those of the Messages request (${stream ? 'streaming' : 'non-streaming'})`, async () => {
      const a = await r.createKey()
      const b = await r.createKey()
      const messagesRes = await fetch(`${r.url}/api/v1/messages`, {
        method: 'POST',
        headers: { 'x-api-key': a.key, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: MODEL,
          max_tokens: 4096,
          stream,
          messages: [{ role: 'user', content: 'Hi' }],
        }),
      })
      expect(messagesRes.status).toBe(200)
      await messagesRes.text()
      if (stream)
        await collectText(
          await client(b.key).chat.completions.create({
            model: MODEL,
            messages: [{ role: 'user', content: 'Hi' }],
            stream: true,
          }),
        )
      else
        await client(b.key).chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content: 'Hi' }],
        })
      const viaMessages = await outcomeOf(a.id)
      const viaOpenAI = await outcomeOf(b.id)
      expect(viaOpenAI.usage).toEqual(viaMessages.usage)
      expect(viaOpenAI.usage?.cacheReadTokens).toBe(40)
      expect(viaOpenAI.costNanos).toBe(viaMessages.costNanos)
      expect(viaOpenAI.costNanos).toBeGreaterThan(0)
      expect(viaOpenAI.stream).toBe(stream)

      await r.relay.services.history.flush()
      const hm = await r.relay.services.history.get(viaMessages.requestId)
      const ho = await r.relay.services.history.get(viaOpenAI.requestId)
      expect(ho).not.toBeNull()
      const pick = (h: typeof ho) => ({
        model: h?.model,
        stream: h?.stream,
        status: h?.status,
        outcome: h?.outcome,
        accountId: h?.accountId,
        inputTokens: h?.inputTokens,
        outputTokens: h?.outputTokens,
        cacheCreate5mTokens: h?.cacheCreate5mTokens,
        cacheCreate1hTokens: h?.cacheCreate1hTokens,
        cacheReadTokens: h?.cacheReadTokens,
        costNanos: h?.costNanos,
      })
      expect(pick(ho)).toEqual(pick(hm))
      expect(hm?.endpoint).toBe('/api/v1/messages')
      expect(ho?.endpoint).toBe('/openai/claude/v1/chat/completions')
      expect(ho?.requestBody).toContain('"max_tokens":4096')

      await r.relay.services.usage.flush()
      const [ca, cb] = await r.relay.stores.usage.get([
        { scope: 'key', id: a.id, period: 'total' },
        { scope: 'key', id: b.id, period: 'total' },
      ])
      expect(cb).toEqual(ca!)
      expect(cb).toMatchObject({ requests: 1, inputTokens: 25, cacheReadTokens: 40 })
    })
  }
})

/** The recorded outcome of a key's (only) request; a stream is recorded when it has ended. */
async function outcomeOf(keyId: string) {
  const t0 = Date.now()
  while (Date.now() - t0 < 5000) {
    const o = r.outcomes.find((x) => x.key.id === keyId)
    if (o) return o
    await Bun.sleep(5)
  }
  throw new Error(`no outcome for key ${keyId}`)
}

async function collectText(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  let text = ''
  for await (const c of stream) text += c.choices[0]?.delta.content ?? ''
  return text
}
