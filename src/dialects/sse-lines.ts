/**
 * @module
 * The one place SSE bytes are cut into lines. Chunks arrive split anywhere (inside a line, a
 * multi-byte character or a CRLF); {@link SseLines} hands its caller regions of whole lines and
 * keeps a copy of the partial last line until its newline arrives. Callers either scan a region
 * natively for a few markers (the usage taps, which never decode the bulk of a stream) or take
 * its `data:` payloads as text ({@link SseDataReader}, used by the stream translators).
 */
import { Buffer } from 'node:buffer'

const NL = 10
/** A single line longer than this (no newline) is dropped, bounding memory. */
const MAX_LINE = 8 * 1024 * 1024

/**
 * `chunk` with Buffer's methods (native multi-byte indexOf), same object and bytes. Reading a
 * stream chunk's `.buffer` to wrap it makes the engine give the chunk an ArrayBuffer of its own,
 * copying its bytes: on a stream of small events that was a tenth of the relay's CPU.
 */
function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : (Object.setPrototypeOf(chunk, Buffer.prototype) as Buffer)
}

/** Receives a region `[from, to)` of `buf` holding whole lines, the last ending with a newline. */
export type LineRegion = (buf: Buffer, from: number, to: number) => void

/** Cuts a byte stream into regions of whole lines. */
export class SseLines {
  /** Copies of the current partial line (bytes after the last newline seen), in order. */
  #tail: Buffer[] = []
  #tailBytes = 0

  /** Feeds one chunk; `onRegion` gets every complete line in it (joined with the tail first). */
  push(chunk: Uint8Array, onRegion: LineRegion): void {
    const view = asBuffer(chunk)
    const lastNl = view.lastIndexOf(NL)
    if (lastNl < 0) {
      this.#addTail(view)
      return
    }
    let from = 0
    if (this.#tailBytes > 0) {
      // Only the line that straddles the boundary is joined; the rest is handed over in place.
      const firstNl = view.indexOf(NL)
      this.#tail.push(view.subarray(0, firstNl + 1))
      const joined = Buffer.concat(this.#tail)
      this.#tail = []
      this.#tailBytes = 0
      onRegion(joined, 0, joined.byteLength)
      from = firstNl + 1
    }
    if (from <= lastNl) onRegion(view, from, lastNl + 1)
    if (lastNl + 1 < view.byteLength) this.#addTail(view.subarray(lastNl + 1))
  }

  /** Ends the stream: a partial last line is handed over as if it ended with a newline. */
  close(onRegion: LineRegion): void {
    if (this.#tail.length > 0) {
      this.#tail.push(Buffer.from([NL]))
      const joined = Buffer.concat(this.#tail)
      this.#tail = []
      this.#tailBytes = 0
      onRegion(joined, 0, joined.byteLength)
    }
    this.#tail = []
    this.#tailBytes = 0
  }

  /** Keeps a copy of a partial line (the chunk may be handed to the socket after `push`). */
  #addTail(part: Buffer): void {
    this.#tailBytes += part.byteLength
    if (this.#tailBytes > MAX_LINE) this.#tail = []
    else this.#tail.push(Buffer.from(part))
  }
}

const decoder = new TextDecoder()

/**
 * Calls `onData` with the trimmed payload of every `data:` line in the region `[from, to)` of
 * whole lines that holds one of `needles`, in stream order, each line once. The region is searched
 * natively; lines without a needle (the bulk of a stream) are never decoded.
 */
export function markedDataLines(
  buf: Buffer,
  from: number,
  to: number,
  needles: readonly Buffer[],
  onData: (payload: string) => void,
): void {
  let starts: number[] | null = null
  for (const needle of needles) {
    let i = buf.indexOf(needle, from)
    while (i >= 0 && i < to) {
      const start = i === from ? from : Math.max(from, buf.lastIndexOf(NL, i - 1) + 1)
      if (starts === null) starts = []
      starts.push(start)
      const end = buf.indexOf(NL, i)
      i = end < 0 || end >= to ? -1 : buf.indexOf(needle, end)
    }
  }
  if (starts === null) return
  if (starts.length > 1) starts.sort((a, b) => a - b)
  let last = -1
  for (const start of starts) {
    if (start === last) continue
    last = start
    const nl = buf.indexOf(NL, start)
    const end = nl < 0 || nl > to ? to : nl
    // `data:` lines only; `event:` lines name the same event and carry no JSON.
    if (
      end - start > 5 &&
      buf[start] === 0x64 && // d
      buf[start + 1] === 0x61 && // a
      buf[start + 2] === 0x74 && // t
      buf[start + 3] === 0x61 && // a
      buf[start + 4] === 0x3a // :
    )
      onData(decoder.decode(buf.subarray(start + 5, end)).trim())
  }
}

/**
 * The `data:` payloads of an SSE byte stream as trimmed text, in order (`event:` lines, comments
 * and blank lines skipped; `[DONE]` included, callers decide what it means).
 */
export class SseDataReader {
  #lines = new SseLines()
  #emit: (payload: string) => void
  #region: LineRegion = (buf, from, to) => {
    for (const line of decoder.decode(buf.subarray(from, to)).split('\n')) {
      const l = line.endsWith('\r') ? line.slice(0, -1) : line
      if (!l.startsWith('data:')) continue
      const payload = l.slice(5).trim()
      if (payload) this.#emit(payload)
    }
  }

  constructor(emit: (payload: string) => void) {
    this.#emit = emit
  }

  /** Feeds one chunk. */
  push(chunk: Uint8Array): void {
    this.#lines.push(chunk, this.#region)
  }

  /** Ends the stream (a last line without newline counts). */
  close(): void {
    this.#lines.close(this.#region)
  }
}

/** Every `data:` payload of a whole SSE text, trimmed, in order. */
export function sseDataOf(text: string): string[] {
  const out: string[] = []
  for (const line of text.split('\n')) {
    const l = line.endsWith('\r') ? line.slice(0, -1) : line
    if (!l.startsWith('data:')) continue
    const payload = l.slice(5).trim()
    if (payload) out.push(payload)
  }
  return out
}
