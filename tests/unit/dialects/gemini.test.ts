/**
 * The Gemini dialect: usage from `usageMetadata` (cached prompt tokens apart, thinking as output),
 * the stream tap on bytes split anywhere (Generative Language and Code Assist events), completion
 * and error events, whole answers (also a non-SSE stream's JSON array), history assembly, Google
 * error bodies with their retry delay, and request parsing per operation.
 */
import { describe, expect, test } from 'bun:test'
import { geminiDialect, geminiDialectFor } from '../../../src/dialects/gemini/dialect.ts'
import { retryDelayOf } from '../../../src/dialects/gemini/errors.ts'
import { geminiUsageFrom } from '../../../src/dialects/gemini/usage.ts'
import { classifyGemini } from '../../../src/platforms/gemini/health.ts'

const enc = new TextEncoder()
const usage = {
  promptTokenCount: 100,
  cachedContentTokenCount: 60,
  candidatesTokenCount: 20,
  thoughtsTokenCount: 7,
  toolUsePromptTokenCount: 3,
}
const ev = (o: unknown) => `data: ${JSON.stringify(o)}\r\n\r\n`
const chunk = (text: string, last = false) => ({
  candidates: [
    {
      content: { role: 'model', parts: [{ text }] },
      ...(last ? { finishReason: 'STOP' } : {}),
    },
  ],
  usageMetadata: last ? usage : { promptTokenCount: 100 },
})

function tapOf(text: string, splitEvery: number) {
  const tap = geminiDialect.createTap({ captureLimit: 1 << 20, model: 'gemini-2.5-pro' })
  const bytes = enc.encode(text)
  for (let i = 0; i < bytes.length; i += splitEvery) tap.push(bytes.slice(i, i + splitEvery))
  return tap.finish()
}

describe('gemini dialect', () => {
  test('usageMetadata: cached part of the prompt at the cache rate, tool prompt as input, thoughts as output', () => {
    expect(geminiUsageFrom(usage)).toEqual({
      inputTokens: 43,
      outputTokens: 27,
      cacheCreate5mTokens: 0,
      cacheCreate1hTokens: 0,
      cacheReadTokens: 60,
      reasoningTokens: 7,
    })
    expect(geminiUsageFrom({ promptTokenCount: 5, candidatesTokenCount: 2 })).not.toHaveProperty(
      'reasoningTokens',
    )
  })

  for (const split of [1, 3, 7, 64, 100_000]) {
    test(`the tap reads the last usage and the finish reason with chunks of ${split} bytes`, () => {
      const text = ev(chunk('Hel')) + ev(chunk('lo 🌍')) + ev(chunk('!', true))
      const f = tapOf(text, split)
      expect(f.usage.outputTokens).toBe(27)
      expect(f.usage.cacheReadTokens).toBe(60)
      expect(f.complete).toBe(true)
      expect(f.error).toBeNull()
      expect(f.captured).toBe(text)
      const answer = geminiDialect.assemble(f.captured)!
      expect(geminiDialect.answerText(answer.message)).toBe('Hello 🌍!')
    })
  }

  test('Code Assist events (wrapped in response) read the same', () => {
    const text = [chunk('a'), chunk('b', true)]
      .map((c) => ev({ response: c, traceId: 't' }))
      .join('')
    const f = tapOf(text, 5)
    expect(f.usage.inputTokens).toBe(43)
    expect(f.complete).toBe(true)
    expect(geminiDialect.answerText(geminiDialect.assemble(f.captured)!.message)).toBe('ab')
  })

  test('a blocked prompt (promptFeedback.blockReason, no candidates) is a complete answer', () => {
    const f = tapOf(ev({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: usage }), 6)
    expect(f.complete).toBe(true)
    expect(f.usage.inputTokens).toBe(43)
  })

  test('a stream without a finish reason is incomplete; an error event is the error', () => {
    expect(tapOf(ev(chunk('partial')), 4).complete).toBe(false)
    const f = tapOf(
      ev(chunk('x')) + ev({ error: { code: 500, message: 'boom', status: 'INTERNAL' } }),
      9,
    )
    expect(f.error).toEqual({ type: 'INTERNAL', message: 'boom' })
  })

  test('history keeps function calls and joins text; thoughts stay apart', () => {
    const text =
      ev({ candidates: [{ content: { parts: [{ text: 'think', thought: true }] } }] }) +
      ev({ candidates: [{ content: { parts: [{ text: 'A' }] } }] }) +
      ev({
        candidates: [
          {
            content: { parts: [{ text: 'B' }, { functionCall: { name: 'f', args: { x: 1 } } }] },
            finishReason: 'STOP',
          },
        ],
        usageMetadata: usage,
      })
    const m = geminiDialect.assemble(text)!.message as {
      candidates: { content: { parts: unknown[] }; finishReason: string }[]
    }
    expect(m.candidates[0]!.content.parts).toEqual([
      { text: 'think', thought: true },
      { text: 'AB' },
      { functionCall: { name: 'f', args: { x: 1 } } },
    ])
    expect(m.candidates[0]!.finishReason).toBe('STOP')
  })

  test('a whole answer, a JSON-array stream and a Code Assist answer give their usage', () => {
    expect(geminiDialect.readAnswer(chunk('x', true)).usage?.outputTokens).toBe(27)
    expect(geminiDialect.readAnswer([chunk('x'), chunk('y', true)]).usage?.outputTokens).toBe(27)
    expect(geminiDialect.readAnswer({ response: chunk('x', true) }).usage?.cacheReadTokens).toBe(60)
  })

  test('429 RESOURCE_EXHAUSTED: the retry delay is in the message and becomes retry-after', () => {
    const body = {
      error: {
        code: 429,
        message: 'Quota exceeded',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '41s' }],
      },
    }
    expect(retryDelayOf(body.error)).toBe(41)
    const message = geminiDialect.upstreamMessage(enc.encode(JSON.stringify(body)))
    expect(message).toBe('Quota exceeded (retry in 41s)')
    const r = classifyGemini({ status: 429, headers: new Headers(), message, model: 'm' })
    expect(r.kind === 'http' && r.headers.get('retry-after')).toBe('41')
    const res = geminiDialect.upstreamErrorResponse(
      { status: 429, body: enc.encode(JSON.stringify(body)), headers: new Headers(), message },
      'req_1',
    )
    expect(res.headers.get('retry-after')).toBe('41')
  })

  test('a 429 whose reset is only in its message still tells the client when to retry', () => {
    const body = {
      error: {
        code: 429,
        message: 'Your quota will reset after 1h2m3s.',
        status: 'RESOURCE_EXHAUSTED',
      },
    }
    const res = geminiDialect.upstreamErrorResponse(
      { status: 429, body: enc.encode(JSON.stringify(body)), headers: new Headers(), message: '' },
      'req_2',
    )
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('3723')
  })

  test('parse: the path model on standard routes, the body model on Code Assist routes', () => {
    const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })
    const p = geminiDialectFor('models/gemini-2.5-pro').parse(body, 'streamGenerateContent')
    expect(p.model).toBe('gemini-2.5-pro')
    expect(p.stream).toBe(true)
    expect(geminiDialectFor('g').parse(body, 'generateContent').stream).toBe(false)
    const ca = geminiDialect.parse(
      JSON.stringify({ model: 'gemini-2.5-flash', request: JSON.parse(body) }),
      'ca:streamGenerateContent',
    )
    expect(ca.model).toBe('gemini-2.5-flash')
    const count = geminiDialect.parse(
      JSON.stringify({ request: { model: 'models/gemini-2.5-pro', contents: [{}] } }),
      'ca:countTokens',
    )
    expect(count.model).toBe('gemini-2.5-pro')
    expect(() => geminiDialectFor('g').parse('{"contents":[]}', 'generateContent')).toThrow(
      'contents',
    )
  })
})
