/**
 * @module
 * The Anthropic Messages dialect (`/v1/messages`, `/v1/messages/count_tokens`): what Claude
 * Code and the Anthropic SDKs speak, and what Claude OAuth, Console, Bedrock (after its event
 * stream is turned into SSE) and CCR accounts answer in.
 */
import {
  errorBody,
  errorTypeForStatus,
  InvalidRequestError,
  type RelayError,
} from '../../core/errors.ts'
import type { AnswerFacts, Dialect, ParsedRequest, UpstreamFailure } from '../dialect.ts'
import { jsonObjectBody } from '../json-body.ts'
import { assembleSse } from './assemble.ts'
import { sessionHashOf } from './session-hash.ts'
import { usageFrom } from './usage.ts'
import { UsageTap } from './usage-tap.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Checks a Messages (or count_tokens) body and reads model and stream. */
export function parseMessagesBody(text: string, operation: string): ParsedRequest {
  const b = jsonObjectBody(text)
  if (typeof b.model !== 'string' || !b.model.trim())
    throw new InvalidRequestError('model: field required (a model name string)')
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    throw new InvalidRequestError('messages: must be a non-empty array')
  const messages = operation === 'messages'
  if (messages && b.stream !== undefined && typeof b.stream !== 'boolean')
    throw new InvalidRequestError('stream: must be a boolean')
  return { body: b, model: b.model, stream: messages && b.stream === true }
}

/** The message of an Anthropic error body (`{error:{message}}`, `{error:"…"}`, `{message}`), else its text. */
export function anthropicErrorMessage(bytes: Uint8Array): string {
  const text = decoder.decode(bytes)
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown }
    if (typeof j.error === 'object' && typeof j.error?.message === 'string') return j.error.message
    if (typeof j.error === 'string') return j.error
    if (typeof j.message === 'string') return j.message
  } catch {
    // not JSON
  }
  return text.slice(0, 300)
}

/** The Anthropic dialect. */
export const anthropicDialect: Dialect = {
  name: 'anthropic',
  parse: parseMessagesBody,
  sessionHash: (body) => sessionHashOf(body),
  createTap: (options) => new UsageTap(options),
  readAnswer(json): AnswerFacts {
    const j = (json ?? {}) as { usage?: unknown; model?: unknown }
    return {
      usage: usageFrom(j.usage),
      model: typeof j.model === 'string' ? j.model : '',
    }
  },
  upstreamMessage: anthropicErrorMessage,
  upstreamErrorResponse(last: UpstreamFailure, requestId: string): Response {
    const headers = new Headers({ 'content-type': 'application/json', 'request-id': requestId })
    const retry = last.headers.get('retry-after')
    if (retry) headers.set('retry-after', retry)
    for (const [k, v] of last.headers) if (k.startsWith('anthropic-ratelimit-')) headers.set(k, v)
    let body: unknown
    try {
      const j = JSON.parse(decoder.decode(last.body)) as Record<string, unknown>
      if (j && j.type === 'error' && typeof j.error === 'object')
        body = { ...j, request_id: requestId }
    } catch {
      // fall through to a wrapped body
    }
    body ??= errorBody(
      errorTypeForStatus(last.status),
      last.message || `Upstream answered ${last.status}`,
      requestId,
    )
    return new Response(JSON.stringify(body), { status: last.status, headers })
  },
  errorResponse: (err: RelayError, requestId: string) => err.toResponse(requestId),
  streamError(type, message, requestId) {
    return encoder.encode(
      `event: error\ndata: ${JSON.stringify(errorBody(type, message, requestId))}\n\n`,
    )
  },
  assemble(text, textLimit) {
    const r = assembleSse(text, textLimit)
    return r.message ? r : null
  },
  answerText(answer) {
    const content = (answer as { content?: unknown } | null)?.content
    if (!Array.isArray(content)) return ''
    let text = ''
    for (const b of content as { type?: unknown; text?: unknown }[])
      if (b?.type === 'text' && typeof b.text === 'string') text += b.text
    return text
  },
  probeRequest: (model) => ({
    operation: 'messages',
    body: { model, max_tokens: 20, stream: true, messages: [{ role: 'user', content: 'Say hi' }] },
  }),
}
