/**
 * The unified chat routes by model prefix: the openai SDK's `chat.completions` with an OpenAI
 * model reaches an OpenAI account as a real Responses request (system messages as the
 * instructions, tools, token limit), and its answer comes back as Chat Completions, streamed or
 * whole; a `claude-*` model still goes to Claude.
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

const client = (path: string) =>
  new OpenAI({ baseURL: `${r.url}${path}`, apiKey: key, maxRetries: 0 })

beforeAll(async () => {
  up = startFakeUpstream()
  oa = startFakeOpenAI()
  r = await startRelay({ upstream: up, listen: true })
  await r.admin('POST', '/admin/openai-responses-accounts', {
    name: 'unified',
    baseApi: `${oa.url}/v1`,
    apiKey: 'sk-unified',
  })
  await r.createConsoleAccount('claude-unified')
  key = (await r.createKey()).key
})
afterAll(async () => {
  await r.stop()
  oa.stop()
  up.stop()
})
beforeEach(async () => {
  await r.settle()
  oa.reset()
  up.reset()
  r.outcomes.length = 0
})

describe('chat.completions with an OpenAI model on the unified routes', () => {
  for (const path of ['/api/v1', '/openai/v1'])
    test(`${path}: translated to Responses and back, the system prompt kept as instructions`, async () => {
      const data = await client(path).chat.completions.create({
        model: 'gpt-5',
        messages: [
          { role: 'system', content: 'You are a pirate.' },
          { role: 'user', content: 'Hi' },
        ],
        max_tokens: 50,
        reasoning_effort: 'low',
      })
      expect(data.object).toBe('chat.completion')
      expect(data.choices[0]!.message.content).toBe('Hello from the fake OpenAI')
      expect(data.choices[0]!.finish_reason).toBe('stop')
      expect(data.usage).toMatchObject({
        prompt_tokens: 120,
        completion_tokens: 30,
        prompt_tokens_details: { cached_tokens: 20 },
      })
      const got = oa.received.at(-1)!
      expect(got.path).toBe('/v1/responses')
      expect(got.body).toMatchObject({
        model: 'gpt-5',
        instructions: 'You are a pirate.',
        input: [{ role: 'user', content: 'Hi' }],
        max_output_tokens: 50,
        reasoning: { effort: 'low' },
      })
      expect(up.received).toHaveLength(0)
      const [o] = await r.waitOutcomes(1)
      expect(o).toMatchObject({
        endpoint: `${path}/chat/completions`,
        platform: 'openai-responses',
        outcome: 'success',
        usage: { inputTokens: 100, cacheReadTokens: 20, outputTokens: 30 },
      })
    })

  test('streamed, with tools: chunks with text and tool calls, the usage chunk, [DONE]', async () => {
    oa.script('sk-unified', {
      kind: 'ok',
      text: 'Checking',
      toolCall: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    })
    const stream = await client('/openai/v1').chat.completions.create({
      model: 'gpt-5',
      messages: [
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_0', content: 'sunny' },
      ],
      tools: [
        {
          type: 'function',
          function: { name: 'get_weather', parameters: { type: 'object', properties: {} } },
        },
      ],
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let args = ''
    let finish: string | null = null
    let usage: unknown = null
    for await (const c of stream) {
      const ch = c.choices[0]
      text += ch?.delta?.content ?? ''
      args += ch?.delta?.tool_calls?.[0]?.function?.arguments ?? ''
      finish = ch?.finish_reason ?? finish
      if (c.usage) usage = c.usage
    }
    expect(text).toBe('Checking')
    expect(args).toBe('{"city":"Paris"}')
    expect(finish).toBe('tool_calls')
    expect(usage).toMatchObject({ prompt_tokens: 120, completion_tokens: 30 })
    const body = oa.received.at(-1)!.body
    expect(body.stream).toBe(true)
    expect(body.tools).toEqual([
      { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} } },
    ])
    expect(body.input).toEqual([
      { role: 'user', content: 'Weather?' },
      { type: 'function_call', call_id: 'call_0', name: 'get_weather', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_0', output: 'sunny' },
    ])
    const outs = await r.waitOutcomes(1)
    expect(outs).toHaveLength(1)
    expect(outs[0]).toMatchObject({ outcome: 'success', stream: true })
  })

  test('a claude model on the same route still goes to Claude', async () => {
    const data = await client('/api/v1').chat.completions.create({
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: 'Hi' }],
    })
    expect(data.choices[0]!.message.content).toContain('claude-unified')
    expect(oa.received).toHaveLength(0)
    expect(up.received).toHaveLength(1)
  })
})
