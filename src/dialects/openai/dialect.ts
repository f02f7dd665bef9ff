/**
 * @module
 * The OpenAI dialects: Responses (`/responses`, `/responses/compact`: what the Codex CLI and the
 * openai SDK's `responses.create` speak, and what OpenAI, ChatGPT-login and Azure accounts
 * answer in) and Chat Completions (`/chat/completions`, `/embeddings` on Azure). Errors are in
 * OpenAI's envelope `{error:{message,type,param,code}}`; a failure after the stream began is the
 * dialect's own error event.
 */
import { sha256Hex } from '../../core/crypto.ts'
import { errorTypeForStatus, InvalidRequestError, type RelayError } from '../../core/errors.ts'
import { fromRelayError, openAIErrorBody } from '../../openai/errors.ts'
import type { AnswerFacts, Dialect, ParsedRequest, UpstreamFailure } from '../dialect.ts'
import { jsonObjectBody } from '../json-body.ts'
import { assembleChat, assembleResponses, chatText, responsesText } from './assemble.ts'
import { OpenAITap } from './tap.ts'
import { openaiUsageFrom } from './usage.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function modelOf(b: Record<string, unknown>): string {
  if (typeof b.model !== 'string' || !b.model.trim())
    throw new InvalidRequestError('model: field required (a model name string)')
  return b.model
}

/** The message of an OpenAI error body (`{error:{message}}`, `{error:"…"}`, `{detail}`), else its text. */
export function openaiErrorMessage(bytes: Uint8Array): string {
  const text = decoder.decode(bytes)
  // An SSE error (some upstreams answer errors as a stream): its first data line.
  const dataLine = /^data:\s*(.+)$/m.exec(text)?.[1]
  for (const candidate of dataLine ? [dataLine, text] : [text]) {
    try {
      const j = JSON.parse(candidate) as Record<string, unknown>
      const e = j.error
      if (e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string')
        return (e as { message: string }).message
      if (typeof e === 'string') return e
      if (typeof j.message === 'string') return j.message
      if (typeof j.detail === 'string') return j.detail
    } catch {
      // not JSON
    }
  }
  return text.slice(0, 300)
}

/** Headers of an upstream failure worth passing on (retry timing, rate-limit state). */
function failureHeaders(last: UpstreamFailure, requestId: string): Headers {
  const headers = new Headers({ 'content-type': 'application/json', 'request-id': requestId })
  for (const [k, v] of last.headers)
    if (k === 'retry-after' || k.startsWith('x-ratelimit-') || k.startsWith('x-codex-'))
      headers.set(k, v)
  return headers
}

/** The client's answer when every try failed: the upstream's OpenAI error kept, else wrapped. */
export function openaiUpstreamErrorResponse(last: UpstreamFailure, requestId: string): Response {
  const headers = failureHeaders(last, requestId)
  let body: unknown
  try {
    const j = JSON.parse(decoder.decode(last.body)) as Record<string, unknown>
    if (j && typeof j.error === 'object' && j.error !== null) body = j
  } catch {
    // wrapped below
  }
  body ??= openAIErrorBody(
    errorTypeForStatus(last.status),
    last.message || `Upstream answered ${last.status}`,
  )
  return new Response(JSON.stringify(body), { status: last.status, headers })
}

/** The session id of a Codex / Responses request (headers first, then the body). */
export function openaiSessionId(body: Record<string, unknown>, headers: Headers): string | null {
  for (const h of ['session_id', 'session-id', 'x-session-id']) {
    const v = headers.get(h)?.trim()
    if (v) return v
  }
  for (const f of ['session_id', 'conversation_id', 'prompt_cache_key']) {
    const v = body[f]
    if (typeof v === 'string' && v.trim()) return v.trim()
  }
  return null
}

async function sessionHash(body: Record<string, unknown>, headers: Headers) {
  const id = openaiSessionId(body, headers)
  return id ? (await sha256Hex(id)).slice(0, 32) : null
}

const common = {
  sessionHash,
  upstreamMessage: openaiErrorMessage,
  upstreamErrorResponse: openaiUpstreamErrorResponse,
  errorResponse: (err: RelayError, requestId: string) => fromRelayError(err, requestId),
  readAnswer(json: unknown): AnswerFacts {
    const j = (json ?? {}) as { usage?: unknown; model?: unknown; response?: { usage?: unknown } }
    return {
      usage: openaiUsageFrom(j.usage ?? j.response?.usage),
      model: typeof j.model === 'string' ? j.model : '',
    }
  },
}

/** The OpenAI Responses dialect. */
export const openaiResponsesDialect: Dialect = {
  name: 'openai-responses',
  ...common,
  parse(text): ParsedRequest {
    const body = jsonObjectBody(text)
    const model = modelOf(body)
    if (body.stream !== undefined && typeof body.stream !== 'boolean')
      throw new InvalidRequestError('stream: must be a boolean')
    return { body, model, stream: body.stream === true }
  },
  createTap: (options) => new OpenAITap('responses', options),
  streamError(type, message, requestId) {
    const data = { type: 'error', code: type, message, param: null, request_id: requestId }
    return encoder.encode(`event: error\ndata: ${JSON.stringify(data)}\n\n`)
  },
  assemble: (text, textLimit) => assembleResponses(text, textLimit),
  answerText: responsesText,
  probeRequest: (model) => ({
    operation: 'responses',
    body: { model, stream: true, input: 'Say hi', instructions: 'Answer in one short sentence.' },
  }),
}

/** The OpenAI Chat Completions dialect (also embeddings, which are never streamed). */
export const openaiChatDialect: Dialect = {
  name: 'openai-chat',
  ...common,
  parse(text, operation): ParsedRequest {
    const body = jsonObjectBody(text)
    const model = modelOf(body)
    if (operation === 'embeddings') {
      if (body.input === undefined) throw new InvalidRequestError('input: field required')
      return { body, model, stream: false }
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      throw new InvalidRequestError('messages: must be a non-empty array')
    if (body.stream !== undefined && typeof body.stream !== 'boolean')
      throw new InvalidRequestError('stream: must be a boolean')
    return { body, model, stream: body.stream === true }
  },
  createTap: (options) => new OpenAITap('chat', options),
  streamError(type, message, requestId) {
    const data = { error: { ...openAIErrorBody(type, message).error, request_id: requestId } }
    return encoder.encode(`data: ${JSON.stringify(data)}\n\n`)
  },
  assemble: (text, textLimit) => assembleChat(text, textLimit),
  answerText: chatText,
  probeRequest: (model) => ({
    operation: 'chat',
    body: {
      model,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 20,
      messages: [{ role: 'user', content: 'Say hi' }],
    },
  }),
}
