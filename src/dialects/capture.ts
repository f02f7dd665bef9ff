/**
 * @module
 * The copy of a stream kept for history: the first `limit` bytes, in one buffer that doubles as
 * it fills, decoded once at the end. Chunks are copied (the forwarded chunk may be handed to the
 * socket, and detached, right after a tap sees it).
 */

const decoder = new TextDecoder()

/** A bounded byte capture. */
export class CaptureBuffer {
  #limit: number
  #buf: Uint8Array | null = null
  #bytes = 0
  /** Bytes past the limit were dropped. */
  truncated = false

  constructor(limit: number) {
    this.#limit = limit
  }

  /** Keeps as much of `chunk` as the limit allows. */
  keep(chunk: Uint8Array): void {
    if (this.truncated || this.#limit <= 0) return
    const take = Math.min(this.#limit - this.#bytes, chunk.byteLength)
    const need = this.#bytes + take
    let buf = this.#buf
    if (!buf || buf.byteLength < need) {
      const size = Math.min(this.#limit, Math.max(need, (buf?.byteLength ?? 2048) * 2))
      const grown = new Uint8Array(size)
      if (buf) grown.set(buf.subarray(0, this.#bytes))
      buf = this.#buf = grown
    }
    buf.set(take === chunk.byteLength ? chunk : chunk.subarray(0, take), this.#bytes)
    this.#bytes = need
    if (take < chunk.byteLength) this.truncated = true
  }

  /** The captured text (the buffer is released). */
  text(): string {
    if (!this.#buf) return ''
    const t = decoder.decode(this.#buf.subarray(0, this.#bytes))
    this.#buf = null
    return t
  }
}
