/**
 * @module
 * Reads usage from a Gemini SSE stream (`?alt=sse`: the Generative Language API's
 * `data: {candidates, usageMetadata}` events, or Code Assist's `data: {response: {…}}`) while the
 * bytes pass through untouched. Every event repeats the running `usageMetadata`, so only the last
 * line that holds one is kept (as bytes) and parsed once at the end; a `finishReason` (or a
 * prompt's `blockReason`) marks the answer complete and a `data: {"error": …}` event is the stream's error. Content is never
 * decoded here.
 */
import { Buffer } from 'node:buffer'
import { CapturingTap } from '../capture.ts'
import { geminiUsageFrom, unwrapResponse } from './usage.ts'

const USAGE = Buffer.from('"usageMetadata"')
const FINISH = Buffer.from('"finishReason"')
/** A prompt Google blocks is answered with `promptFeedback.blockReason` and no candidates. */
const BLOCKED = Buffer.from('"blockReason"')
const ERROR = Buffer.from('data: {"error"')
const NL = 10
const decoder = new TextDecoder()

/** Incremental usage reader of Gemini streams (`complete` = a `finishReason` seen). */
export class GeminiUsageTap extends CapturingTap {
  #lastUsage: Buffer | null = null

  /** Parses the last line that carried usage (each event repeats the running total). */
  protected override settle(): void {
    if (!this.#lastUsage) return
    const text = decoder.decode(this.#lastUsage).trim()
    try {
      const ev = unwrapResponse(JSON.parse(text.startsWith('data:') ? text.slice(5) : text))
      this.facts.usage = geminiUsageFrom(ev?.usageMetadata)
    } catch {
      // a cut line: no usage
    }
    this.#lastUsage = null
  }

  /** The line of `buf` around index `i` (bounded by `from`/`to`). */
  #lineAt(buf: Buffer, i: number, from: number, to: number): [number, number] {
    const start = i <= from ? from : Math.max(from, buf.lastIndexOf(NL, i - 1) + 1)
    const nl = buf.indexOf(NL, i)
    return [start, nl < 0 || nl > to ? to : nl]
  }

  protected scan(buf: Buffer, from: number, to: number): void {
    const u = buf.lastIndexOf(USAGE, to - 1)
    if (u >= from) {
      const [s, e] = this.#lineAt(buf, u, from, to)
      this.#lastUsage = Buffer.from(buf.subarray(s, e))
    }
    if (!this.facts.complete) {
      const f = buf.indexOf(FINISH, from)
      const b = f >= 0 && f < to ? f : buf.indexOf(BLOCKED, from)
      if (b >= 0 && b < to) this.facts.complete = true
    }
    const err = buf.indexOf(ERROR, from)
    if (err >= 0 && err < to) {
      const [s, e] = this.#lineAt(buf, err, from, to)
      try {
        const j = JSON.parse(decoder.decode(buf.subarray(s + 5, e))) as {
          error?: { status?: unknown; message?: unknown }
        }
        this.facts.error = {
          type: String(j.error?.status ?? 'api_error'),
          message: String(j.error?.message ?? ''),
        }
      } catch {
        this.facts.error = { type: 'api_error', message: 'Upstream stream error' }
      }
    }
  }
}
