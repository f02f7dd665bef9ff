/**
 * Reading the reasoning tokens of an OpenAI answer when its history record is built: the usage
 * field, not a mention of it inside the answer's text, and 0 when there is none.
 */
import { describe, expect, test } from 'bun:test'
import { reasoningTokensIn } from '../../../src/history/writer.ts'

describe('reasoningTokensIn', () => {
  test('reads Responses and Chat Completions usage', () => {
    expect(reasoningTokensIn('{"usage":{"output_tokens_details":{"reasoning_tokens":12}}}')).toBe(
      12,
    )
    expect(
      reasoningTokensIn('{"usage":{"completion_tokens_details": { "reasoning_tokens" : 3 }}}'),
    ).toBe(3)
  })

  test('skips the field quoted inside a string and keeps the last real one', () => {
    const text = JSON.stringify({
      output: [{ content: [{ text: 'says {"reasoning_tokens": 999}' }] }],
      usage: { output_tokens_details: { reasoning_tokens: 7 } },
    })
    expect(reasoningTokensIn(text)).toBe(7)
    const quotedOnly = JSON.stringify({ text: '"reasoning_tokens": 5' })
    expect(reasoningTokensIn(quotedOnly)).toBe(0)
  })

  test('a long answer is searched only near its end, where its usage is', () => {
    const long = JSON.stringify({
      output: [{ content: [{ text: 'x'.repeat(300_000) }] }],
      usage: { output_tokens_details: { reasoning_tokens: 42 } },
      metadata: {},
    })
    expect(reasoningTokensIn(long)).toBe(42)
    // A field far before the tail (inside output) is not the usage.
    const early = `{"reasoning_tokens":9,"text":"${'y'.repeat(20_000)}"}`
    expect(reasoningTokensIn(early)).toBe(0)
  })

  test('is 0 without the field, at the very start, or with no number', () => {
    expect(reasoningTokensIn('')).toBe(0)
    expect(reasoningTokensIn('{"usage":{"output_tokens":3}}')).toBe(0)
    expect(reasoningTokensIn('"reasoning_tokens"')).toBe(0)
    expect(reasoningTokensIn('"reasoning_tokens": null')).toBe(0)
    expect(reasoningTokensIn('"reasoning_tokens":4')).toBe(4)
  })
})
