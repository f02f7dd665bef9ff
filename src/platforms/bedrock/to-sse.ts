/**
 * @module
 * Bedrock's streamed answer back into the Anthropic Messages SSE stream. Every `chunk` event of
 * InvokeModelWithResponseStream carries one Anthropic stream event as base64 JSON (`{"bytes":…}`);
 * it is written as `event: <type>` / `data: <json>` exactly as the Messages API sends it, so the
 * usage tap, history assembly and every Anthropic client read it unchanged. The only rewrite is
 * `message_stop`, which Bedrock extends with its invocation metrics. Exceptions inside the stream
 * (`:message-type: exception`, e.g. a throttlingException) become an Anthropic `error` event.
 */
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

function base64Bytes(b64: string): Uint8Array {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** One SSE event in the Messages API's framing. */
function sse(type: string, data: string): Uint8Array {
  return enc.encode(`event: ${type}\ndata: ${data}\n\n`)
}

/** The SSE bytes of one Bedrock event-stream message (empty for messages clients never see). */
export function sseOfMessage(msg: EventMessage): Uint8Array | null {
  const kind = msg.headers[':message-type']
  if (kind === 'event') {
    if (msg.headers[':event-type'] !== 'chunk') return null
    const { bytes } = JSON.parse(dec.decode(msg.payload)) as { bytes?: string }
    if (typeof bytes !== 'string') return null
    const text = dec.decode(base64Bytes(bytes))
    const event = JSON.parse(text) as { type?: unknown } & Record<string, unknown>
    const type = typeof event.type === 'string' ? event.type : 'message'
    if ('amazon-bedrock-invocationMetrics' in event) {
      const { 'amazon-bedrock-invocationMetrics': _metrics, ...rest } = event
      return sse(type, JSON.stringify(rest))
    }
    return sse(type, text)
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
  return sse('error', JSON.stringify(body))
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
