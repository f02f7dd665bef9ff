/**
 * @module
 * Text helpers shared by the history capture and both storage adapters.
 */
import { Buffer } from 'node:buffer'

/** Byte length of `text` encoded as UTF-8, without encoding it (a lone surrogate counts 3). */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}
