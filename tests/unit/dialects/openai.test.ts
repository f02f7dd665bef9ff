/**
 * The OpenAI dialects' pure parts: the pass-through tap reads usage, completion and errors from
 * Responses and Chat Completions streams cut at any byte; the assembler rebuilds an answer from
 * the final event or, when the stream was cut, from its deltas; URLs and reset durations.
 */
import { describe, expect, test } from 'bun:test'
import { assembleResponses } from '../../../src/dialects/openai/assemble.ts'
import { openaiResponsesDialect } from '../../../src/dialects/openai/dialect.ts'
import { OpenAITap } from '../../../src/dialects/openai/tap.ts'
import { openaiUsageFrom } from '../../../src/dialects/openai/usage.ts'
import {
  classifyOpenAI,
  codexUrl,
  durationMs,
  responsesUrl,
} from '../../../src/platforms/openai/protocol.ts'
import { responseEvents } from '../../fakes/fake-openai.ts'

const enc = new TextEncoder()

describe('OpenAI tap', () => {
  const text = responseEvents('gpt-5', 'Hello, wörld 🌍', { name: 'f', arguments: '{"a":1}' }).join(
    '',
  )
  test('a Responses stream cut at every byte: usage with cached input, model, complete', () => {
    const bytes = enc.encode(text)
    for (const step of [1, 7, 64, bytes.length]) {
      const tap = new OpenAITap('responses', { captureLimit: 1 << 20, model: 'asked' })
      for (let i = 0; i < bytes.length; i += step) tap.push(bytes.subarray(i, i + step))
      const f = tap.finish()
      expect(f.complete).toBe(true)
      expect(f.error).toBeNull()
      expect(f.model).toBe('gpt-5')
      expect(f.usage).toEqual({
        inputTokens: 100,
        outputTokens: 30,
        reasoningTokens: 10,
        cacheCreate5mTokens: 0,
        cacheCreate1hTokens: 0,
        cacheReadTokens: 20,
      })
      expect(f.captured).toBe(text)
    }
  })

  test('an error event and a failed response are errors; a stream without the end is not complete', () => {
    const tap = new OpenAITap('responses', { captureLimit: 0 })
    tap.push(enc.encode(text.slice(0, 300)))
    tap.push(openaiResponsesDialect.streamError('api_error', 'cut', 'req_1'))
    const f = tap.finish()
    expect(f.complete).toBe(false)
    expect(f.error).toEqual({ type: 'api_error', message: 'cut' })
  })

  test('a chat stream: usage from the usage chunk, [DONE] completes it', () => {
    const tap = new OpenAITap('chat', { captureLimit: 0 })
    tap.push(enc.encode('data: {"choices":[{"delta":{"content":"hi"}}],"usage":null}\n\n'))
    tap.push(
      enc.encode(
        'data: {"model":"gpt-4o-2024","choices":[],"usage":{"prompt_tokens":10,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens":2}}\n\ndata: [DONE]\n\n',
      ),
    )
    const f = tap.finish()
    expect(f.complete).toBe(true)
    expect(f.model).toBe('gpt-4o-2024')
    expect(f.usage).toMatchObject({ inputTokens: 6, cacheReadTokens: 4, outputTokens: 2 })
  })
})

describe('Responses assembly', () => {
  test('from the final event, text capped at the limit', () => {
    const text = responseEvents('gpt-5', 'abcdefghij').join('')
    const r = assembleResponses(text, 4)!
    expect(r.cut).toBe(true)
    expect((r.message.output as { content: { text: string }[] }[])[0]!.content[0]!.text).toBe(
      'abcd',
    )
  })

  test('a cut stream: put together from created, items and deltas', () => {
    const events = responseEvents('gpt-5', 'Hello there', { name: 'get', arguments: '{"x":2}' })
    const cut = events.filter(
      (e) => !e.includes('response.completed') && !e.includes('output_item.done'),
    )
    const r = assembleResponses(cut.join(''))!
    const out = r.message.output as Record<string, unknown>[]
    expect(r.message.model).toBe('gpt-5')
    expect((out[0]!.content as { text: string }[])[0]!.text).toBe('Hello there')
    expect(out[1]).toMatchObject({ type: 'function_call', name: 'get', arguments: '{"x":2}' })
    expect(assembleResponses('data: nothing\n\n')).toBeNull()
  })
})

describe('OpenAI protocol helpers', () => {
  test('usage: cached input out of input; null without usage', () => {
    expect(
      openaiUsageFrom({ input_tokens: 10, input_tokens_details: { cached_tokens: 30 } }),
    ).toMatchObject({
      inputTokens: 0,
      cacheReadTokens: 10,
    })
    expect(openaiUsageFrom(undefined)).toBeNull()
  })

  test('usage: reasoning tokens kept apart from (and bounded by) the output they are part of', () => {
    expect(
      openaiUsageFrom({ output_tokens: 30, output_tokens_details: { reasoning_tokens: 10 } }),
    ).toMatchObject({ outputTokens: 30, reasoningTokens: 10 })
    expect(
      openaiUsageFrom({ completion_tokens: 2, completion_tokens_details: { reasoning_tokens: 9 } }),
    ).toMatchObject({ outputTokens: 2, reasoningTokens: 2 })
    expect(openaiUsageFrom({ output_tokens: 5 })).not.toHaveProperty('reasoningTokens')
  })

  test('URLs under a base', () => {
    expect(responsesUrl('https://api.openai.com', false)).toBe(
      'https://api.openai.com/v1/responses',
    )
    expect(responsesUrl('https://api.openai.com/v1/', true)).toBe(
      'https://api.openai.com/v1/responses/compact',
    )
    expect(responsesUrl('https://x.test/api/v1/responses', false)).toBe(
      'https://x.test/api/v1/responses',
    )
    expect(codexUrl('https://chatgpt.com', false)).toBe(
      'https://chatgpt.com/backend-api/codex/responses',
    )
    expect(codexUrl('http://127.0.0.1:9/backend-api/codex', true)).toBe(
      'http://127.0.0.1:9/backend-api/codex/responses/compact',
    )
  })

  test('reset durations and the 429 reset', () => {
    expect(durationMs('20ms')).toBe(20)
    expect(durationMs('6m0s')).toBe(360_000)
    expect(durationMs('1h2m3.5s')).toBe(3_723_500)
    expect(durationMs('soon')).toBeNull()
    const r = classifyOpenAI({
      status: 429,
      headers: new Headers(),
      message: 'limit',
      model: 'gpt-5',
      body: enc.encode('{"error":{"type":"usage_limit_reached","resets_in_seconds":90}}'),
    })
    expect(r.kind === 'http' && r.headers.get('retry-after')).toBe('90')
  })
})
