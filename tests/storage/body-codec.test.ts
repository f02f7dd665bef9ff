/**
 * History bodies at rest: large compressible ones are packed, everything else stays text, and a
 * packed body is told apart from any text body by its first bytes. On Redis, a record's bodies
 * field frames both bodies unescaped, and records written before the framing still read.
 */
import { describe, expect, test } from 'bun:test'
import type { HistoryRecord } from '../../src/history/model.ts'
import { isPacked, PACK_FROM_BYTES, packBody, unpackBody } from '../../src/storage/body-codec.ts'
import { decodeBodies, encodeHistoryRecord } from '../../src/storage/redis/history-repo.ts'

const prose = (n: number) =>
  Array.from({ length: n }, (_, i) => `Ligne ${i}: le café était « ${i % 9} » — 😀`).join('\n')

test('a large compressible body is packed and unpacks to the same text', () => {
  const text = prose(500)
  const packed = packBody(text)
  expect(packed).not.toBeNull()
  expect(packed!.byteLength).toBeLessThan(Buffer.byteLength(text) / 4)
  expect(isPacked(packed!)).toBe(true)
  expect(unpackBody(packed!)).toBe(text)
})

test('short bodies and bodies that do not shrink by a fifth stay text', () => {
  expect(packBody('')).toBeNull()
  expect(packBody('a'.repeat(PACK_FROM_BYTES - 1))).toBeNull()
  // 700 three-byte characters: 2,100 bytes, over the threshold by bytes though not by length.
  expect(packBody('€'.repeat(700))).not.toBeNull()
  // Random printable ASCII carries 6.6 bits a byte: it cannot shrink by a fifth.
  const noise = String.fromCharCode(
    ...crypto.getRandomValues(new Uint8Array(6000)).map((b) => 32 + (b % 95)),
  )
  expect(packBody(noise)).toBeNull()
})

test('no text body reads as packed', () => {
  for (const text of ['{"requestBody":"x"}', '', '(', '\u00fd/\u00b5(', '\u0028\u00b5\u002f\u00fd'])
    expect(isPacked(new TextEncoder().encode(text))).toBe(false)
})

describe('redis history bodies field', () => {
  const bodies = {
    attempts: [{ accountId: 'a1', status: 529, ms: 12 }],
    requestHeaders: { 'user-agent': 'claude-cli/2.0', 'x-api-key': '[REDACTED]' },
    // A JSON request body with quotes, escapes, newlines and text beyond the BMP.
    requestBody: `{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"a \\"quoted\\" line\\nnext 😀"}]}${'\n'.repeat(3)}`,
    responseBody: prose(300),
  }
  const record = (over: object = {}) =>
    ({ id: 'req_1', startTime: 1, ...bodies, ...over }) as unknown as HistoryRecord

  test('framed bodies round-trip, packed when large and as text when small', () => {
    const big = encodeHistoryRecord(record())
    expect(Buffer.isBuffer(big.b)).toBe(true)
    expect(decodeBodies(big.b as Buffer)).toEqual(bodies)
    const small = encodeHistoryRecord(record({ responseBody: 'ok', attempts: undefined }))
    expect(typeof small.b).toBe('string')
    expect(decodeBodies(Buffer.from(small.b as string))).toEqual({
      requestHeaders: bodies.requestHeaders,
      requestBody: bodies.requestBody,
      responseBody: 'ok',
    })
    // The summary holds none of the bodies.
    expect(big.s).not.toContain('quoted')
    expect(big.z).toBe(Buffer.byteLength(big.s) + (big.b as Buffer).byteLength)
  })

  test('records written before framing (one JSON object, packed or not) still read', () => {
    const json = JSON.stringify(bodies)
    expect(decodeBodies(Buffer.from(json))).toEqual(bodies)
    expect(decodeBodies(packBody(json)!)).toEqual(bodies)
  })

  test('empty bodies read as empty strings; an absent field as nothing', () => {
    const r = encodeHistoryRecord(record({ requestBody: '', responseBody: '' }))
    expect(decodeBodies(Buffer.from(r.b as string))).toMatchObject({
      requestBody: '',
      responseBody: '',
    })
    expect(decodeBodies(null)).toEqual({})
  })
})
