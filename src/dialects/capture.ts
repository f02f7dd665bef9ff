/**
 * @module
 * The copy of a stream kept for history: the first `limit` bytes, in one buffer that doubles as
 * it fills, decoded once at the end. Chunks are copied (the forwarded chunk may be handed to the
 * socket, and detached, right after a tap sees it). {@link CapturingTap} is what every dialect's
 * stream tap shares: the facts, the capture and the cutting into lines.
 */
import type { Buffer } from 'node:buffer'
import { emptyUsage } from '../usage/tokens.ts'
import type { StreamFacts, StreamTap } from './dialect.ts'
import { type LineRegion, SseLines } from './sse-lines.ts'

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

/**
 * A stream tap that keeps the capture and cuts the stream into regions of whole lines; a
 * dialect's tap says how a region is read ({@link scan}) and what is left to do at the end
 * ({@link settle}).
 */
export abstract class CapturingTap implements StreamTap {
  readonly facts: StreamFacts
  #capture: CaptureBuffer
  #lines = new SseLines()
  #region: LineRegion = (buf, from, to) => this.scan(buf, from, to)

  constructor(options: { captureLimit: number; model?: string }) {
    this.#capture = new CaptureBuffer(options.captureLimit)
    this.facts = {
      model: options.model ?? '',
      usage: emptyUsage(),
      complete: false,
      error: null,
      captured: '',
      capturedTruncated: false,
      bytes: 0,
    }
  }

  /** Feeds one forwarded chunk. */
  push(chunk: Uint8Array): void {
    this.facts.bytes += chunk.byteLength
    this.#capture.keep(chunk)
    this.#lines.push(chunk, this.#region)
  }

  /** Scans the last partial line: `facts.complete` and `facts.error` are then final. */
  close(): void {
    this.#lines.close(this.#region)
  }

  /** Closes the scan and returns every fact (capture decoded); call once at the end. */
  finish(): StreamFacts {
    this.close()
    this.settle()
    this.facts.captured = this.#capture.text()
    this.facts.capturedTruncated = this.#capture.truncated
    return this.facts
  }

  /** Reads a region `[from, to)` of `buf` holding whole lines, the last ending with a newline. */
  protected abstract scan(buf: Buffer, from: number, to: number): void

  /** Work left for the end of the stream (e.g. summing usage); nothing by default. */
  protected settle(): void {}
}
