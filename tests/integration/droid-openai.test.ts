/**
 * Droid's OpenAI endpoints end to end with the official openai SDK: Responses on
 * `/droid/openai/v1/responses` (and `/droid/openai/responses`) and Chat Completions on
 * `/droid/comm/v1/chat/completions`, relayed to a fake Factory gateway (`/o/v1/...`) as the Factory
 * CLI calls it, with usage and history from the OpenAI dialects; and the Droid CLI with a custom
 * OpenAI model. (The routes are mounted when the OpenAI dialects are registered.)
 */

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { dialectOf } from '../../src/dialects/registry.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { runDroidCli } from '../helpers/droid-cli.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const ready = !!dialectOf('openai-responses') && !!dialectOf('openai-chat')

/** What the fake Factory gateway received. */
interface Seen {
  path: string
  headers: Record<string, string>
  body: Record<string, unknown>
}

const RESPONSES_USAGE = {
  input_tokens: 40,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 9,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 49,
}
const CHAT_USAGE = { prompt_tokens: 33, completion_tokens: 6, total_tokens: 39 }

const sse = (data: Record<string, unknown>) =>
  `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`

/** A fake of Factory's OpenAI endpoints. */
function startFakeFactory() {
  const seen: Seen[] = []
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const url = new URL(req.url)
      const body = (await req.json()) as Record<string, unknown>
      seen.push({ path: url.pathname, headers: Object.fromEntries(req.headers), body })
      const model = String(body.model)
      if (url.pathname === '/o/v1/responses') {
        const response = {
          id: 'resp_factory_1',
          object: 'response',
          created_at: 1_700_000_000,
          status: 'completed',
          model,
          output: [
            {
              id: 'msg_1',
              type: 'message',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text: 'Hello from Factory', annotations: [] }],
            },
          ],
          usage: RESPONSES_USAGE,
        }
        if (body.stream !== true) return Response.json(response)
        const item = response.output[0]!
        const part = item.content[0]!
        const text = part.text
        let n = 0
        const ev = (type: string, data: Record<string, unknown>) =>
          sse({ type, sequence_number: n++, ...data })
        const at = { item_id: item.id, output_index: 0, content_index: 0 }
        const events = [
          ev('response.created', {
            response: { ...response, status: 'in_progress', output: [], usage: null },
          }),
          ev('response.in_progress', {
            response: { ...response, status: 'in_progress', output: [], usage: null },
          }),
          ev('response.output_item.added', {
            output_index: 0,
            item: { ...item, status: 'in_progress', content: [] },
          }),
          ev('response.content_part.added', { ...at, part: { ...part, text: '' } }),
          ev('response.output_text.delta', { ...at, delta: text }),
          ev('response.output_text.done', { ...at, text }),
          ev('response.content_part.done', { ...at, part }),
          ev('response.output_item.done', { output_index: 0, item }),
          ev('response.completed', { response }),
        ]
        return new Response(events.join(''), { headers: { 'content-type': 'text/event-stream' } })
      }
      if (url.pathname === '/o/v1/chat/completions') {
        const base = { id: 'chatcmpl-f1', object: 'chat.completion.chunk', created: 1, model }
        if (body.stream !== true)
          return Response.json({
            id: 'chatcmpl-f1',
            object: 'chat.completion',
            created: 1,
            model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: 'Hi from comm' },
                finish_reason: 'stop',
              },
            ],
            usage: CHAT_USAGE,
          })
        const chunks = [
          {
            ...base,
            choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi from comm' } }],
          },
          { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
          { ...base, choices: [], usage: CHAT_USAGE },
        ]
        const text = `${chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('')}data: [DONE]\n\n`
        return new Response(text, { headers: { 'content-type': 'text/event-stream' } })
      }
      return Response.json({ error: { message: 'not found' } }, { status: 404 })
    },
  })
  return { url: `http://127.0.0.1:${server.port}`, seen, stop: () => server.stop(true) }
}

describe.skipIf(!ready)('Droid OpenAI endpoints', () => {
  let up: FakeUpstream
  let factory: ReturnType<typeof startFakeFactory>
  let r: TestRelay
  let key: string
  let keyId: string

  beforeAll(async () => {
    up = startFakeUpstream()
    factory = startFakeFactory()
    r = await startRelay({ upstream: up, listen: true })
    const res = await r.admin('POST', '/admin/droid-accounts', {
      name: 'droid-openai',
      apiUrl: factory.url,
      apiKeys: ['fk-openai'],
    })
    if (res.status !== 200) throw new Error(JSON.stringify(res.json))
    ;({ id: keyId, key } = await r.createKey({ permissions: 'droid' }))
  })
  afterAll(async () => {
    await r.stop()
    factory.stop()
    up.stop()
  })
  beforeEach(() => {
    factory.seen.length = 0
  })

  test('Responses, streamed and not, on both paths: Factory headers, Droid instructions, usage', async () => {
    const client = new OpenAI({ baseURL: `${r.url}/droid/openai/v1`, apiKey: key, maxRetries: 0 })
    const stream = await client.responses.create({
      model: 'gpt-5-2025-08-07',
      input: 'Say hi',
      instructions: 'Be brief.',
      stream: true,
    })
    let text = ''
    for await (const e of stream) if (e.type === 'response.output_text.delta') text += e.delta
    expect(text).toBe('Hello from Factory')
    const seen = factory.seen[0]!
    expect(seen.path).toBe('/o/v1/responses')
    expect(seen.headers).toMatchObject({
      authorization: 'Bearer fk-openai',
      'x-api-provider': 'azure_openai',
      'x-factory-client': 'cli',
    })
    expect(String(seen.body.instructions)).toStartWith('You are Droid')
    expect(String(seen.body.instructions)).toEndWith('Be brief.')
    const plain = new OpenAI({ baseURL: `${r.url}/droid/openai`, apiKey: key, maxRetries: 0 })
    const whole = await plain.responses.create({ model: 'gpt-5-2025-08-07', input: 'Say hi' })
    expect(whole.output_text).toBe('Hello from Factory')
    await r.settle()
    await r.relay.services.history.flush()
    const records = (await r.admin('GET', `/admin/request-history?apiKeyId=${keyId}&limit=10`)).json
      .data.history as any[]
    const responses = records.filter((h) => String(h.endpoint).includes('/responses'))
    expect(responses).toHaveLength(2)
    for (const h of responses)
      expect(h).toMatchObject({ platform: 'droid', inputTokens: 40, outputTokens: 9 })
  })

  test('Chat Completions on /droid/comm: the provider from the model, usage from the last chunk', async () => {
    const client = new OpenAI({ baseURL: `${r.url}/droid/comm/v1`, apiKey: key, maxRetries: 0 })
    const stream = await client.chat.completions.create({
      model: 'glm-4.6',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? ''
    expect(text).toBe('Hi from comm')
    const seen = factory.seen[0]!
    expect(seen.path).toBe('/o/v1/chat/completions')
    expect(seen.headers['x-api-provider']).toBe('fireworks')
    expect((seen.body.messages as any[])[0]).toMatchObject({ role: 'system' })
    await r.settle()
    await r.relay.services.history.flush()
    const records = (await r.admin('GET', `/admin/request-history?apiKeyId=${keyId}&limit=10`)).json
      .data.history as any[]
    const chat = records.find((h) => String(h.endpoint).includes('/chat/completions'))
    expect(chat).toMatchObject({ platform: 'droid', inputTokens: 33, outputTokens: 6 })
  })

  test('the Droid CLI with a custom OpenAI model on /droid/openai: exit 0, its answer printed', async () => {
    const { code, stdout: out } = await runDroidCli({
      model: 'gpt-5-2025-08-07',
      displayName: 'GPT via relay',
      baseUrl: `${r.url}/droid/openai`,
      apiKey: key,
      provider: 'openai',
    })
    expect(code).toBe(0)
    expect(out).toContain('Hello from Factory')
    expect(factory.seen.length).toBeGreaterThan(0)
    for (const s of factory.seen) expect(s.path).toBe('/o/v1/responses')
  }, 150_000)
})
