/**
 * @module
 * History bodies at rest. A body of 2 KB or more is stored zstd-compressed (level 1) when that
 * saves at least a fifth: captured prompts, code and answers shrink about threefold, so the same
 * `maxTotalBytes` keeps about three times the history, and SQLite writes (and checkpoints) a third
 * of the pages. Compressing 64 KB costs about what inserting the bytes it saves costs, so the
 * write path is no slower; reading a record back decompresses it (about 200 µs per 64 KB).
 * Smaller bodies, and everything written before this, stay text: readers tell the two apart by
 * type (SQLite) or by the zstd frame's first bytes, which no JSON or text body starts with.
 */
import { Buffer } from 'node:buffer'
import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib'
import { utf8Length } from '../core/text.ts'

/** Bodies shorter than this many UTF-8 bytes are stored as text. */
export const PACK_FROM_BYTES = 2048
const OPTIONS = { params: { [constants.ZSTD_c_compressionLevel]: 1 } }
/** A zstd frame starts with 0xFD2FB528, little-endian. */
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd]

/** `text` compressed, or null when it is short or does not shrink by a fifth (store it as text). */
export function packBody(text: string): Buffer | null {
  // At most three UTF-8 bytes per UTF-16 unit: shorter text is under the threshold. Text that may
  // be under it is measured before it is encoded (a typical short answer is never copied).
  if (text.length < PACK_FROM_BYTES / 3) return null
  if (text.length < PACK_FROM_BYTES && utf8Length(text) < PACK_FROM_BYTES) return null
  const raw = Buffer.from(text, 'utf8')
  if (raw.byteLength < PACK_FROM_BYTES) return null
  const packed = zstdCompressSync(raw, OPTIONS)
  return packed.byteLength > raw.byteLength * 0.8 ? null : packed
}

/** `text` as stored: compressed when that pays, else the text itself. */
export function storedBody(text: string): string | Buffer {
  return packBody(text) ?? text
}

/** Bytes a stored body takes. */
export function storedLength(body: string | Uint8Array): number {
  return typeof body === 'string' ? utf8Length(body) : body.byteLength
}

/** The text of a stored body read back as bytes: compressed, or UTF-8 text. */
export function readStoredBody(bytes: Uint8Array): string {
  return isPacked(bytes) ? unpackBody(bytes) : new TextDecoder().decode(bytes)
}

/** Whether `bytes` is a body written by {@link packBody}. */
export function isPacked(bytes: Uint8Array): boolean {
  return bytes.byteLength >= 4 && MAGIC.every((b, i) => bytes[i] === b)
}

/** The text of a body written by {@link packBody}. */
export function unpackBody(bytes: Uint8Array): string {
  return zstdDecompressSync(bytes).toString('utf8')
}
