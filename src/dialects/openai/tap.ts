/**
 * @module
 * Reads usage, completion and errors from an OpenAI SSE stream (Responses or Chat Completions)
 * while the bytes pass through untouched. Like the Anthropic tap it works on bytes: each region of
 * whole lines is searched natively for a few markers, and only the `data:` lines holding one are
 * decoded and parsed. Responses: `response.created` (model), `response.completed` /
 * `response.incomplete` (usage, model; the answer is complete), `response.failed` and `error`
 * events. Chat Completions: the chunk carrying `usage` (sent last with `include_usage`), an
 * `error` object, and `[DONE]`.
 */
import { Buffer } from 'node:buffer'
import { CapturingTap } from '../capture.ts'
import { markedDataLines } from '../sse-lines.ts'
import { openaiUsageFrom } from './usage.ts'

const needles = (...n: string[]) => n.map((x) => Buffer.from(x))
const RESPONSES_NEEDLES = needles(
  '"response.created"',
  '"response.completed"',
  '"response.incomplete"',
  '"response.failed"',
  '"error"',
)
const CHAT_NEEDLES = needles('"usage":{', '"error"', '[DONE]')

/** The pass-through tap of an OpenAI stream. */
export class OpenAITap extends CapturingTap {
  #kind: 'responses' | 'chat'
  #needles: readonly Buffer[]
  #onData = (payload: string) => this.#data(payload)

  constructor(kind: 'responses' | 'chat', options: { captureLimit: number; model?: string }) {
    super(options)
    this.#kind = kind
    this.#needles = kind === 'responses' ? RESPONSES_NEEDLES : CHAT_NEEDLES
  }

  protected scan(buf: Buffer, from: number, to: number): void {
    markedDataLines(buf, from, to, this.#needles, this.#onData)
  }

  #data(payload: string): void {
    if (payload === '[DONE]') {
      if (this.#kind === 'chat') this.facts.complete = true
      return
    }
    let ev: Record<string, unknown>
    try {
      ev = JSON.parse(payload) as Record<string, unknown>
    } catch {
      return
    }
    if (this.#kind === 'chat') this.#chat(ev)
    else this.#responses(ev)
  }

  #chat(ev: Record<string, unknown>): void {
    const u = openaiUsageFrom(ev.usage)
    if (u) this.facts.usage = u
    if (typeof ev.model === 'string' && ev.model && u) this.facts.model = ev.model
    if (ev.error && typeof ev.error === 'object') {
      const e = ev.error as Record<string, unknown>
      this.facts.error = {
        type: String(e.type ?? e.code ?? 'api_error'),
        message: String(e.message ?? ''),
      }
    }
  }

  #responses(ev: Record<string, unknown>): void {
    const type = ev.type
    const response = (ev.response ?? null) as Record<string, unknown> | null
    if (response && typeof response.model === 'string' && response.model)
      this.facts.model = response.model
    switch (type) {
      case 'response.completed':
      case 'response.incomplete':
      case 'response.done': {
        const u = openaiUsageFrom(response?.usage)
        if (u) this.facts.usage = u
        this.facts.complete = true
        break
      }
      case 'response.failed': {
        const u = openaiUsageFrom(response?.usage)
        if (u) this.facts.usage = u
        const e = (response?.error ?? {}) as Record<string, unknown>
        this.facts.error = {
          type: String(e.code ?? e.type ?? 'api_error'),
          message: String(e.message ?? 'The response failed'),
        }
        break
      }
      case 'error': {
        const e = (ev.error ?? ev) as Record<string, unknown>
        this.facts.error = {
          type: String(e.code ?? e.type ?? 'api_error'),
          message: String(e.message ?? ''),
        }
        break
      }
    }
  }
}
