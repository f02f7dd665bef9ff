/**
 * @module
 * The Gemini dialect: the Generative Language API (`models/{model}:generateContent`,
 * `:streamGenerateContent`, `:countTokens`) that `@google/genai` and the Gemini CLI with an API
 * key speak, and the Code Assist API (`v1internal:…`, the same request inside `{model, project,
 * request}` and answers inside `{response}`) that the Gemini CLI speaks with Google login.
 * Operations: `generateContent`, `streamGenerateContent` (SSE), `streamGenerateContentJson`
 * (a streamed JSON array: no `alt=sse`), `countTokens`, and the same with a `ca:` prefix for Code
 * Assist bodies. On the standard routes the model is in the path, so those routes use
 * {@link geminiDialectFor} (the dialect with the path's model).
 */
import { sha256Hex } from '../../core/crypto.ts'
import { InvalidRequestError, type RelayError } from '../../core/errors.ts'
import type { AnswerFacts, Dialect, ParsedRequest, UpstreamFailure } from '../dialect.ts'
import { jsonObjectBody } from '../json-body.ts'
import { assembleGemini, geminiAnswerText } from './assemble.ts'
import {
  googleErrorBody,
  googleErrorOf,
  googleErrorResponse,
  googleStatus,
  retryDelayOf,
} from './errors.ts'
import { geminiUsageFrom, unwrapResponse } from './usage.ts'
import { GeminiUsageTap } from './usage-tap.ts'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A model name without the `models/` resource prefix. */
export function bareModel(name: string): string {
  return name.startsWith('models/') ? name.slice(7) : name
}

/** Whether an operation streams. */
export function isStreamOperation(operation: string): boolean {
  return operation.endsWith('streamGenerateContent') || operation.endsWith('Json')
}

const GOOGLE_WORDING = {
  invalid: 'Invalid JSON payload received: cannot parse the request body',
  notObject: 'Invalid JSON payload received: expected an object',
}

function needContents(v: unknown, where: string): void {
  if (!Array.isArray(v) || v.length === 0)
    throw new InvalidRequestError(`${where}contents: must be a non-empty array`)
}

/** Checks a Gemini or Code Assist body for `operation`; `pathModel` is the standard routes' model. */
export function parseGeminiBody(text: string, operation: string, pathModel = ''): ParsedRequest {
  const body = jsonObjectBody(text, GOOGLE_WORDING)
  const stream = isStreamOperation(operation)
  if (!operation.startsWith('ca:')) {
    if (!pathModel) throw new InvalidRequestError('model: missing from the request path')
    if (operation === 'countTokens') {
      if (body.contents !== undefined || !body.generateContentRequest)
        needContents(body.contents, '')
    } else needContents(body.contents, '')
    return { body, model: bareModel(pathModel), stream }
  }
  const request = body.request as Record<string, unknown> | undefined
  if (!request || typeof request !== 'object')
    throw new InvalidRequestError('request: field required (the wrapped Gemini request)')
  needContents(request.contents, 'request.')
  const model =
    operation === 'ca:countTokens'
      ? typeof request.model === 'string'
        ? request.model
        : ''
      : typeof body.model === 'string'
        ? body.model
        : ''
  if (!model.trim()) throw new InvalidRequestError('model: field required (a model name string)')
  return { body, model: bareModel(model), stream }
}

/** The message of a Google error body, with its retry delay when it has one. */
export function geminiErrorMessage(bytes: Uint8Array): string {
  const text = decoder.decode(bytes)
  try {
    const e = googleErrorOf(JSON.parse(text))
    if (e && typeof e.message === 'string') {
      const delay = retryDelayOf(e)
      return delay !== null && !/retry in/i.test(e.message)
        ? `${e.message} (retry in ${delay}s)`
        : e.message
    }
  } catch {
    // not JSON
  }
  return text.slice(0, 300)
}

/** The first text of the request (system instruction, else the first content) for stickiness. */
function firstText(req: Record<string, unknown>): string {
  const partsText = (c: unknown) => {
    const parts = (c as { parts?: unknown } | null)?.parts
    if (!Array.isArray(parts)) return ''
    return parts.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('')
  }
  const sys = partsText(req.systemInstruction ?? req.system_instruction)
  if (sys) return sys
  return Array.isArray(req.contents) ? partsText(req.contents[0]) : ''
}

const base: Dialect = {
  name: 'gemini',
  parse: (text, operation) => parseGeminiBody(text, operation),
  async sessionHash(body) {
    const req = (body.request ?? body) as Record<string, unknown>
    // The Gemini CLI sends its session id inside Code Assist requests.
    if (typeof req.session_id === 'string' && req.session_id) return req.session_id.slice(0, 64)
    const text = firstText(req)
    return text ? (await sha256Hex(text)).slice(0, 32) : null
  },
  createTap: (options) => new GeminiUsageTap(options),
  readAnswer(json): AnswerFacts {
    // A non-SSE stream is a JSON array whose items repeat the running usage: take the last.
    const list = Array.isArray(json) ? json : [json]
    for (let i = list.length - 1; i >= 0; i--) {
      const r = unwrapResponse(list[i])
      if (r?.usageMetadata) return { usage: geminiUsageFrom(r.usageMetadata), model: '' }
    }
    return { usage: null, model: '' }
  },
  upstreamMessage: geminiErrorMessage,
  upstreamErrorResponse(last: UpstreamFailure, requestId: string): Response {
    const headers = new Headers({ 'content-type': 'application/json', 'request-id': requestId })
    const retry = last.headers.get('retry-after')
    if (retry) headers.set('retry-after', retry)
    let body: unknown
    try {
      const e = googleErrorOf(JSON.parse(decoder.decode(last.body)))
      if (e) {
        body = { error: { ...e, request_id: requestId } }
        const delay = retryDelayOf(e)
        if (!retry && delay !== null) headers.set('retry-after', String(Math.ceil(delay)))
      }
    } catch {
      // not a Google error: wrapped below
    }
    body ??= googleErrorBody(last.status, last.message || `Upstream answered ${last.status}`, {
      request_id: requestId,
    })
    return new Response(JSON.stringify(body), { status: last.status, headers })
  },
  errorResponse: (err: RelayError, requestId: string) => googleErrorResponse(err, requestId),
  streamError(type, message, requestId) {
    const status = type === 'timeout_error' ? 504 : 500
    const body = {
      error: { code: status, message, status: googleStatus(status), request_id: requestId },
    }
    return encoder.encode(`data: ${JSON.stringify(body)}\r\n\r\n`)
  },
  assemble: (text, textLimit) => assembleGemini(text, textLimit),
  answerText: geminiAnswerText,
  probeRequest: () => ({
    operation: 'streamGenerateContent',
    body: { contents: [{ role: 'user', parts: [{ text: 'Say hi' }] }] },
  }),
}

/** The Gemini dialect (Code Assist routes, history, the account test). */
export const geminiDialect: Dialect = base

const byModel = new Map<string, Dialect>()

/** The dialect of a standard route whose path names `model`. */
export function geminiDialectFor(model: string): Dialect {
  let d = byModel.get(model)
  if (!d) {
    d = { ...base, parse: (text, operation) => parseGeminiBody(text, operation, model) }
    if (byModel.size > 500) byModel.clear()
    byModel.set(model, d)
  }
  return d
}
