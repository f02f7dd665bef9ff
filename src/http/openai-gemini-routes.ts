/**
 * @module
 * OpenAI-compatible routes on the Gemini accounts (`/openai/gemini/v1/chat/completions`, its model
 * list, and the old `/gemini/messages` and `/gemini/models`): a chat request is validated and
 * translated to a Gemini request (`openai/gemini-chat.ts`), run through the ordinary Gemini relay
 * route (either kind of Gemini account; usage, cost and history recorded under the OpenAI path)
 * and its answer translated back to OpenAI's shape, streamed or whole. `geminiChat` is also what
 * the unified chat route calls for `gemini-*` models. Every failure answers in OpenAI's envelope.
 */
import { Elysia } from 'elysia'
import { NotFoundError, RelayError } from '../core/errors.ts'
import type { Logger } from '../core/ports.ts'
import { keyAllowsModel } from '../keys/model-rules.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import {
  fromAnthropicErrorResponse,
  fromRelayError,
  openAIErrorResponse,
} from '../openai/errors.ts'
import {
  createGeminiChatStreamTransform,
  toChatCompletionFromGemini,
  toGeminiRequest,
} from '../openai/gemini-chat.ts'
import { type ChatCompletionRequest, validateChatRequest } from '../openai/model.ts'
import type { RelayService } from '../relay/pipeline.ts'
import { requestIdOf } from './error-plugin.ts'
import { GEMINI_MODELS, standardRoute } from './gemini-routes.ts'
import { pathOf } from './request-path.ts'

/** What the routes need. */
export interface OpenAIGeminiRouteDeps {
  relay: RelayService
  keys: KeyService
  logger?: Logger
}

const DOC = { tags: ['gemini'] }

/** Runs a chat completion of an already validated body on the Gemini accounts. */
export async function geminiChat(
  deps: Pick<OpenAIGeminiRouteDeps, 'relay'>,
  request: Request,
  requestId: string,
  body: ChatCompletionRequest,
): Promise<Response> {
  const model = body.model.replace(/^models\//, '')
  const stream = body.stream === true
  const headers = new Headers(request.headers)
  headers.delete('content-length')
  headers.set('content-type', 'application/json')
  const inner = new Request(request.url, {
    method: 'POST',
    headers,
    body: JSON.stringify(toGeminiRequest(body)),
    signal: request.signal,
  })
  const route = standardRoute(
    pathOf(request.url),
    model,
    stream ? 'streamGenerateContent' : 'generateContent',
  )
  const res = await deps.relay.handle(inner, requestId, route, { clientRequest: request })
  if (res.status >= 400) return fromAnthropicErrorResponse(res, requestId)
  const out = new Headers()
  for (const [k, v] of res.headers) if (k !== 'content-type') out.set(k, v)
  out.set('request-id', requestId)
  const isSse = (res.headers.get('content-type') ?? '').includes('text/event-stream')
  if (isSse && res.body) {
    out.set('content-type', 'text/event-stream; charset=utf-8')
    out.set('cache-control', 'no-cache')
    const transform = createGeminiChatStreamTransform({
      model: body.model,
      id: requestId,
      includeUsage: body.stream_options?.include_usage === true,
    })
    return new Response(res.body.pipeThrough(transform), { status: res.status, headers: out })
  }
  let answer: unknown
  try {
    answer = JSON.parse(await res.text())
  } catch {
    return openAIErrorResponse(
      502,
      'api_error',
      'The upstream answer was not valid JSON',
      requestId,
    )
  }
  out.set('content-type', 'application/json')
  return new Response(JSON.stringify(toChatCompletionFromGemini(answer, body.model, requestId)), {
    status: res.status,
    headers: out,
  })
}

/** OpenAI-compatible Gemini controller. */
export function openaiGeminiRoutes(deps: OpenAIGeminiRouteDeps) {
  const { keys } = deps

  async function guarded(request: Request, run: (id: string) => Promise<Response>) {
    const requestId = requestIdOf(request)
    try {
      return await run(requestId)
    } catch (err) {
      if (err instanceof RelayError) return fromRelayError(err, requestId)
      deps.logger?.error('unhandled error', { requestId, path: pathOf(request.url), error: err })
      return openAIErrorResponse(500, 'api_error', 'Internal server error', requestId)
    }
  }

  async function chat(request: Request, requestId: string, defaultModel?: string) {
    await keys.authenticate(extractApiKey(request.headers, request.url))
    let parsed: unknown
    try {
      parsed = JSON.parse(await request.text())
    } catch {
      return openAIErrorResponse(
        400,
        'invalid_request_error',
        'Cannot parse request body: expected valid JSON',
        requestId,
      )
    }
    if (
      defaultModel &&
      parsed &&
      typeof parsed === 'object' &&
      !(parsed as { model?: unknown }).model
    )
      (parsed as { model: string }).model = defaultModel
    const valid = validateChatRequest(parsed)
    if (!valid.ok)
      return openAIErrorResponse(400, 'invalid_request_error', valid.message, requestId)
    return geminiChat(deps, request, requestId, valid.value)
  }

  async function models(request: Request, one?: string) {
    const key = await keys.authenticate(extractApiKey(request.headers, request.url))
    const data = GEMINI_MODELS.filter(([id]) => keyAllowsModel(key, id)).map(([id]) => ({
      id,
      object: 'model',
      created: 1_735_689_600,
      owned_by: 'google',
    }))
    if (one === undefined) return Response.json({ object: 'list', data })
    const found = data.find((m) => m.id === one.replace(/^models\//, ''))
    if (!found) throw new NotFoundError(`The model '${one}' does not exist`)
    return Response.json(found)
  }

  return new Elysia({ name: 'crs.openai-gemini' })
    .post(
      '/openai/gemini/v1/chat/completions',
      ({ request }) => guarded(request, (id) => chat(request, id)),
      { parse: 'none', detail: { ...DOC, summary: 'Chat completion (OpenAI format) on Gemini' } },
    )
    .post(
      '/gemini/messages',
      ({ request }) => guarded(request, (id) => chat(request, id, 'gemini-2.5-flash')),
      {
        parse: 'none',
        detail: { ...DOC, summary: 'Old path: chat completion (OpenAI format) on Gemini' },
      },
    )
    .get('/openai/gemini/v1/models', ({ request }) => guarded(request, () => models(request)), {
      detail: { ...DOC, summary: 'Gemini models (OpenAI list shape)' },
    })
    .get(
      '/openai/gemini/v1/models/:model',
      ({ request, params }) =>
        guarded(request, () => models(request, decodeURIComponent(params.model))),
      { detail: { ...DOC, summary: 'One Gemini model (OpenAI shape)' } },
    )
    .get('/gemini/models', ({ request }) => guarded(request, () => models(request)), {
      detail: { ...DOC, summary: 'Old path: Gemini models (OpenAI list shape)' },
    })
}
