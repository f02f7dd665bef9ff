import { describe, expect, test } from 'bun:test'
import { usageFrom } from '../../../src/dialects/anthropic/usage.ts'
import { UsageTap } from '../../../src/dialects/anthropic/usage-tap.ts'
import { streamEvents } from '../../fakes/fake-upstream.ts'

const enc = new TextEncoder()
const full = enc.encode(streamEvents('claude-sonnet-4-6', 'héllo 你好 🌍 world', true).join(''))
const expected = {
  inputTokens: 25,
  outputTokens: 12,
  cacheCreate5mTokens: 10,
  cacheCreate1hTokens: 20,
  cacheReadTokens: 40,
}

/** A deterministic generator of numbers in [0, 1). */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
    return seed / 2_147_483_648
  }
}

/**
 * Pushes `bytes` in random chunks of 1 to `max` bytes, each from one reused buffer overwritten
 * after the push, as a socket's read buffer would be.
 */
function pushReused(tap: UsageTap, bytes: Uint8Array, max: number, rand: () => number): void {
  const scratch = new Uint8Array(max)
  for (let at = 0; at < bytes.length; ) {
    const n = Math.min(bytes.length - at, 1 + Math.floor(rand() * max))
    scratch.set(bytes.subarray(at, at + n))
    tap.push(scratch.subarray(0, n))
    scratch.fill(0x21)
    at += n
  }
}

function run(chunks: Uint8Array[], captureLimit = 1_000_000) {
  const tap = new UsageTap({ captureLimit })
  for (const c of chunks) tap.push(c)
  return tap.finish()
}

describe('UsageTap', () => {
  test('reads usage, model and completion from a whole stream', () => {
    const f = run([full])
    expect(f.usage).toEqual(expected)
    expect(f.model).toBe('claude-sonnet-4-6')
    expect(f.complete).toBe(true)
    expect(f.error).toBeNull()
    expect(f.captured).toBe(new TextDecoder().decode(full))
  })

  test('gives the same result when the stream is split at every byte (inside UTF-8 too)', () => {
    const chunks = Array.from({ length: full.length }, (_, i) => full.subarray(i, i + 1))
    const f = run(chunks)
    expect(f.usage).toEqual(expected)
    expect(f.complete).toBe(true)
    expect(f.captured).toBe(new TextDecoder().decode(full))
    expect(f.bytes).toBe(full.length)
  })

  test('gives the same result for random splits of a stream with 20 KB lines, chunks reused after push', () => {
    const big = enc.encode(streamEvents('claude-sonnet-4-6', 'x'.repeat(20_000), true).join(''))
    const rand = seeded(7)
    for (let round = 0; round < 20; round++) {
      const tap = new UsageTap({ captureLimit: 0 })
      pushReused(tap, big, 8192, rand)
      const f = tap.finish()
      expect(f.usage).toEqual(expected)
      expect(f.complete).toBe(true)
    }
  })

  test('handles CRLF line endings split across chunks', () => {
    const crlf = enc.encode(new TextDecoder().decode(full).replaceAll('\n', '\r\n'))
    const chunks = [crlf.subarray(0, 7), crlf.subarray(7, 300), crlf.subarray(300)]
    expect(run(chunks).usage).toEqual(expected)
  })

  test('a truncated stream keeps the tokens seen so far and is not complete', () => {
    const cut = full.subarray(0, Math.floor(full.length / 2))
    const f = run([cut])
    expect(f.usage.inputTokens).toBe(25)
    expect(f.usage.outputTokens).toBe(1)
    expect(f.complete).toBe(false)
  })

  test('an error event inside a 200 stream is reported', () => {
    const f = run([
      enc.encode(
        'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
      ),
    ])
    expect(f.error).toEqual({ type: 'overloaded_error', message: 'Overloaded' })
  })

  test('the capture is the stream up to its limit, whatever the chunks, from reused buffers', () => {
    const text = streamEvents('claude-sonnet-4-6', 'naïve ☕ '.repeat(3000), true).join('')
    const bytes = enc.encode(text)
    const rand = seeded(11)
    for (const limit of [1, 100, 2047, 2048, 5000, 65_536, bytes.length - 1, bytes.length, 1e9]) {
      const tap = new UsageTap({ captureLimit: limit })
      pushReused(tap, bytes, 4096, rand)
      const f = tap.finish()
      const kept = Math.min(limit, bytes.length)
      expect(f.captured).toBe(new TextDecoder().decode(bytes.subarray(0, kept)))
      expect(f.capturedTruncated).toBe(limit < bytes.length)
      expect(f.bytes).toBe(bytes.length)
      expect(f.usage).toEqual(expected)
    }
  })

  test('capture stops at its limit and says so', () => {
    const f = run([full], 100)
    expect(f.captured.length).toBe(100)
    expect(f.capturedTruncated).toBe(true)
  })
})

describe('usageFrom', () => {
  test('an aggregate cache write without a split is priced as 5-minute writes', () => {
    expect(
      usageFrom({ input_tokens: 1, output_tokens: 2, cache_creation_input_tokens: 300 }),
    ).toMatchObject({
      cacheCreate5mTokens: 300,
      cacheCreate1hTokens: 0,
    })
  })
  test('a split that covers less than the aggregate keeps the remainder as 5-minute writes', () => {
    expect(
      usageFrom({
        cache_creation_input_tokens: 100,
        cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 60 },
      }),
    ).toMatchObject({ cacheCreate5mTokens: 40, cacheCreate1hTokens: 60 })
  })
})
