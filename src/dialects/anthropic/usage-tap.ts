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
import { CapturingTap } from '../capture.ts'
import { markedDataLines } from '../sse-lines.ts'
import { usageFrom } from './usage.ts'

/** `message_` finds message_start, message_delta and message_stop in one search. */
const NEEDLES = ['message_', '"error"'].map((n) => Buffer.from(n))

/** Incremental SSE usage reader of Anthropic streams (`complete` = `message_stop` seen). */
export class UsageTap extends CapturingTap {
  #messages: TokenUsage[] = []
  #current: TokenUsage | null = null
  #onLine = (payload: string) => this.#line(payload)

  protected scan(buf: Buffer, from: number, to: number): void {
    markedDataLines(buf, from, to, NEEDLES, this.#onLine)
  }

  /** Sums the usage of every message in the stream. */
  protected override settle(): void {
    const all = this.#current ? [...this.#messages, this.#current] : this.#messages
    const usage = emptyUsage()
    for (const u of all) addUsage(usage, u)
    this.facts.usage = usage
  }

  #line(payload: string): void {
    let ev: Record<string, unknown>
    try {
      ev = JSON.parse(payload) as Record<string, unknown>
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
