/** Cutting a captured request body to the stored length: the same characters on every path. */
import { expect, test } from 'bun:test'
import { capBody, capText } from '../../../src/relay/attempt.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

test('the cut is the first `limit` characters of the body, whatever it is made of', () => {
  const bodies: Uint8Array[] = [
    enc.encode(`{"messages":[${'"plain ascii", '.repeat(400)}"end"]}`),
    enc.encode(`{"text":"${'café 😀 €, '.repeat(300)}"}`),
    // Bytes that are no UTF-8: each reads as U+FFFD.
    new Uint8Array([...enc.encode('{"a":"'), 0xff, 0xfe, 0x80, ...enc.encode('x'.repeat(3000))]),
    new Uint8Array([...enc.encode('x'.repeat(100)), 0xe2, 0x82, ...enc.encode('y'.repeat(3000))]),
  ]
  for (const raw of bodies) {
    const text = dec.decode(raw)
    for (const limit of [1, 7, 100, 101, 102, 103, 1024, 2999, text.length, text.length + 5]) {
      const cut = capBody(raw, text, limit)
      expect(cut).toBe(capText(text, limit))
      expect(cut).toBe(dec.decode(enc.encode(text.slice(0, limit))))
    }
  }
})
