/**
 * History bodies at rest: large compressible ones are packed, everything else stays text, and a
 * packed body is told apart from any text body by its first bytes.
 */
import { expect, test } from 'bun:test'
import { isPacked, PACK_FROM_BYTES, packBody, unpackBody } from '../../src/storage/body-codec.ts'

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
