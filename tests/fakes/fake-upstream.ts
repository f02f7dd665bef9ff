/**
 * A fake Anthropic API: a real HTTP server (Bun.serve on port 0) that speaks the Messages
 * protocol (JSON and SSE), the count_tokens and OAuth token endpoints (refresh and
 * authorization-code grants), the OAuth profile and usage endpoints, and plays scripted
 * failures: error statuses with headers, delays, silences, mid-stream cuts, byte-split streams.
 */

/** Usage the fake reports for every message. */
export const FAKE_USAGE = {
  input_tokens: 25,
  output_tokens: 12,
  cache_creation_input_tokens: 30,
  cache_read_input_tokens: 40,
  cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 20 },
}

/** One scripted behaviour for the next request(s) to an account. */
export type Script =
  | {
      kind: 'ok'
      text?: string
      toolUse?: boolean
      /** Tool calls to answer with (instead of the single default one of `toolUse`). */
      tools?: FakeTool[]
      /** The stop_reason (default: tool_use with tools, else end_turn). */
      stopReason?: string
      /** The stop_sequence reported with stopReason 'stop_sequence'. */
      stopSequence?: string
      /** How many text deltas the text is split into (default 2). */
      parts?: number
      /** Pause between streamed events (ms, default 1). */
      eventDelayMs?: number
      /** Extra response headers (e.g. `anthropic-ratelimit-unified-*`). */
      headers?: Record<string, string>
    }
  | { kind: 'error'; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: 'cut'; afterEvents: number }
  | { kind: 'silence'; afterEvents: number; ms: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'bytewise' }
  | { kind: 'hang' }

/** A tool call the fake answers with. */
export interface FakeTool {
  id: string
  name: string
  input: Record<string, unknown>
}

/** Extra answer options of {@link streamEvents} and {@link messageJson}. */
export interface AnswerOptions {
  tools?: FakeTool[]
  stopReason?: string
  stopSequence?: string
  /** How many text deltas the text is split into (default 2). */
  parts?: number
}

const DEFAULT_TOOL: FakeTool = { id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }

function answerShape(toolUse: boolean, opts: AnswerOptions) {
  const tools = opts.tools ?? (toolUse ? [DEFAULT_TOOL] : [])
  const stopReason = opts.stopReason ?? (tools.length > 0 ? 'tool_use' : 'end_turn')
  const stopSequence = stopReason === 'stop_sequence' ? (opts.stopSequence ?? null) : null
  return { tools, stopReason, stopSequence }
}

/** A request the fake received. */
export interface Received {
  path: string
  headers: Record<string, string>
  body: Record<string, unknown>
  /** Which fake account answered (from the credential). */
  account: string
  at: number
}

const enc = new TextEncoder()
const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`

/** The SSE events of a complete answer. */
export function streamEvents(
  model: string,
  text: string,
  toolUse = false,
  opts: AnswerOptions = {},
): string[] {
  const id = 'msg_fake_01'
  const shape = answerShape(toolUse, opts)
  const events = [
    sse('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...FAKE_USAGE, output_tokens: 1 },
      },
    }),
    sse('ping', { type: 'ping' }),
    sse('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    }),
  ]
  const n = Math.max(1, opts.parts ?? 2)
  const size = Math.ceil(text.length / n)
  for (const part of Array.from({ length: n }, (_, i) => text.slice(i * size, (i + 1) * size))) {
    events.push(
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'text_delta', text: part },
      }),
    )
  }
  events.push(sse('content_block_stop', { type: 'content_block_stop', index: 0 }))
  shape.tools.forEach((tool, i) => {
    const index = i + 1
    const json = JSON.stringify(tool.input)
    const cut = tool === DEFAULT_TOOL ? '{"city":'.length : Math.ceil(json.length / 2)
    events.push(
      sse('content_block_start', {
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id: tool.id, name: tool.name, input: {} },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: json.slice(0, cut) },
      }),
      sse('content_block_delta', {
        type: 'content_block_delta',
        index,
        delta: { type: 'input_json_delta', partial_json: json.slice(cut) },
      }),
      sse('content_block_stop', { type: 'content_block_stop', index }),
    )
  })
  events.push(
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: shape.stopReason, stop_sequence: shape.stopSequence },
      usage: { output_tokens: FAKE_USAGE.output_tokens },
    }),
    sse('message_stop', { type: 'message_stop' }),
  )
  return events
}

/** The JSON of a complete answer. */
export function messageJson(
  model: string,
  text: string,
  toolUse = false,
  opts: AnswerOptions = {},
) {
  const shape = answerShape(toolUse, opts)
  const content: unknown[] = [{ type: 'text', text }]
  for (const tool of shape.tools)
    content.push({ type: 'tool_use', id: tool.id, name: tool.name, input: tool.input })
  return {
    id: 'msg_fake_01',
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: shape.stopReason,
    stop_sequence: shape.stopSequence,
    usage: FAKE_USAGE,
  }
}

/** Starts a fake upstream. Credentials name accounts: `Bearer <account>` or `x-api-key: <account>`. */
export function startFakeUpstream(options: { hostname?: string } = {}) {
  const received: Received[] = []
  const scripts = new Map<string, Script[]>()
  const tokenRequests: Record<string, unknown>[] = []
  let tokenSeq = 0
  let codeSeq = 0
  const oauthRequests: Received[] = []
  const profiles = new Map<string, Record<string, unknown>>()
  let tokenDelayMs = 0
  const openStreams = new Set<AbortSignal>()
  let abortedStreams = 0
  let inFlight = 0
  let maxInFlight = 0
  const perAccount = new Map<string, { now: number; max: number }>()
  /** Client sockets (address:port) requests arrived on: fewer than requests = connections reused. */
  const connections = new Set<string>()

  const server = Bun.serve({
    port: 0,
    // 0.0.0.0 lets a container reach it (the Docker check); tests stay on loopback.
    hostname: options.hostname ?? '127.0.0.1',
    idleTimeout: 0,
    async fetch(req, srv) {
      const url = new URL(req.url)
      const peer = srv.requestIP(req)
      if (peer) connections.add(`${peer.address}:${peer.port}`)
      if (url.pathname === '/v1/oauth/token') {
        const body = (await req.json()) as Record<string, unknown>
        tokenRequests.push(body)
        if (tokenDelayMs) await Bun.sleep(tokenDelayMs)
        if (body.grant_type === 'authorization_code') {
          if (String(body.code).startsWith('bad'))
            return Response.json(
              { error: 'invalid_grant', error_description: 'Invalid authorization code' },
              { status: 400 },
            )
          codeSeq++
          const setup = body.expires_in !== undefined
          return Response.json({
            token_type: 'Bearer',
            access_token: `code-access-${codeSeq}`,
            ...(setup ? {} : { refresh_token: `code-refresh-${codeSeq}` }),
            expires_in: setup ? Number(body.expires_in) : 28_800,
            scope: setup ? 'user:inference' : 'user:inference user:profile org:create_api_key',
            organization: { uuid: 'org-uuid-1', name: 'Fake Org' },
            account: { uuid: 'acct-uuid-1', email_address: 'fake@example.com' },
          })
        }
        if (String(body.refresh_token).startsWith('bad'))
          return Response.json({ error: 'invalid_grant' }, { status: 400 })
        tokenSeq++
        return Response.json({
          access_token: `fresh-access-${tokenSeq}`,
          refresh_token: `rotated-refresh-${tokenSeq}`,
          expires_in: 3600,
          scope: 'user:inference user:profile',
        })
      }
      const auth =
        req.headers.get('authorization')?.replace(/^Bearer /, '') ??
        req.headers.get('x-api-key') ??
        ''
      if (url.pathname === '/api/oauth/profile' || url.pathname === '/api/oauth/usage') {
        oauthRequests.push({
          path: url.pathname,
          headers: Object.fromEntries(req.headers),
          body: {},
          account: auth,
          at: Date.now(),
        })
        if (req.headers.get('anthropic-beta') !== 'oauth-2025-04-20')
          return Response.json({ error: { message: 'beta required' } }, { status: 400 })
        if (!auth) return Response.json({ error: { message: 'no token' } }, { status: 401 })
        if (url.pathname === '/api/oauth/usage')
          return Response.json({
            five_hour: { utilization: 42, resets_at: '2030-01-01T05:00:00.000Z' },
            seven_day: { utilization: 17.5, resets_at: '2030-01-07T00:00:00.000Z' },
            seven_day_opus: { utilization: 3, resets_at: '2030-01-07T00:00:00.000Z' },
          })
        return Response.json(
          profiles.get(auth) ?? {
            account: {
              uuid: 'acct-uuid-1',
              email: 'fake-user@example.com',
              display_name: 'Fake User',
              has_claude_max: true,
              has_claude_pro: false,
            },
            organization: {
              uuid: 'org-uuid-1',
              name: 'Fake Org',
              organization_type: 'claude_max',
              billing_type: 'stripe_subscription',
              rate_limit_tier: 'default_claude_max_20x',
            },
          },
        )
      }
      const text = await req.text()
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(text)
      } catch {}
      received.push({
        path: url.pathname,
        headers: Object.fromEntries(req.headers),
        body,
        account: auth,
        at: Date.now(),
      })
      const queue = scripts.get(auth) ?? scripts.get('*')
      const script = queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? { kind: 'ok' })
      const model = String(body.model ?? 'claude-sonnet-4-5')
      if (url.pathname.endsWith('/count_tokens')) {
        if (script.kind === 'error')
          return Response.json(
            script.body ?? { type: 'error', error: { type: 'api_error', message: 'scripted' } },
            { status: script.status, headers: script.headers },
          )
        return Response.json({ input_tokens: 42 })
      }
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      const acct = perAccount.get(auth) ?? { now: 0, max: 0 }
      perAccount.set(auth, acct)
      acct.now++
      acct.max = Math.max(acct.max, acct.now)
      let counted = true
      const done = () => {
        if (counted) {
          inFlight--
          acct.now--
        }
        counted = false
      }
      req.signal.addEventListener('abort', done)
      if (body.stream !== true)
        queueMicrotask(() => setTimeout(done, script.kind === 'delay' ? script.ms : 0))
      if (script.kind === 'delay') await Bun.sleep(script.ms)
      if (script.kind === 'hang') {
        await new Promise((r) => req.signal.addEventListener('abort', r))
        return new Response(null, { status: 499 })
      }
      if (script.kind === 'error') {
        const errBody = script.body ?? {
          type: 'error',
          error: {
            type:
              script.status === 529
                ? 'overloaded_error'
                : script.status === 429
                  ? 'rate_limit_error'
                  : 'api_error',
            message: `scripted ${script.status}`,
          },
        }
        return new Response(JSON.stringify(errBody), {
          status: script.status,
          headers: {
            'content-type': 'application/json',
            'request-id': 'req_upstream_err',
            ...script.headers,
          },
        })
      }
      const answer = `Hello from ${auth || 'fake'}: 你好，世界 🌍`
      const okHeaders = script.kind === 'ok' ? (script.headers ?? {}) : {}
      const toolUse = script.kind === 'ok' && !!script.toolUse
      const opts: AnswerOptions =
        script.kind === 'ok'
          ? {
              tools: script.tools,
              stopReason: script.stopReason,
              stopSequence: script.stopSequence,
              parts: script.parts,
            }
          : {}
      if (body.stream !== true) {
        return Response.json(
          messageJson(
            model,
            script.kind === 'ok' && script.text ? script.text : answer,
            toolUse,
            opts,
          ),
          { headers: { 'request-id': 'req_upstream_1', ...okHeaders } },
        )
      }
      const events = streamEvents(
        model,
        script.kind === 'ok' && script.text ? script.text : answer,
        toolUse,
        opts,
      )
      const signal = req.signal
      openStreams.add(signal)
      signal.addEventListener('abort', () => {
        if (openStreams.delete(signal)) abortedStreams++
      })
      const stream = new ReadableStream<Uint8Array>({
        async start(controller) {
          try {
            for (let i = 0; i < events.length; i++) {
              if (signal.aborted) return
              if (script.kind === 'cut' && i === script.afterEvents) {
                controller.error(new Error('cut'))
                return
              }
              if (script.kind === 'silence' && i === script.afterEvents) await Bun.sleep(script.ms)
              const bytes = enc.encode(events[i]!)
              if (script.kind === 'bytewise') {
                for (let b = 0; b < bytes.length; b++) {
                  controller.enqueue(bytes.subarray(b, b + 1))
                  if (b % 7 === 0) await Bun.sleep(0)
                }
              } else controller.enqueue(bytes)
              await Bun.sleep(script.kind === 'ok' ? (script.eventDelayMs ?? 1) : 1)
            }
            openStreams.delete(signal)
            done()
            controller.close()
          } catch {}
        },
      })
      return new Response(stream, {
        headers: {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          'request-id': 'req_upstream_s',
          ...okHeaders,
        },
      })
    },
  })
  const url = `http://127.0.0.1:${server.port}`
  return {
    url,
    messagesUrl: `${url}/v1/messages`,
    tokenUrl: `${url}/v1/oauth/token`,
    received,
    tokenRequests,
    /** Requests to /api/oauth/profile and /api/oauth/usage. */
    oauthRequests,
    /** The profile answered for `token` (default: a Claude Max account). */
    setProfile(token: string, profile: Record<string, unknown>) {
      profiles.set(token, profile)
    },
    /** Scripts for requests authenticated as `account` ('*' = any); the last one repeats. */
    script(account: string, ...s: Script[]) {
      scripts.set(account, s)
    },
    reset() {
      received.length = 0
      tokenRequests.length = 0
      oauthRequests.length = 0
      scripts.clear()
      abortedStreams = 0
      maxInFlight = 0
      connections.clear()
    },
    /** How many client sockets requests arrived on since the last reset. */
    connections: () => connections.size,
    maxInFlight: () => maxInFlight,
    /** Most requests one account had in flight at once. */
    maxInFlightOf: (account: string) => perAccount.get(account)?.max ?? 0,
    setTokenDelay(ms: number) {
      tokenDelayMs = ms
    },
    abortedStreams: () => abortedStreams,
    stop: () => server.stop(true),
  }
}

/** The fake upstream's interface. */
export type FakeUpstream = ReturnType<typeof startFakeUpstream>

import { createServer as createTcpServer, type Socket } from 'node:net'

/**
 * One scripted behaviour of {@link startRawUpstream}, for faults Bun.serve cannot produce.
 * `afterEvents: null` means before any response byte (before the status line).
 */
export type RawScript =
  /** A valid answer: SSE (chunked) when the request asks to stream, else JSON. */
  | { kind: 'ok' }
  /** Any status, content type and body (content-length set), e.g. an HTML 502 page. */
  | { kind: 'reply'; status: number; contentType: string; body: string }
  /** Declares `body.length + missing` bytes, sends `body`, then closes (FIN). */
  | { kind: 'truncated'; contentType: string; body: string; missing: number }
  /** TCP reset (RST) after `afterEvents` SSE events (chunked, or close-delimited with `closeDelimited`). */
  | { kind: 'reset'; afterEvents: number | null; closeDelimited?: boolean }
  /** Goes silent forever after `afterEvents` SSE events (or, for JSON, after half the body). */
  | { kind: 'stall'; afterEvents: number | null }
  /**
   * A valid SSE answer carrying `megabytes` of text deltas, written without waiting for the
   * reader: the whole stream is produced at once (held in this process until the relay reads it).
   */
  | { kind: 'flood'; megabytes: number }

/**
 * A fake Anthropic upstream on a raw TCP server (node:net): it parses one HTTP/1.1 request per
 * connection and answers with `Connection: close` exactly as scripted, including resets, stalls,
 * truncated bodies and floods. Scripts are consumed in order; the last one repeats.
 */
export async function startRawUpstream() {
  let scripts: RawScript[] = [{ kind: 'ok' }]
  const sockets = new Set<Socket>()
  const stats = { requests: 0, resets: 0, produced: 0 }
  const server = createTcpServer((socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let head = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end < 0) return
      const headers = head.subarray(0, end).toString('latin1')
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(headers)?.[1] ?? 0)
      if (head.byteLength < end + 4 + length) return
      socket.off('data', onData)
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(head.subarray(end + 4, end + 4 + length).toString())
      } catch {}
      stats.requests++
      const script = scripts.length > 1 ? scripts.shift()! : scripts[0]!
      void answer(socket, script, body.stream === true, String(body.model ?? 'claude-sonnet-4-5'))
    }
    socket.on('data', onData)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))

  const chunk = (text: string) => `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`
  const status = (code: number, headers: Record<string, string>) =>
    `HTTP/1.1 ${code} ${code === 200 ? 'OK' : 'Error'}\r\n${Object.entries({
      ...headers,
      connection: 'close',
    })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('')}\r\n`
  const sseHead = status(200, {
    'content-type': 'text/event-stream',
    'transfer-encoding': 'chunked',
    'request-id': 'req_raw_s',
  })
  const reset = (socket: Socket) => {
    stats.resets++
    socket.resetAndDestroy()
  }

  async function answer(socket: Socket, script: RawScript, stream: boolean, model: string) {
    const text = 'Hello from the raw upstream'
    switch (script.kind) {
      case 'ok':
        if (stream) {
          socket.write(sseHead + streamEvents(model, text).map(chunk).join('') + chunk(''))
        } else {
          const json = JSON.stringify(messageJson(model, text))
          socket.write(
            status(200, {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(json)),
            }) + json,
          )
        }
        socket.end()
        return
      case 'reply':
        socket.end(
          status(script.status, {
            'content-type': script.contentType,
            'content-length': String(Buffer.byteLength(script.body)),
          }) + script.body,
        )
        return
      case 'truncated':
        socket.end(
          status(200, {
            'content-type': script.contentType,
            'content-length': String(Buffer.byteLength(script.body) + script.missing),
          }) + script.body,
        )
        return
      case 'reset':
      case 'stall': {
        if (script.afterEvents === null) {
          if (script.kind === 'reset') reset(socket)
          return // stall: never answer
        }
        if (!stream) {
          const json = JSON.stringify(messageJson(model, text))
          socket.write(
            status(200, {
              'content-type': 'application/json',
              'content-length': String(Buffer.byteLength(json)),
            }) + json.slice(0, json.length >> 1),
          )
        } else {
          const events = streamEvents(model, text).slice(0, script.afterEvents)
          const plain = script.kind === 'reset' && script.closeDelimited
          socket.write(
            plain
              ? status(200, { 'content-type': 'text/event-stream' }) + events.join('')
              : sseHead + events.map(chunk).join(''),
          )
        }
        if (script.kind === 'reset') setTimeout(() => reset(socket), 20)
        return
      }
      case 'flood': {
        const events = streamEvents(model, text)
        const block = Buffer.from(
          chunk(
            `event: content_block_delta\ndata: ${JSON.stringify({
              type: 'content_block_delta',
              index: 0,
              delta: { type: 'text_delta', text: 'x'.repeat(64 * 1024 - 128) },
            })}\n\n`,
          ),
        )
        const write = (s: string | Buffer) => {
          stats.produced += Buffer.byteLength(s)
          socket.write(s)
        }
        write(sseHead + events.slice(0, 3).map(chunk).join(''))
        const blocks = Math.ceil((script.megabytes * 1024 * 1024) / block.byteLength)
        for (let i = 0; i < blocks && !socket.destroyed; i++) write(block)
        write(events.slice(-3).map(chunk).join('') + chunk(''))
        socket.end()
        return
      }
    }
  }

  const port = () => {
    const addr = server.address()
    return typeof addr === 'object' && addr ? addr.port : 0
  }
  return {
    get url() {
      return `http://127.0.0.1:${port()}`
    },
    /** Scripts for the next connections, in order; the last one repeats. */
    script(...s: RawScript[]) {
      scripts = s.length ? s : [{ kind: 'ok' }]
    },
    stats,
    /** Connections still open (a stalled answer stays open until the relay gives up). */
    openConnections: () => sockets.size,
    /** Bytes a connection still holds unsent (the part of a flood the relay has not read). */
    unsentBytes: () => [...sockets].reduce((n, s) => n + s.writableLength, 0),
    stop() {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}

/** The raw fake upstream's interface. */
export type RawUpstream = Awaited<ReturnType<typeof startRawUpstream>>
