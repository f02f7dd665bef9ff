/**
 * @module
 * ChatGPT-login ("Codex") accounts: the Codex backend of chatgpt.com (`…/backend-api/codex/
 * responses`, and `/compact`) with the account's OAuth access token (refreshed a minute before
 * expiry and once after a 401) and its `chatgpt-account-id`. The base URL is the account's
 * `apiUrl` or OPENAI_CHATGPT_BASE_URL.
 *
 * What that backend demands of a body, and nothing more, is changed: `store: false` (it keeps no
 * responses), a stream (a client that asked for JSON gets the final response of the stream as
 * JSON), an `instructions` string (a short default only when the client sent none), and none of
 * the sampling fields it refuses (`temperature`, `top_p`, `max_output_tokens`, `service_tier`,
 * `truncation`, `user`). The client's own instructions are always kept.
 */
import type { TokenProvider } from '../../accounts/oauth.ts'
import type { Config } from '../../config/schema.ts'
import { sseDataOf } from '../../dialects/sse-lines.ts'
import { upstreamJsonHeaders } from '../../relay/headers.ts'
import type { PlatformAdapter, UpstreamCall, UpstreamRequest } from '../adapter.ts'
import type { CodexUsageStore } from './codex-usage.ts'
import { classifyOpenAI, codexUrl, OPENAI_FORWARD_HEADERS } from './protocol.ts'

/** Instructions sent when a client sent none (the backend refuses a body without them). */
export const DEFAULT_INSTRUCTIONS = 'You are a helpful assistant.'
/** Body fields the ChatGPT backend refuses. */
const REFUSED_FIELDS = [
  'temperature',
  'top_p',
  'max_output_tokens',
  'service_tier',
  'truncation',
  'user',
]

/** The body the ChatGPT backend accepts, or null when the client's is already one. */
export function chatgptBody(body: Record<string, unknown>, compact: boolean, model: string) {
  const out: Record<string, unknown> = { ...body }
  let changed = model !== body.model
  out.model = model
  if (compact) {
    if ('store' in out) {
      delete out.store
      changed = true
    }
  } else {
    if (out.store !== false) {
      out.store = false
      changed = true
    }
    if (out.stream !== true) {
      out.stream = true
      changed = true
    }
    if (typeof out.instructions !== 'string') {
      out.instructions = DEFAULT_INSTRUCTIONS
      changed = true
    }
  }
  for (const f of REFUSED_FIELDS)
    if (f in out) {
      delete out[f]
      changed = true
    }
  return changed ? out : null
}

/** A streamed answer given to a client that asked for JSON: the final response as JSON. */
export function finalResponseAsJson(res: Response): Response {
  const upstream = res
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        const text = await upstream.text()
        let final: unknown = null
        for (const payload of sseDataOf(text)) {
          if (!payload.includes('"response.')) continue
          try {
            const ev = JSON.parse(payload) as { type?: string; response?: unknown }
            if (
              ev.type === 'response.completed' ||
              ev.type === 'response.incomplete' ||
              ev.type === 'response.failed'
            )
              final = ev.response
          } catch {}
        }
        if (final) controller.enqueue(new TextEncoder().encode(JSON.stringify(final)))
        controller.close()
      } catch (err) {
        controller.error(err)
      }
    },
  })
  const headers = new Headers(res.headers)
  headers.set('content-type', 'application/json')
  headers.delete('content-length')
  return new Response(body, { status: res.status, headers })
}

/** The ChatGPT-login adapter. */
export function createChatGPTAdapter(options: {
  config: Pick<Config, 'OPENAI_CHATGPT_BASE_URL'>
  tokens: TokenProvider
  usage?: CodexUsageStore
}): PlatformAdapter {
  const { config, tokens } = options
  return {
    platform: 'openai',
    family: 'openai',
    dialects: ['openai-responses'],
    probeModel: 'gpt-5-codex',
    async prepare(call: UpstreamCall): Promise<UpstreamRequest> {
      const a = call.entry.account
      const token = await tokens.accessToken(call.entry)
      const compact = call.operation === 'compact'
      const headers = upstreamJsonHeaders(call.clientHeaders, OPENAI_FORWARD_HEADERS)
      headers.accept = compact ? 'application/json' : 'text/event-stream'
      headers.authorization = `Bearer ${token}`
      headers['chatgpt-account-id'] = String(a.options.chatgptAccountId ?? '') || a.id
      headers.originator ??= 'codex_cli_rs'
      if (a.userAgent) headers['user-agent'] = a.userAgent
      const body = chatgptBody(call.body, compact, call.upstreamModel)
      return {
        url: codexUrl(a.apiUrl || config.OPENAI_CHATGPT_BASE_URL, compact),
        headers,
        body: body ? JSON.stringify(body) : call.raw,
      }
    },
    renewAfterUnauthorized: async (entry) => (await tokens.afterUnauthorized(entry)) !== null,
    classify: classifyOpenAI,
    adaptResponse(res, call) {
      const sse = (res.headers.get('content-type') ?? '').includes('text/event-stream')
      return !call.stream && res.ok && sse && call.operation !== 'compact'
        ? finalResponseAsJson(res)
        : res
    },
    observe(entry, headers) {
      options.usage?.observe(entry.account.id, headers)
    },
  }
}
