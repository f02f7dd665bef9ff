import { describe, expect, test } from 'bun:test'
import {
  createChatStreamTransform,
  finishReason,
  toChatCompletion,
} from '../../../src/openai/response.ts'
import { FAKE_USAGE, messageJson, streamEvents } from '../../fakes/fake-upstream.ts'

const enc = new TextEncoder()
const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`
const NOW = 1_700_000_000_000

const usage = {
  prompt_tokens: 25 + 30 + 40,
  completion_tokens: 12,
  total_tokens: 25 + 30 + 40 + 12,
  prompt_tokens_details: { cached_tokens: 40 },
  completion_tokens_details: { reasoning_tokens: 0 },
}

/** Runs SSE text through the transform, split into chunks of `size` bytes. */
async function run(text: string, size = 0, includeUsage = false) {
  const bytes = enc.encode(text)
  const parts =
    size > 0
      ? Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
          bytes.subarray(i * size, (i + 1) * size),
        )
      : [bytes]
  const source = new ReadableStream<Uint8Array>({
    start(c) {
      for (const p of parts) c.enqueue(p)
      c.close()
    },
  })
  const out = await new Response(
    source.pipeThrough(
      createChatStreamTransform({ model: 'gpt-like', includeUsage, now: NOW, keepAliveMs: 0 }),
    ),
  ).text()
  expect(out.endsWith('data: [DONE]\n\n')).toBe(true)
  const frames = out.split('\n\n').filter(Boolean)
  for (const f of frames) expect(f.startsWith('data: ')).toBe(true)
  return frames
    .map((f) => f.slice(6))
    .filter((d) => d !== '[DONE]')
    .map((d) => JSON.parse(d))
}

describe('toChatCompletion', () => {
  test('text, tool calls, usage with cache tokens, ids and finish reason', () => {
    const msg = messageJson('claude-sonnet-4-5-20250929', 'Let me look.', false, {
      tools: [
        { id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
        { id: 'toolu_b', name: 'get_time', input: {} },
      ],
    })
    msg.content.unshift({ type: 'thinking', thinking: 'secret', signature: 'sig' })
    expect(toChatCompletion(msg, 'claude-sonnet-4-5', NOW)).toEqual({
      id: 'chatcmpl-msg_fake_01',
      object: 'chat.completion',
      created: NOW / 1000,
      model: 'claude-sonnet-4-5',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me look.',
            tool_calls: [
              {
                id: 'toolu_a',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
              { id: 'toolu_b', type: 'function', function: { name: 'get_time', arguments: '{}' } },
            ],
            refusal: null,
          },
          finish_reason: 'tool_calls',
          logprobs: null,
        },
      ],
      usage,
    })
  })

  test('no text → content null; several text blocks are joined', () => {
    const onlyTool = {
      id: 'm',
      content: [{ type: 'tool_use', id: 't', name: 'f', input: { a: 1 } }],
      stop_reason: 'tool_use',
      usage: { input_tokens: 1, output_tokens: 2 },
    }
    const c = toChatCompletion(onlyTool, 'x', NOW)
    expect(c.choices[0]?.message.content).toBeNull()
    expect(c.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 })
    const two = toChatCompletion(
      {
        id: 'm',
        content: [
          { type: 'text', text: 'a' },
          { type: 'text', text: 'b' },
        ],
        stop_reason: 'end_turn',
      },
      'x',
    )
    expect(two.choices[0]?.message.content).toBe('ab')
    expect(two.choices[0]?.message.tool_calls).toBeUndefined()
  })

  test('finish_reason mapping', () => {
    expect(finishReason('end_turn')).toBe('stop')
    expect(finishReason('stop_sequence')).toBe('stop')
    expect(finishReason('max_tokens')).toBe('length')
    expect(finishReason('tool_use')).toBe('tool_calls')
    expect(finishReason('refusal')).toBe('content_filter')
    expect(finishReason('pause_turn')).toBe('stop')
    expect(finishReason(null)).toBe('stop')
  })
})

describe('createChatStreamTransform', () => {
  const full = streamEvents('claude-sonnet-4-5', 'héllo 你好 🌍', false, {
    tools: [
      { id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
      { id: 'toolu_b', name: 'get_time', input: { tz: 'CET' } },
    ],
  }).join('')

  test('role first, text deltas, tool calls numbered among tool calls, finish, [DONE]', async () => {
    const chunks = await run(full)
    for (const c of chunks) {
      expect(c).toMatchObject({
        id: 'chatcmpl-msg_fake_01',
        object: 'chat.completion.chunk',
        created: NOW / 1000,
        model: 'gpt-like',
      })
      expect(c.usage).toBeUndefined()
    }
    const deltas = chunks.map((c) => c.choices[0].delta)
    expect(deltas[0]).toEqual({ role: 'assistant', content: '' })
    const text = deltas.map((d) => d.content ?? '').join('')
    expect(text).toBe('héllo 你好 🌍')
    const calls = deltas.filter((d) => d.tool_calls).map((d) => d.tool_calls[0])
    expect(calls).toEqual([
      {
        index: 0,
        id: 'toolu_a',
        type: 'function',
        function: { name: 'get_weather', arguments: '' },
      },
      { index: 0, function: { arguments: '{"city":' } },
      { index: 0, function: { arguments: '"Paris"}' } },
      { index: 1, id: 'toolu_b', type: 'function', function: { name: 'get_time', arguments: '' } },
      { index: 1, function: { arguments: '{"tz":' } },
      { index: 1, function: { arguments: '"CET"}' } },
    ])
    const last = chunks.at(-1)
    expect(last.choices[0]).toEqual({
      index: 0,
      delta: {},
      logprobs: null,
      finish_reason: 'tool_calls',
    })
    expect(chunks.filter((c) => c.choices[0].finish_reason !== null)).toHaveLength(1)
  })

  test('the same output when split at every byte (SSE lines and UTF-8 across chunks)', async () => {
    expect(await run(full, 1)).toEqual(await run(full))
    expect(await run(full, 7)).toEqual(await run(full))
  })

  test('include_usage: usage null on every chunk, then a final chunk with choices [] and usage', async () => {
    const chunks = await run(streamEvents('m', 'hi').join(''), 0, true)
    for (const c of chunks.slice(0, -1)) expect(c.usage).toBeNull()
    const last = chunks.at(-1)
    expect(last.choices).toEqual([])
    expect(last.usage).toEqual(usage)
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop')
  })

  test('finish reasons from message_delta', async () => {
    const finish = async (stopReason: string) =>
      (await run(streamEvents('m', 'hi', false, { stopReason }).join(''))).at(-1).choices[0]
        .finish_reason
    expect(await finish('max_tokens')).toBe('length')
    expect(await finish('stop_sequence')).toBe('stop')
    expect(await finish('end_turn')).toBe('stop')
    expect(await finish('refusal')).toBe('content_filter')
  })

  test('thinking, signature and ping events are dropped', async () => {
    const events = [
      sse('message_start', {
        type: 'message_start',
        message: { id: 'msg_t', usage: { input_tokens: 3, output_tokens: 1 } },
      }),
      sse('ping', { type: 'ping' }),
      sse('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'thinking', thinking: '' },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'thinking_delta', thinking: 'hmm' },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'signature_delta', signature: 'sig' },
      }),
      sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sse('content_block_start', {
        type: 'content_block_start',
        index: 1,
        content_block: { type: 'tool_use', id: 'toolu_x', name: 'f', input: {} },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 1,
        delta: { type: 'input_json_delta', partial_json: '{}' },
      }),
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use' },
        usage: { output_tokens: 9 },
      }),
      sse('message_stop', { type: 'message_stop' }),
    ].join('')
    const chunks = await run(events, 0, true)
    expect(JSON.stringify(chunks)).not.toContain('hmm')
    expect(JSON.stringify(chunks)).not.toContain('sig')
    const calls = chunks.filter((c) => c.choices[0]?.delta.tool_calls)
    expect(calls[0].choices[0].delta.tool_calls[0]).toMatchObject({ index: 0, id: 'toolu_x' })
    expect(chunks.at(-1).usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 9 })
  })

  test('an error event becomes an OpenAI error frame followed by [DONE]', async () => {
    const events = streamEvents('m', 'hello').slice(0, 4)
    events.push(
      sse('error', {
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
      }),
      sse('message_stop', { type: 'message_stop' }),
    )
    const chunks = await run(events.join(''))
    expect(chunks.at(-1)).toEqual({
      error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded' },
    })
    expect(chunks.filter((c) => c.error)).toHaveLength(1)
  })

  test('a stream that ends without message_stop ends with an error frame', async () => {
    const chunks = await run(streamEvents('m', 'hello').slice(0, 4).join(''))
    expect(chunks.at(-1).error).toMatchObject({ type: 'server_error' })
  })

  test('CRLF line endings are handled', async () => {
    const crlf = streamEvents('m', 'hi').join('').replace(/\n/g, '\r\n')
    const chunks = await run(crlf)
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe('hi')
    expect(chunks.at(-1).choices[0].finish_reason).toBe('stop')
  })

  test('while upstream events produce nothing (pings, thinking), SSE comments keep the line alive', async () => {
    const events = streamEvents('m', 'hi')
    const source = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(enc.encode(events[0]!))
        for (let i = 0; i < 3; i++) {
          await Bun.sleep(15)
          c.enqueue(enc.encode(sse('ping', { type: 'ping' })))
        }
        c.enqueue(enc.encode(events.slice(1).join('')))
        c.close()
      },
    })
    const out = await new Response(
      source.pipeThrough(createChatStreamTransform({ model: 'm', keepAliveMs: 10 })),
    ).text()
    expect(out).toContain(': keep-alive\n\n')
    expect(out).not.toContain('ping')
    expect(out.endsWith('data: [DONE]\n\n')).toBe(true)
  })

  test('usage of the fake matches', () => {
    expect(FAKE_USAGE.cache_read_input_tokens).toBe(usage.prompt_tokens_details.cached_tokens)
  })
})
