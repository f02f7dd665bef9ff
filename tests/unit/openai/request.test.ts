import { describe, expect, test } from 'bun:test'
import { type ChatCompletionRequest, validateChatRequest } from '../../../src/openai/model.ts'
import { toAnthropic } from '../../../src/openai/request.ts'

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=='

/** Validates like the route does, then translates. */
function translate(body: Record<string, unknown>) {
  const v = validateChatRequest({ model: 'claude-sonnet-4-5', ...body })
  if (!v.ok) throw new Error(v.message)
  return toAnthropic(v.value as ChatCompletionRequest)
}

describe('toAnthropic: messages', () => {
  test('system and developer messages are kept and joined, in order, wherever they are', () => {
    const out = translate({
      messages: [
        { role: 'system', content: 'You are a pirate.' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer briefly.' }] },
        { role: 'user', content: 'Hi' },
        { role: 'system', content: 'Never mention ships.' },
      ],
    })
    expect(out.system).toBe('You are a pirate.\n\nAnswer briefly.\n\nNever mention ships.')
    expect(out.messages).toEqual([{ role: 'user', content: 'Hi' }])
  })

  test('no system messages → no system field', () => {
    expect(translate({ messages: [{ role: 'user', content: 'Hi' }] }).system).toBeUndefined()
  })

  test('user and assistant text, text parts and data-URL images', () => {
    const out = translate({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            {
              type: 'image_url',
              image_url: { url: `data:image/png;base64,${PNG}`, detail: 'high' },
            },
          ],
        },
        { role: 'assistant', content: 'A pixel.' },
        { role: 'user', content: 'Thanks' },
      ],
    })
    expect(out.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
        ],
      },
      { role: 'assistant', content: 'A pixel.' },
      { role: 'user', content: 'Thanks' },
    ])
  })

  test('image/jpg is normalised to image/jpeg', () => {
    const out = translate({
      messages: [
        {
          role: 'user',
          content: [{ type: 'image_url', image_url: { url: 'data:image/jpg;base64,AAAA' } }],
        },
      ],
    })
    expect(out.messages[0]?.content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAAA' } },
    ])
  })

  test('assistant tool_calls keep their text first; tool messages merge into one user message', () => {
    const out = translate({
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: 'Let me check both.',
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
            },
            {
              id: 'call_2',
              type: 'function',
              function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
            },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'rainy' }] },
        { role: 'user', content: 'And tomorrow?' },
      ],
    })
    expect(out.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check both.' },
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' },
          {
            type: 'tool_result',
            tool_use_id: 'call_2',
            content: [{ type: 'text', text: 'rainy' }],
          },
        ],
      },
      { role: 'user', content: 'And tomorrow?' },
    ])
  })

  test('assistant tool_calls with null content and empty arguments', () => {
    const out = translate({
      messages: [
        { role: 'user', content: 'now?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'now', arguments: '' } }],
        },
        { role: 'tool', tool_call_id: 'c', content: '12:00' },
      ],
    })
    expect(out.messages[1]).toEqual({
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'c', name: 'now', input: {} }],
    })
  })

  test('tool messages separated by another message are not merged', () => {
    const out = translate({
      messages: [
        { role: 'user', content: 'a' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'r1' },
        {
          role: 'assistant',
          tool_calls: [{ id: 'c2', type: 'function', function: { name: 'f', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c2', content: 'r2' },
      ],
    })
    expect(out.messages.map((m) => m.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ])
    expect(out.messages[4]).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'c2', content: 'r2' }],
    })
  })
})

describe('toAnthropic: parameters', () => {
  const msgs = [{ role: 'user', content: 'Hi' }]

  test('max_tokens: default 4096, max_tokens, max_completion_tokens wins', () => {
    expect(translate({ messages: msgs }).max_tokens).toBe(4096)
    expect(translate({ messages: msgs, max_tokens: 100 }).max_tokens).toBe(100)
    expect(
      translate({ messages: msgs, max_tokens: 100, max_completion_tokens: 200 }).max_tokens,
    ).toBe(200)
  })

  test('temperature is clamped to 0–1; top_p copied; stream only when true', () => {
    expect(translate({ messages: msgs, temperature: 1.7 }).temperature).toBe(1)
    expect(translate({ messages: msgs, temperature: 0.3 }).temperature).toBe(0.3)
    expect(translate({ messages: msgs, top_p: 0.9 }).top_p).toBe(0.9)
    expect(translate({ messages: msgs, stream: true }).stream).toBe(true)
    expect(translate({ messages: msgs, stream: false }).stream).toBeUndefined()
  })

  test('stop: string or array → stop_sequences', () => {
    expect(translate({ messages: msgs, stop: 'END' }).stop_sequences).toEqual(['END'])
    expect(translate({ messages: msgs, stop: ['a', 'b'] }).stop_sequences).toEqual(['a', 'b'])
    expect(translate({ messages: msgs, stop: null }).stop_sequences).toBeUndefined()
  })

  test('tools and every tool_choice', () => {
    const tools = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather of a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } } },
          strict: true,
        },
      },
      { type: 'function', function: { name: 'noop' } },
    ]
    const base = translate({ messages: msgs, tools })
    expect(base.tools).toEqual([
      {
        name: 'get_weather',
        description: 'Weather of a city',
        input_schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
      { name: 'noop', input_schema: { type: 'object', properties: {} } },
    ])
    expect(base.tool_choice).toBeUndefined()
    const choice = (tool_choice: unknown, extra: Record<string, unknown> = {}) =>
      translate({ messages: msgs, tools, tool_choice, ...extra }).tool_choice
    expect(choice('none')).toEqual({ type: 'none' })
    expect(choice('auto')).toEqual({ type: 'auto' })
    expect(choice('required')).toEqual({ type: 'any' })
    expect(choice({ type: 'function', function: { name: 'noop' } })).toEqual({
      type: 'tool',
      name: 'noop',
    })
    expect(choice('required', { parallel_tool_calls: false })).toEqual({
      type: 'any',
      disable_parallel_tool_use: true,
    })
    expect(choice(undefined, { parallel_tool_calls: false })).toEqual({
      type: 'auto',
      disable_parallel_tool_use: true,
    })
    expect(choice('auto', { parallel_tool_calls: true })).toEqual({ type: 'auto' })
  })

  test('response_format json_object / json_schema add a JSON instruction after the system text', () => {
    const obj = translate({
      messages: [{ role: 'system', content: 'Be terse.' }, ...msgs],
      response_format: { type: 'json_object' },
    })
    expect(obj.system?.startsWith('Be terse.\n\n')).toBe(true)
    expect(obj.system).toContain('single valid JSON object')
    const schema = { type: 'object', properties: { answer: { type: 'string' } } }
    const js = translate({
      messages: msgs,
      response_format: { type: 'json_schema', json_schema: { name: 'reply', schema } },
    })
    expect(js.system).toContain('"reply"')
    expect(js.system).toContain(JSON.stringify(schema))
    expect(translate({ messages: msgs, response_format: { type: 'text' } }).system).toBeUndefined()
  })

  test('reasoning_effort → thinking budget, max_tokens raised, temperature removed', () => {
    const low = translate({ messages: msgs, reasoning_effort: 'low', temperature: 0.5 })
    expect(low.thinking).toEqual({ type: 'enabled', budget_tokens: 1024 })
    expect(low.max_tokens).toBe(4096)
    expect(low.temperature).toBeUndefined()
    const med = translate({ messages: msgs, reasoning_effort: 'medium' })
    expect(med.thinking?.budget_tokens).toBe(4096)
    expect(med.max_tokens).toBe(4096 + 4096)
    const high = translate({ messages: msgs, reasoning_effort: 'high', max_tokens: 1000 })
    expect(high.thinking?.budget_tokens).toBe(16384)
    expect(high.max_tokens).toBe(17384)
    const big = translate({ messages: msgs, reasoning_effort: 'high', max_tokens: 30000 })
    expect(big.max_tokens).toBe(30000)
    expect(high.max_tokens).toBeGreaterThan(high.thinking?.budget_tokens ?? 0)
    expect(translate({ messages: msgs, reasoning_effort: 'none' }).thinking).toBeUndefined()
  })

  test('user → metadata.user_id; ignored parameters leave no trace', () => {
    const out = translate({
      messages: msgs,
      user: 'u-42',
      presence_penalty: 1,
      frequency_penalty: 1,
      seed: 7,
      logit_bias: { '50256': -100 },
      n: 1,
      logprobs: false,
      prediction: { type: 'content', content: 'x' },
      modalities: ['text'],
    })
    expect(out).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 4096,
      messages: [{ role: 'user', content: 'Hi' }],
      metadata: { user_id: 'u-42' },
    })
  })
})
