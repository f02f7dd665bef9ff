/**
 * @module
 * The Responses API over WebSocket, as the Codex CLI speaks it when its provider sets
 * `supports_websockets = true`: the client opens `GET /openai/responses` as a WebSocket and sends
 * `{"type":"response.create", …body}` messages; each gets the response's events back as text
 * frames. Every message runs through the ordinary relay (the key, its limits, scheduling,
 * failover, one usage and history record per upstream call) as a streamed HTTP request, and the
 * stream's events are sent on as frames. A `generate: false` message (Codex warms the connection
 * up with one) is answered here without an upstream call. Messages of one socket run in turn;
 * closing the socket cancels the one in flight.
 */
import { RelayError } from '../core/errors.ts'
import { newRequestId } from '../core/ids.ts'
import type { Logger } from '../core/ports.ts'
import { SseDataReader } from '../dialects/sse-lines.ts'
import type { RelayRoute, RelayService } from '../relay/pipeline.ts'
import type { SocketConn, SocketSession } from './socket-hub.ts'

/** Upgrade headers that do not belong on the relayed HTTP request. */
const DROP = [
  'connection',
  'upgrade',
  'content-length',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'sec-websocket-protocol',
]

function errorFrame(status: number, type: string, message: string, code: string | null = null) {
  return JSON.stringify({ type: 'error', status, error: { type, code, message, param: null } })
}

/** A socket session relaying `response.create` messages for the client that opened `upgrade`. */
export function responsesSocketSession(deps: {
  relay: RelayService
  route: RelayRoute
  upgrade: Request
  logger?: Logger
}): SocketSession {
  const { relay, route, upgrade } = deps
  const headers = new Headers(upgrade.headers)
  for (const h of DROP) headers.delete(h)
  headers.set('content-type', 'application/json')
  const url = upgrade.url.replace(/^ws/, 'http')
  let queue: Promise<void> = Promise.resolve()
  let inFlight: AbortController | null = null
  let closed = false

  async function one(conn: SocketConn, text: string): Promise<void> {
    let msg: Record<string, unknown>
    try {
      msg = JSON.parse(text) as Record<string, unknown>
    } catch {
      conn.send(errorFrame(400, 'invalid_request_error', 'Cannot parse the message: expected JSON'))
      return
    }
    if (msg.type !== 'response.create') {
      conn.send(
        errorFrame(400, 'invalid_request_error', `Unsupported message type "${String(msg.type)}"`),
      )
      return
    }
    const { type: _type, generate, ...body } = msg
    if (generate === false) {
      // A warm-up: nothing is generated upstream, so nothing is relayed or billed.
      const response = {
        id: `resp_warmup_${newRequestId().slice(4)}`,
        object: 'response',
        created_at: Math.floor(Date.now() / 1000),
        model: body.model,
        output: [],
        usage: { input_tokens: 0, output_tokens: 0, total_tokens: 0 },
      }
      conn.send(
        JSON.stringify({
          type: 'response.created',
          response: { ...response, status: 'in_progress' },
        }),
      )
      conn.send(
        JSON.stringify({
          type: 'response.completed',
          response: { ...response, status: 'completed' },
        }),
      )
      return
    }
    const abort = new AbortController()
    inFlight = abort
    const request = new Request(url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...body, stream: true }),
      signal: abort.signal,
    })
    const requestId = newRequestId()
    let res: Response
    try {
      res = await relay.handle(request, requestId, route)
    } catch (err) {
      if (err instanceof RelayError) conn.send(errorFrame(err.status, err.type, err.message))
      else {
        deps.logger?.error('websocket relay failed', { requestId, error: err })
        conn.send(errorFrame(500, 'api_error', 'Internal server error'))
      }
      return
    } finally {
      if (closed) abort.abort()
    }
    if (!res.body) return
    if (
      res.status >= 400 ||
      !(res.headers.get('content-type') ?? '').includes('text/event-stream')
    ) {
      const text = await res.text()
      try {
        const j = JSON.parse(text) as { error?: Record<string, unknown> }
        conn.send(JSON.stringify({ type: 'error', status: res.status, error: j.error ?? j }))
      } catch {
        conn.send(errorFrame(res.status, 'api_error', text.slice(0, 300)))
      }
      return
    }
    const reader = res.body.getReader()
    const sse = new SseDataReader((payload) => {
      if (payload !== '[DONE]' && !closed) conn.send(payload)
    })
    try {
      for (;;) {
        const { done, value } = await reader.read()
        if (done) break
        sse.push(value)
      }
      sse.close()
    } catch {
      // The client left (the relay recorded the request as aborted) or upstream failed (the
      // relay already sent its error event, which went out as a frame).
    } finally {
      inFlight = null
    }
  }

  return {
    message(conn, text) {
      queue = queue.then(() => (closed ? undefined : one(conn, text))).catch(() => {})
    },
    close() {
      closed = true
      inFlight?.abort()
    },
  }
}
