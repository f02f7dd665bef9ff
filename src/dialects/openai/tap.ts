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
import { emptyUsage } from '../../usage/tokens.ts'
import { CaptureBuffer } from '../capture.ts'
import type { StreamFacts, StreamTap } from '../dialect.ts'
import { type LineRegion, SseLines } from '../sse-lines.ts'
import { openaiUsageFrom } from './usage.ts'

const NL = 10
const decoder = new TextDecoder()
const RESPONSES_NEEDLES = [
  '"response.created"',
  '"response.completed"',
  '"response.incomplete"',
  '"response.failed"',
  '"error"',
]
const CHAT_NEEDLES = ['"usage":{', '"error"', '[DONE]']

/** Calls `onData` with the payload of every `data:` line in `[from, to)` holding a needle. */
function scanMarked(
  buf: Buffer,
  from: number,
  to: number,
  needles: Buffer[],
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
    if (end - start > 5 && buf.toString('latin1', start, start + 5) === 'data:')
      onData(decoder.decode(buf.subarray(start + 5, end)).trim())
  }
}

/** The pass-through tap of an OpenAI stream. */
export class OpenAITap implements StreamTap {
  readonly facts: StreamFacts
  #kind: 'responses' | 'chat'
  #needles: Buffer[]
  #capture: CaptureBuffer
  #lines = new SseLines()
  #region: LineRegion = (buf, from, to) =>
    scanMarked(buf as Buffer, from, to, this.#needles, (p) => this.#data(p))

  constructor(kind: 'responses' | 'chat', options: { captureLimit: number; model?: string }) {
    this.#kind = kind
    this.#needles = (kind === 'responses' ? RESPONSES_NEEDLES : CHAT_NEEDLES).map((n) =>
      Buffer.from(n),
    )
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

  push(chunk: Uint8Array): void {
    this.facts.bytes += chunk.byteLength
    this.#capture.keep(chunk)
    this.#lines.push(chunk, this.#region)
  }

  close(): void {
    this.#lines.close(this.#region)
  }

  finish(): StreamFacts {
    this.close()
    this.facts.captured = this.#capture.text()
    this.facts.capturedTruncated = this.#capture.truncated
    return this.facts
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
