/**
 * OpenAI-compatible chat on the Gemini accounts: the official `openai` SDK on
 * `/openai/gemini/v1/chat/completions` (streamed and whole, answers in OpenAI's format whichever
 * kind of Gemini account serves), the unified `/openai/v1/chat/completions` sending `gemini-*`
 * models to Gemini, the model lists, and the old `/gemini/messages`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { type FakeGemini, startFakeGemini } from '../fakes/fake-gemini.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let g: FakeGemini
let r: TestRelay
let key: string
let oauthKey: string

const client = (path: string, apiKey = key) =>
  new OpenAI({ baseURL: `${r.url}${path}`, apiKey, maxRetries: 0 })

beforeAll(async () => {
  up = startFakeUpstream()
  g = startFakeGemini()
  r = await startRelay({ upstream: up, listen: true, env: { GEMINI_OAUTH_TOKEN_URL: g.tokenUrl } })
  await r.admin('POST', '/admin/gemini-api-accounts', {
    name: 'oa-gem',
    baseUrl: g.url,
    apiKey: 'AIza-oa-gem-0123456789abcdefghij',
  })
  const oauth = await r.admin('POST', '/admin/gemini-accounts', {
    name: 'oa-google',
    codeAssistEndpoint: g.url,
    accountType: 'dedicated',
    projectId: 'my-project',
    geminiOauth: {
      access_token: 'ya29-access-0123456789abcdef',
      refresh_token: 'refresh-0123456789abcdef',
      expiry_date: Date.now() + 3_600_000,
    },
  })
  key = (await r.createKey({ permissions: 'gemini' })).key
  oauthKey = (await r.createKey({ geminiAccountId: oauth.json.data.id })).key
})
afterAll(async () => {
  await r.stop()
  g.stop()
  up.stop()
})

describe('openai SDK → relay → Gemini', () => {
  test('streamed chat completion in OpenAI format, usage included, history recorded', async () => {
    g.script({ kind: 'ok', text: 'Bonjour from Gemini' })
    const before = r.outcomes.length
    const stream = await client('/openai/gemini/v1').chat.completions.create({
      model: 'gemini-2.5-flash',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'Answer in French.' },
        { role: 'user', content: 'Hello' },
      ],
    })
    let text = ''
    let finish: string | null = null
    let usage: OpenAI.CompletionUsage | null | undefined
    for await (const c of stream) {
      expect(c.object).toBe('chat.completion.chunk')
      text += c.choices[0]?.delta.content ?? ''
      finish = c.choices[0]?.finish_reason ?? finish
      if (c.usage) usage = c.usage
    }
    expect(text).toBe('Bonjour from Gemini')
    expect(finish).toBe('stop')
    expect(usage?.prompt_tokens).toBe(40)
    expect(usage?.completion_tokens).toBe(17)
    const sent = g.received.at(-1)!
    expect(sent.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent')
    expect(sent.body.systemInstruction).toEqual({ parts: [{ text: 'Answer in French.' }] })
    const [o] = (await r.waitOutcomes(before + 1)).slice(before)
    expect(o!.endpoint).toBe('/openai/gemini/v1/chat/completions')
    expect(o!.usage?.outputTokens).toBe(17)
    expect(o!.outcome).toBe('success')
  })

  test('a Google-login account answers in OpenAI format too (not Code Assist format)', async () => {
    const res = await client('/openai/gemini/v1', oauthKey).chat.completions.create({
      model: 'gemini-2.5-pro',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(res.object).toBe('chat.completion')
    expect(res.choices[0]!.message.content).toBe('Hello from ya29-acces')
    expect(g.received.at(-1)!.path).toBe('/v1internal:generateContent')
    expect(g.received.at(-1)!.body.project).toBe('my-project')
    let text = ''
    for await (const c of await client('/openai/gemini/v1', oauthKey).chat.completions.create({
      model: 'gemini-2.5-pro',
      stream: true,
      messages: [{ role: 'user', content: 'Hi' }],
    }))
      text += c.choices[0]?.delta.content ?? ''
    expect(text).toBe('Hello from ya29-acces')
  })

  test('tool calls both ways', async () => {
    g.script({
      kind: 'ok',
      text: ' ',
      functionCall: { name: 'get_weather', args: { city: 'Paris' } },
    })
    const res = await client('/openai/gemini/v1').chat.completions.create({
      model: 'gemini-2.5-flash',
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: {} } },
        },
      ],
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'c1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
      ],
    })
    const call = res.choices[0]!.message.tool_calls?.[0]
    expect(res.choices[0]!.finish_reason).toBe('tool_calls')
    expect(call?.type === 'function' && call.function.name).toBe('get_weather')
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({
      city: 'Paris',
    })
    const contents = g.received.at(-1)!.body.contents as { role: string; parts: unknown[] }[]
    expect(contents.map((c) => c.role)).toEqual(['user', 'model', 'user'])
    expect(contents[2]!.parts[0]).toEqual({
      functionResponse: { name: 'get_weather', response: { content: 'sunny' } },
    })
  })

  test('the unified route sends gemini-* models to Gemini; model lists; the old /gemini/messages', async () => {
    const res = await client('/openai/v1').chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(res.choices[0]!.message.content).toBe('Hello from AIza-oa-ge')
    const list = await client('/openai/gemini/v1').models.list()
    expect(list.data.map((m) => m.id)).toContain('gemini-2.5-pro')
    const one = await client('/openai/gemini/v1').models.retrieve('gemini-2.5-pro')
    expect(one.id).toBe('gemini-2.5-pro')
    const old = await fetch(`${r.url}/gemini/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Hi' }] }),
    })
    expect(((await old.json()) as { object: string }).object).toBe('chat.completion')
    const oldModels = await fetch(`${r.url}/gemini/models`, { headers: { 'x-api-key': key } })
    expect(((await oldModels.json()) as { object: string }).object).toBe('list')
    for (const path of ['/gemini/usage', '/gemini/key-info']) {
      const res = await fetch(`${r.url}${path}`, { headers: { 'x-goog-api-key': key } })
      expect(res.status).toBe(200)
    }
  })

  test('errors in OpenAI format', async () => {
    const res = await fetch(`${r.url}/openai/gemini/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer cr_${'0'.repeat(64)}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'x' }],
      }),
    })
    expect(res.status).toBe(401)
    const body = (await res.json()) as { error: { type: string; code: string } }
    expect(body.error.type).toBe('authentication_error')
    g.script({
      kind: 'error',
      status: 400,
      body: { error: { code: 400, message: 'bad thing', status: 'INVALID_ARGUMENT' } },
    })
    const up400 = await fetch(`${r.url}/openai/gemini/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: 'x' }],
      }),
    })
    expect(up400.status).toBe(400)
    const j = (await up400.json()) as { error: { message: string; type: string } }
    expect(j.error.message).toBe('bad thing')
    expect(j.error.type).toBe('invalid_request_error')
  })
})
