/**
 * @module
 * OpenAI-compatible client routes on the Claude account pool: chat completions (streaming or not)
 * and the model list. A chat request is validated and translated to an Anthropic Messages request
 * (`openai/request.ts`), run through the ordinary Messages relay (auth, limits, scheduling,
 * failover, usage, cost and history, recorded under the OpenAI path), and its answer translated
 * back (`openai/response.ts`). Every failure answers in OpenAI's error envelope.
 */
import { Elysia } from 'elysia'
import { RelayError } from '../core/errors.ts'
import type { Logger } from '../core/ports.ts'
import { keyAllowsModel } from '../keys/model-rules.ts'
import type { KeyService } from '../keys/service.ts'
import { extractApiKey } from '../keys/service.ts'
import {
  fromAnthropicErrorResponse,
  fromRelayError,
  openAIErrorResponse,
} from '../openai/errors.ts'
import { validateChatRequest } from '../openai/model.ts'
import { toAnthropic } from '../openai/request.ts'
import { createChatStreamTransform, toChatCompletion } from '../openai/response.ts'
import type { RelayRoute, RelayService } from '../relay/pipeline.ts'
import { requestIdOf } from './error-plugin.ts'
import { chatOnOpenAI, isOpenAIModel } from './openai-chat-bridge.ts'
import { geminiChat } from './openai-gemini-routes.ts'
import { MODEL_LIST, messagesRoute } from './relay-routes.ts'

/** What the OpenAI-compatible routes need. */
export interface OpenAIRouteDeps {
  relay: RelayService
  keys: KeyService
  /** Logs unexpected errors (answered as a 500 `server_error` without their message). */
  logger?: Logger
}

const CHAT_PATHS = [
  '/openai/claude/v1/chat/completions',
  '/api/v1/chat/completions',
  '/openai/v1/chat/completions',
]
const MODEL_PATHS = ['/openai/claude/v1/models', '/openai/v1/models']
const DOC = { tags: ['openai'] }

/** OpenAI-compatible controller. */
export function openaiRoutes(deps: OpenAIRouteDeps) {
  let app = new Elysia({ name: 'crs.openai' })
  for (const path of CHAT_PATHS) {
    const route = { ...messagesRoute(path, 'messages'), path }
    app = app.post(
      path,
      ({ request }) => guarded(deps, request, (requestId) => chat(deps, request, requestId, route)),
      {
        parse: 'none',
        detail: {
          ...DOC,
          summary: 'Create a chat completion (OpenAI format) on Claude, streaming or not',
        },
      },
    )
  }
  for (const path of MODEL_PATHS) {
    app = app.get(path, ({ request }) => guarded(deps, request, () => listModels(deps, request)), {
      detail: { ...DOC, summary: 'List models (OpenAI list shape)' },
    })
  }
  return app
}

/** Runs a handler; any thrown error becomes an OpenAI error Response. */
export async function guarded(
  deps: OpenAIRouteDeps,
  request: Request,
  run: (requestId: string) => Promise<Response>,
): Promise<Response> {
  const requestId = requestIdOf(request)
  try {
    return await run(requestId)
  } catch (err) {
    if (err instanceof RelayError) return fromRelayError(err, requestId)
    deps.logger?.error('unhandled error', {
      requestId,
      path: new URL(request.url).pathname,
      error: err,
    })
    return openAIErrorResponse(500, 'api_error', 'Internal server error', requestId)
  }
}

/** A chat completion: validate, translate, relay as Messages, translate the answer back. */
export async function chat(
  deps: OpenAIRouteDeps,
  request: Request,
  requestId: string,
  route: RelayRoute,
): Promise<Response> {
  // Credentials first, so a bad key is a 401 whatever the body (cached; the relay re-checks).
  await deps.keys.authenticate(extractApiKey(request.headers, request.url))
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
  // The unified routes send OpenAI models to OpenAI accounts (`openai-chat-bridge.ts`).
  if (route.path !== CHAT_PATHS[0] && isOpenAIModel((parsed as { model?: unknown } | null)?.model))
    return chatOnOpenAI(
      deps.relay,
      request,
      requestId,
      route.path,
      parsed as Record<string, unknown>,
    )
  const valid = validateChatRequest(parsed)
  if (!valid.ok) return openAIErrorResponse(400, 'invalid_request_error', valid.message, requestId)
  const body = valid.value
  // Unified route: gemini-* models go to the Gemini accounts.
  if (/^gemini-/i.test(body.model) && !route.path.startsWith('/openai/claude/'))
    return geminiChat(deps, request, requestId, body)
  const headers = new Headers(request.headers)
  headers.delete('content-length')
  headers.set('content-type', 'application/json')
  const inner = new Request(request.url, {
    method: 'POST',
    headers,
    body: JSON.stringify(toAnthropic(body)),
    signal: request.signal,
  })
  const res = await deps.relay.handle(inner, requestId, route, {
    clientRequest: request,
  })
  if (res.status >= 400) return fromAnthropicErrorResponse(res, requestId)
  const out = new Headers()
  for (const [k, v] of res.headers) if (k !== 'content-type') out.set(k, v)
  out.set('request-id', requestId)
  const isSse = (res.headers.get('content-type') ?? '').includes('text/event-stream')
  if (isSse && res.body) {
    out.set('content-type', 'text/event-stream; charset=utf-8')
    out.set('cache-control', 'no-cache')
    const transform = createChatStreamTransform({
      model: body.model,
      includeUsage: body.stream_options?.include_usage === true,
    })
    return new Response(res.body.pipeThrough(transform), { status: res.status, headers: out })
  }
  const text = await res.text()
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return openAIErrorResponse(
      502,
      'api_error',
      'The upstream answer was not valid JSON',
      requestId,
    )
  }
  out.set('content-type', 'application/json')
  return new Response(JSON.stringify(toChatCompletion(message, body.model)), {
    status: res.status,
    headers: out,
  })
}

/** The model list in OpenAI's shape, filtered by the key's model rules. */
async function listModels(deps: OpenAIRouteDeps, request: Request): Promise<Response> {
  const key = await deps.keys.authenticate(extractApiKey(request.headers, request.url))
  const data = MODEL_LIST.filter(([id]) => keyAllowsModel(key, id)).map(([id, , created]) => ({
    id,
    object: 'model',
    created: Math.floor(Date.parse(created) / 1000),
    owned_by: 'anthropic',
  }))
  return Response.json(
    { object: 'list', data },
    { headers: { 'request-id': requestIdOf(request) } },
  )
}
