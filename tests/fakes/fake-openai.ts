// Over 400 lines: one fake for the whole OpenAI family (API, ChatGPT backend, OAuth, Azure), whose answers share their event builders.
/**
 * A fake OpenAI family upstream: a real HTTP server (Bun.serve on port 0) speaking the Responses
 * API as api.openai.com does (`/v1/responses`, `/compact`, JSON and SSE), the ChatGPT backend the
 * Codex CLI uses with a ChatGPT login (`/backend-api/codex/responses`: Bearer access token,
 * `chatgpt-account-id`, `x-codex-*` usage headers, and what that backend demands of a body:
 * `store: false`, a stream, an `instructions` string), the OpenAI OAuth token endpoint
 * (authorization-code and refresh grants, form-encoded), and Azure OpenAI deployments (chat
 * completions, responses and embeddings with `api-key`). Accounts are told apart by their
 * credential; each can be scripted: errors with headers and bodies, cut streams, tool calls.
 */

/** Usage the fake reports for every Responses answer. */
export const FAKE_OPENAI_USAGE = {
  input_tokens: 120,
  input_tokens_details: { cached_tokens: 20 },
  output_tokens: 30,
  output_tokens_details: { reasoning_tokens: 10 },
  total_tokens: 150,
}

/** Usage the fake reports for every Chat Completions answer. */
export const FAKE_CHAT_USAGE = {
  prompt_tokens: 50,
  prompt_tokens_details: { cached_tokens: 10 },
  completion_tokens: 7,
  completion_tokens_details: { reasoning_tokens: 3 },
  total_tokens: 57,
}

/** One scripted behaviour. */
export type OpenAIScript =
  | { kind: 'ok'; text?: string; toolCall?: { name: string; arguments: string } }
  | { kind: 'error'; status: number; headers?: Record<string, string>; body?: unknown }
  | { kind: 'cut'; afterEvents: number }
  /** A 200 stream that ends after `afterEvents` events with an `error` event of this error. */
  | { kind: 'streamError'; afterEvents: number; error: Record<string, unknown> }

/** A request the fake received. */
export interface OpenAIReceived {
  path: string
  search: string
  headers: Record<string, string>
  body: Record<string, unknown>
  /** The credential (Bearer token or api-key). */
  account: string
}

const sse = (data: Record<string, unknown>) =>
  `event: ${String(data.type)}\ndata: ${JSON.stringify(data)}\n\n`

/** The output items of an answer. */
function outputOf(text: string, tool?: { name: string; arguments: string }) {
  const out: Record<string, unknown>[] = [
    {
      id: 'msg_fake_1',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text, annotations: [] }],
    },
  ]
  if (tool)
    out.push({
      id: 'fc_fake_1',
      type: 'function_call',
      status: 'completed',
      call_id: 'call_fake_1',
      name: tool.name,
      arguments: tool.arguments,
    })
  return out
}

/** A whole Responses answer. */
export function responseJson(model: string, text: string, tool?: OpenAIScript & { kind: 'ok' }) {
  return {
    id: 'resp_fake_1',
    object: 'response',
    created_at: 1_700_000_000,
    status: 'completed',
    model,
    output: outputOf(text, tool?.toolCall),
    usage: FAKE_OPENAI_USAGE,
  }
}

/** The SSE events of a streamed Responses answer. */
export function responseEvents(
  model: string,
  text: string,
  tool?: { name: string; arguments: string },
): string[] {
  const base = { id: 'resp_fake_1', object: 'response', created_at: 1_700_000_000, model }
  const half = Math.ceil(text.length / 2)
  let seq = 0
  const ev = (d: Record<string, unknown>) => sse({ ...d, sequence_number: seq++ })
  const events = [
    ev({ type: 'response.created', response: { ...base, status: 'in_progress', output: [] } }),
    ev({ type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [] } }),
    ev({
      type: 'response.output_item.added',
      output_index: 0,
      item: {
        id: 'msg_fake_1',
        type: 'message',
        role: 'assistant',
        status: 'in_progress',
        content: [],
      },
    }),
    ev({
      type: 'response.content_part.added',
      item_id: 'msg_fake_1',
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    }),
    ...[text.slice(0, half), text.slice(half)].map((delta) =>
      ev({
        type: 'response.output_text.delta',
        item_id: 'msg_fake_1',
        output_index: 0,
        content_index: 0,
        delta,
      }),
    ),
    ev({
      type: 'response.output_text.done',
      item_id: 'msg_fake_1',
      output_index: 0,
      content_index: 0,
      text,
    }),
    ev({
      type: 'response.output_item.done',
      output_index: 0,
      item: outputOf(text)[0],
    }),
  ]
  if (tool) {
    const item = outputOf(text, tool)[1]!
    events.push(
      ev({
        type: 'response.output_item.added',
        output_index: 1,
        item: { ...item, arguments: '', status: 'in_progress' },
      }),
      ev({
        type: 'response.function_call_arguments.delta',
        item_id: 'fc_fake_1',
        output_index: 1,
        delta: tool.arguments,
      }),
      ev({ type: 'response.output_item.done', output_index: 1, item }),
    )
  }
  events.push(
    ev({
      type: 'response.completed',
      response: {
        ...base,
        status: 'completed',
        output: outputOf(text, tool),
        usage: FAKE_OPENAI_USAGE,
      },
    }),
  )
  return events
}

/** The SSE chunks of a streamed chat completion (usage in a last chunk when asked). */
function chatEvents(model: string, text: string, includeUsage: boolean): string[] {
  const base = {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model,
  }
  const half = Math.ceil(text.length / 2)
  const chunk = (choices: unknown[], usage: unknown = undefined) =>
    `data: ${JSON.stringify({ ...base, choices, ...(includeUsage ? { usage: usage ?? null } : {}) })}\n\n`
  const out = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: text.slice(0, half) }, finish_reason: null }]),
    chunk([{ index: 0, delta: { content: text.slice(half) }, finish_reason: null }]),
    chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]),
  ]
  if (includeUsage) out.push(chunk([], FAKE_CHAT_USAGE))
  out.push('data: [DONE]\n\n')
  return out
}

/** Starts the fake. */
export function startFakeOpenAI() {
  const received: OpenAIReceived[] = []
  const scripts = new Map<string, OpenAIScript[]>()
  const tokenRequests: Record<string, string>[] = []
  let tokenSeq = 0
  const codexHeaders: Record<string, string> = {
    'x-codex-primary-used-percent': '12.5',
    'x-codex-primary-window-minutes': '300',
    'x-codex-primary-reset-after-seconds': '3600',
    'x-codex-secondary-used-percent': '40',
    'x-codex-secondary-window-minutes': '10080',
    'x-codex-secondary-reset-after-seconds': '86400',
  }

  const next = (account: string): OpenAIScript => {
    const queue = scripts.get(account) ?? scripts.get('*')
    return queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? { kind: 'ok' })
  }
  const fail = (status: number, message: string, type = 'invalid_request_error') =>
    Response.json({ error: { message, type, param: null, code: null } }, { status })

  function stream(events: string[], cutAfter: number | null, headers: Record<string, string>) {
    const enc = new TextEncoder()
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for (let i = 0; i < events.length; i++) {
          if (cutAfter !== null && i >= cutAfter) {
            controller.error(new Error('scripted cut'))
            return
          }
          controller.enqueue(enc.encode(events[i]!))
          await Bun.sleep(1)
        }
        controller.close()
      },
    })
    return new Response(body, { headers: { 'content-type': 'text/event-stream', ...headers } })
  }

  function answerResponses(
    body: Record<string, unknown>,
    script: OpenAIScript,
    headers: Record<string, string>,
    forceStream = false,
  ): Response {
    const model = String(body.model ?? 'gpt-5')
    if (script.kind === 'error')
      return Response.json(
        script.body ?? { error: { message: 'scripted failure', type: 'server_error', code: null } },
        { status: script.status, headers: { ...headers, ...script.headers } },
      )
    const text = script.kind === 'ok' ? (script.text ?? 'Hello from the fake OpenAI') : 'partial'
    const tool = script.kind === 'ok' ? script.toolCall : undefined
    if (script.kind === 'streamError')
      return stream(
        [
          ...responseEvents(model, text).slice(0, script.afterEvents),
          sse({ type: 'error', error: script.error }),
        ],
        null,
        headers,
      )
    if (body.stream === true || forceStream)
      return stream(
        responseEvents(model, text, tool),
        script.kind === 'cut' ? script.afterEvents : null,
        headers,
      )
    return Response.json(responseJson(model, text, script.kind === 'ok' ? script : undefined), {
      headers,
    })
  }

  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    idleTimeout: 0,
    async fetch(req) {
      const url = new URL(req.url)
      if (url.pathname === '/oauth/token') {
        const form = Object.fromEntries(new URLSearchParams(await req.text()))
        tokenRequests.push(form)
        if (String(form.code ?? form.refresh_token ?? '').startsWith('bad'))
          return Response.json({ error: 'invalid_grant' }, { status: 400 })
        tokenSeq++
        const claims = {
          email: 'codex-user@example.com',
          'https://api.openai.com/auth': {
            chatgpt_account_id: 'chatgpt-acct-1',
            chatgpt_user_id: 'user-1',
            chatgpt_plan_type: 'plus',
            organizations: [{ id: 'org-1', is_default: true, role: 'owner', title: 'Personal' }],
          },
        }
        const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
        return Response.json({
          id_token: `${b64({ alg: 'none' })}.${b64(claims)}.sig`,
          access_token: `chatgpt-access-${tokenSeq}`,
          refresh_token: `chatgpt-refresh-${tokenSeq}`,
          expires_in: 3600,
        })
      }
      const auth =
        req.headers.get('authorization')?.replace(/^Bearer /i, '') ??
        req.headers.get('api-key') ??
        ''
      const text = await req.text()
      let body: Record<string, unknown> = {}
      try {
        body = JSON.parse(text)
      } catch {}
      received.push({
        path: url.pathname,
        search: url.search,
        headers: Object.fromEntries(req.headers),
        body,
        account: auth,
      })
      if (!auth) return fail(401, 'Missing credentials', 'invalid_request_error')
      if (auth.startsWith('expired-')) return fail(401, 'Token expired', 'invalid_request_error')
      const script = next(auth)

      // The ChatGPT backend of Codex.
      if (url.pathname.startsWith('/backend-api/codex/responses')) {
        if (!req.headers.get('chatgpt-account-id'))
          return fail(400, 'chatgpt-account-id header required')
        const compact = url.pathname.endsWith('/compact')
        if (!compact) {
          if (body.store !== false) return fail(400, 'Store must be set to false')
          if (body.stream !== true) return fail(400, 'Stream must be set to true')
          if (typeof body.instructions !== 'string') return fail(400, 'Instructions are required')
        }
        if (script.kind === 'error' && script.status === 429)
          return Response.json(
            script.body ?? {
              error: {
                type: 'usage_limit_reached',
                message: 'The usage limit has been reached',
                resets_in_seconds: 1800,
              },
            },
            {
              status: 429,
              headers: {
                ...codexHeaders,
                'x-codex-primary-used-percent': '100',
                ...script.headers,
              },
            },
          )
        return answerResponses(body, script, codexHeaders)
      }

      // Azure OpenAI.
      if (url.pathname.startsWith('/openai/')) {
        if (!req.headers.get('api-key')) return fail(401, 'Access denied: api-key required')
        if (!url.searchParams.get('api-version')) return fail(404, 'Resource not found')
        const dep = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/.exec(
          url.pathname,
        )
        if (script.kind === 'error')
          return Response.json(script.body ?? { error: { message: 'scripted', code: 'x' } }, {
            status: script.status,
            headers: script.headers,
          })
        if (dep?.[2] === 'embeddings') {
          const vector = [0.1, 0.2, 0.3]
          const embedding =
            body.encoding_format === 'base64'
              ? Buffer.from(new Float32Array(vector).buffer).toString('base64')
              : vector
          return Response.json({
            object: 'list',
            data: [{ object: 'embedding', index: 0, embedding }],
            model: String(body.model ?? dep[1]),
            usage: { prompt_tokens: 8, total_tokens: 8 },
          })
        }
        if (dep?.[2] === 'chat/completions') {
          // Azure answers with the deployed model's dated name.
          const model = `${String(body.model ?? 'gpt-4o')}-2024-08-06`
          const reply = script.kind === 'ok' ? (script.text ?? 'Hello from Azure') : 'partial'
          if (body.stream === true) {
            const include =
              (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage ===
              true
            return stream(chatEvents(model, reply, include), null, {})
          }
          return Response.json({
            id: 'chatcmpl-fake',
            object: 'chat.completion',
            created: 1_700_000_000,
            model,
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: reply },
                finish_reason: 'stop',
              },
            ],
            usage: FAKE_CHAT_USAGE,
          })
        }
        if (url.pathname === '/openai/responses' || url.pathname === '/openai/v1/responses')
          return answerResponses(body, script, {})
        return fail(404, 'Resource not found')
      }

      // The OpenAI API (Responses).
      if (/\/responses(\/compact)?$/.test(url.pathname)) {
        if (url.pathname.endsWith('/compact') && script.kind === 'ok')
          return Response.json({
            id: 'resp_compact_1',
            object: 'response.compaction',
            output: [{ type: 'compaction', encrypted_content: 'xyz' }],
            usage: FAKE_OPENAI_USAGE,
          })
        return answerResponses(body, script, {
          'x-ratelimit-remaining-requests': '99',
          'x-request-id': 'req_upstream_1',
        })
      }
      return fail(404, `Unknown path ${url.pathname}`)
    },
  })
  const url = `http://127.0.0.1:${server.port}`
  return {
    url,
    received,
    tokenRequests,
    codexHeaders,
    /** Scripts the next answers of the account with credential `account` (`*` = any). */
    script(account: string, ...s: OpenAIScript[]) {
      scripts.set(account, s)
    },
    reset() {
      received.length = 0
      tokenRequests.length = 0
      scripts.clear()
    },
    stop: () => server.stop(true),
  }
}

export type FakeOpenAI = ReturnType<typeof startFakeOpenAI>
