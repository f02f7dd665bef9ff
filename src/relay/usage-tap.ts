/**
 * @module
 * Reads usage from an Anthropic SSE stream while the bytes pass through untouched. Feed it every
 * chunk as it is forwarded; it decodes with a streaming UTF-8 decoder, splits lines across chunk
 * boundaries (LF or CRLF) and parses only the events that carry usage or errors:
 * `message_start` (input and cache tokens, model), the last `message_delta` (cumulative output
 * tokens; cumulative input/cache when present), `message_stop` and `error`.
 */
import { emptyUsage, type TokenUsage, usageFrom } from './usage.ts'

/** What the tap learned from a stream. */
export interface StreamFacts {
  model: string
  usage: TokenUsage
  /** `message_stop` was seen: the stream ended normally. */
  complete: boolean
  /** An `error` event inside the stream (e.g. overloaded after HTTP 200). */
  error: { type: string; message: string } | null
  /** Raw stream text kept for history, at most `captureLimit` characters. */
  captured: string
  capturedTruncated: boolean
  bytes: number
}

const NEEDLES = ['"message_start"', '"message_delta"', '"message_stop"', '"error"'] as const

/** Incremental SSE usage reader. */
export class UsageTap {
  readonly facts: StreamFacts
  #decoder = new TextDecoder()
  #pending = ''
  #captureLimit: number
  #messages: TokenUsage[] = []
  #current: TokenUsage | null = null

  constructor(options: { captureLimit: number; model?: string }) {
    this.#captureLimit = options.captureLimit
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
    const text = this.#decoder.decode(chunk, { stream: true })
    this.#capture(text)
    const data = this.#pending + text
    const end = data.lastIndexOf('\n')
    if (end < 0) {
      this.#pending = data
      return
    }
    this.#pending = data.slice(end + 1)
    this.#scan(data, end)
  }

  /** Flushes the last partial line; call once when the stream ends. */
  finish(): StreamFacts {
    const rest = this.#pending + this.#decoder.decode()
    this.#pending = ''
    if (rest) this.#scan(`${rest}\n`, rest.length)
    const all = this.#current ? [...this.#messages, this.#current] : this.#messages
    const usage = emptyUsage()
    for (const u of all) {
      usage.inputTokens += u.inputTokens
      usage.outputTokens += u.outputTokens
      usage.cacheCreate5mTokens += u.cacheCreate5mTokens
      usage.cacheCreate1hTokens += u.cacheCreate1hTokens
      usage.cacheReadTokens += u.cacheReadTokens
    }
    this.facts.usage = usage
    return this.facts
  }

  #capture(text: string): void {
    if (this.facts.capturedTruncated || this.#captureLimit <= 0) return
    const room = this.#captureLimit - this.facts.captured.length
    if (text.length <= room) this.facts.captured += text
    else {
      this.facts.captured += text.slice(0, room)
      this.facts.capturedTruncated = true
    }
  }

  #scan(data: string, end: number): void {
    let start = 0
    while (start < end) {
      let nl = data.indexOf('\n', start)
      if (nl < 0 || nl > end) nl = end
      if (data.startsWith('data:', start)) this.#line(data.slice(start + 5, nl))
      start = nl + 1
    }
  }

  #line(payload: string): void {
    let hit = false
    for (const n of NEEDLES) {
      if (payload.includes(n)) {
        hit = true
        break
      }
    }
    if (!hit) return
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
