/**
 * @module
 * Bedrock's streamed answer back into the Anthropic Messages SSE stream. Every `chunk` event of
 * InvokeModelWithResponseStream carries one Anthropic stream event as base64 JSON (`{"bytes":…}`);
 * it is written as `event: <type>` / `data: <json>` exactly as the Messages API sends it, so the
 * usage tap, history assembly and every Anthropic client read it unchanged. The only rewrite is
 * `message_stop`, which Bedrock extends with its invocation metrics. Exceptions inside the stream
 * (`:message-type: exception`, e.g. a throttlingException) become an Anthropic `error` event.
 */
import { Buffer } from 'node:buffer'
import { type EventMessage, eventStreamDecoder } from './event-stream.ts'

const enc = new TextEncoder()
const dec = new TextDecoder()

/** The Anthropic error type of a Bedrock exception name (`ThrottlingException`, `throttlingException`). */
export function anthropicErrorType(exception: string): string {
  const e = exception.toLowerCase()
  if (e.startsWith('throttling') || e.startsWith('servicequotaexceeded')) return 'rate_limit_error'
  if (e.startsWith('serviceunavailable') || e.startsWith('modelnotready')) return 'overloaded_error'
  if (e.startsWith('validation')) return 'invalid_request_error'
  if (e.startsWith('accessdenied')) return 'permission_error'
  if (e.startsWith('resourcenotfound')) return 'not_found_error'
  if (e.startsWith('modeltimeout')) return 'timeout_error'
  return 'api_error'
}

/** One SSE event in the Messages API's framing, around the event's JSON bytes as they came. */
function sse(type: string, data: Uint8Array): Uint8Array {
  const head = enc.encode(`event: ${type}\ndata: `)
  const out = new Uint8Array(head.length + data.length + 2)
  out.set(head)
  out.set(data, head.length)
  out[out.length - 2] = 10
  out[out.length - 1] = 10
  return out
}

/** The base64 `bytes` of a chunk payload (`{"bytes":"…","p":"…"}`), found without parsing it. */
function chunkBytes(payload: Uint8Array): string | null {
  const text = dec.decode(payload)
  const at = text.indexOf('"bytes":"')
  if (at >= 0) {
    const start = at + 9
    const end = text.indexOf('"', start)
    if (end > start) return text.slice(start, end)
  }
  const { bytes } = JSON.parse(text) as { bytes?: unknown }
  return typeof bytes === 'string' ? bytes : null
}

const TYPE_RE = /^\s*\{\s*"type"\s*:\s*"([a-z_]+)"/

/** The SSE bytes of one Bedrock event-stream message (null for messages clients never see). */
export function sseOfMessage(msg: EventMessage): Uint8Array | null {
  const kind = msg.headers[':message-type']
  if (kind === 'event') {
    if (msg.headers[':event-type'] !== 'chunk') return null
    const b64 = chunkBytes(msg.payload)
    if (b64 === null) return null
    const bytes = Buffer.from(b64, 'base64')
    // The event's type leads its JSON; the JSON itself is passed on as it came.
    let type = TYPE_RE.exec(bytes.toString('latin1', 0, 64))?.[1]
    if (!type || type === 'message_stop') {
      const event = JSON.parse(dec.decode(bytes)) as Record<string, unknown>
      type = typeof event.type === 'string' ? event.type : 'message'
      if ('amazon-bedrock-invocationMetrics' in event) {
        const { 'amazon-bedrock-invocationMetrics': _metrics, ...rest } = event
        return sse(type, enc.encode(JSON.stringify(rest)))
      }
    }
    return sse(type, bytes)
  }
  const exception =
    kind === 'exception'
      ? String(msg.headers[':exception-type'] ?? 'internalServerException')
      : String(msg.headers[':error-code'] ?? 'InternalServerException')
  let message = kind === 'error' ? String(msg.headers[':error-message'] ?? '') : ''
  if (!message) {
    try {
      const j = JSON.parse(dec.decode(msg.payload)) as { message?: unknown; Message?: unknown }
      message = String(j.message ?? j.Message ?? '')
    } catch {
      message = dec.decode(msg.payload).slice(0, 300)
    }
  }
  const body = { type: 'error', error: { type: anthropicErrorType(exception), message } }
  return sse('error', enc.encode(JSON.stringify(body)))
}

/** Bedrock event-stream bytes in, Anthropic SSE bytes out. */
export function bedrockStreamToSse(body: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  return body.pipeThrough(eventStreamDecoder()).pipeThrough(
    new TransformStream<EventMessage, Uint8Array>({
      transform(msg, controller) {
        const out = sseOfMessage(msg)
        if (out) controller.enqueue(out)
      },
    }),
  )
}
