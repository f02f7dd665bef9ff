/**
 * @module
 * Reads usage from an Anthropic SSE stream while the bytes pass through untouched. Feed it every
 * chunk as it is forwarded. It works on bytes: each chunk is searched (natively) for the few events
 * that carry usage or errors — `message_start` (input and cache tokens, model), `message_delta`
 * (cumulative output tokens; cumulative input/cache when present), `message_stop` and `error` —
 * and only those lines are decoded and parsed. Lines split across chunks (anywhere, including
 * inside multi-byte UTF-8 or inside a marker) are joined first; the bulk of a stream (content
 * deltas) is never decoded here. The captured copy for history is kept as bytes and decoded once.
 */
import { Buffer } from 'node:buffer'
import { addUsage, emptyUsage, type TokenUsage } from '../../usage/tokens.ts'
import { CaptureBuffer } from '../capture.ts'
import type { StreamFacts, StreamTap } from '../dialect.ts'
import { type LineRegion, SseLines } from '../sse-lines.ts'
import { usageFrom } from './usage.ts'

/** `message_` finds message_start, message_delta and message_stop in one search. */
const NEEDLES = ['message_', '"error"'].map((n) => Buffer.from(n))
const NL = 10
const decoder = new TextDecoder()

/** Incremental SSE usage reader of Anthropic streams (`complete` = `message_stop` seen). */
export class UsageTap implements StreamTap {
  readonly facts: StreamFacts
  #capture: CaptureBuffer
  #lines = new SseLines()
  #region: LineRegion = (buf, from, to) => this.#scan(buf as Buffer, from, to)
  #messages: TokenUsage[] = []
  #current: TokenUsage | null = null

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

  /** Closes the scan and returns every fact (usage summed, capture decoded); call once at the end. */
  finish(): StreamFacts {
    this.close()
    const all = this.#current ? [...this.#messages, this.#current] : this.#messages
    const usage = emptyUsage()
    for (const u of all) addUsage(usage, u)
    this.facts.usage = usage
    this.facts.captured = this.#capture.text()
    this.facts.capturedTruncated = this.#capture.truncated
    return this.facts
  }

  /**
   * Finds the lines holding a marker in `buf` between `from` and `to` (complete lines, the last
   * ending with a newline) and handles them in order.
   */
  #scan(buf: Buffer, from: number, to: number): void {
    let starts: number[] | null = null
    for (const needle of NEEDLES) {
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
        this.#line(decoder.decode(buf.subarray(start + 5, end)))
    }
  }

  #line(payload: string): void {
    let ev: Record<string, unknown>
    try {
      ev = JSON.parse(payload.trim()) as Record<string, unknown>
    } catch {
      return
    }
    switch (ev.type) {
      case 'message_start': {
        const msg = (ev.message ?? {}) as Record<string, unknown>
        if (this.#current) this.#messages.push(this.#current)
        this.#current = usageFrom(msg.usage)
        if (typeof msg.model === 'string' && msg.model) this.facts.model = msg.model
        break
      }
      case 'message_delta': {
        const u = usageFrom(ev.usage)
        if (!this.#current) this.#current = emptyUsage()
        const cur = this.#current
        // message_delta counts are cumulative: output replaces; input/cache only ever grow.
        cur.outputTokens = Math.max(cur.outputTokens, u.outputTokens)
        cur.inputTokens = Math.max(cur.inputTokens, u.inputTokens)
        cur.cacheReadTokens = Math.max(cur.cacheReadTokens, u.cacheReadTokens)
        if (
          u.cacheCreate5mTokens + u.cacheCreate1hTokens >
          cur.cacheCreate5mTokens + cur.cacheCreate1hTokens
        ) {
          cur.cacheCreate5mTokens = u.cacheCreate5mTokens
          cur.cacheCreate1hTokens = u.cacheCreate1hTokens
        }
        break
      }
      case 'message_stop':
        this.facts.complete = true
        break
      case 'error': {
        const e = (ev.error ?? {}) as Record<string, unknown>
        this.facts.error = { type: String(e.type ?? 'api_error'), message: String(e.message ?? '') }
        break
      }
    }
  }
}
