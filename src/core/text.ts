/**
 * @module
 * Text helpers shared by the history capture and both storage adapters.
 */

/** Byte length of `text` encoded as UTF-8, without encoding it (a lone surrogate counts 3). */
export function utf8Length(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4
      i++
    } else n += 3
  }
  return n
}
