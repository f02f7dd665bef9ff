/**
 * @module
 * Redis Cluster key slots: CRC16 (XMODEM) of the key's hash tag (the text between the first `{`
 * and the next `}`, when not empty) or of the whole key, modulo 16384.
 */

const TABLE = (() => {
  const t = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i << 8
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff
    t[i] = c
  }
  return t
})()

const encoder = new TextEncoder()

/** The part of `key` its slot is computed from: its hash tag, or the whole key. */
export function hashedPart(key: string): string {
  const open = key.indexOf('{')
  if (open >= 0) {
    const close = key.indexOf('}', open + 1)
    if (close > open + 1) return key.slice(open + 1, close)
  }
  return key
}

/** CRC16 (XMODEM) of the UTF-8 bytes of `text`; ASCII is read without encoding. */
function crc16(text: string): number {
  let crc = 0
  const add = (byte: number) => {
    crc = ((crc << 8) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!) & 0xffff
  }
  if (/^[\x00-\x7f]*$/.test(text)) for (let i = 0; i < text.length; i++) add(text.charCodeAt(i))
  else for (const byte of encoder.encode(text)) add(byte)
  return crc
}

/** The cluster slot (0–16383) of a key. */
export function keySlot(key: string): number {
  return crc16(hashedPart(key)) & 0x3fff
}

let tags: string[] | null = null

/**
 * A short hash tag whose slot is `slot`: `{tag}` in a key puts it in that slot, whatever else the
 * key holds. Found once by trying `0`, `1`, `2`, … until every slot has one.
 */
export function slotTag(slot: number): string {
  if (!tags) {
    const found: string[] = new Array(16384)
    let left = 16384
    for (let i = 0; left > 0; i++) {
      const tag = i.toString(36)
      const s = keySlot(tag)
      if (found[s] === undefined) {
        found[s] = tag
        left--
      }
    }
    tags = found
  }
  return tags[slot]!
}
