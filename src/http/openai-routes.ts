/**
 * @module
 * OpenAI-compatible client routes on the Claude account pool: chat completions (streaming or not)
 * and the model list. A chat request is validated and translated to an Anthropic Messages request
 * (`openai/request.ts`), run through the ordinary Messages relay (auth, limits, scheduling,
 * failover, usage, cost and history, recorded under the OpenAI path), and its answer translated
 * back (`openai/response.ts`). Every failure answers in OpenAI's error envelope.
 */
import { Elysia } from 'elysia'
import type { Logger } from '../core/ports.ts'
import { keyAllowsModel } from '../keys/model-rules.ts'
import type { KeyService } from '../keys/service.ts'
import { extractApiKey } from '../keys/service.ts'
import { fromAnthropicErrorResponse, openAIErrorResponse } from '../openai/errors.ts'
import { validateChatRequest } from '../openai/model.ts'
import { toAnthropic } from '../openai/request.ts'
import { createChatStreamTransform, toChatCompletion } from '../openai/response.ts'
import type { RelayRoute, RelayService } from '../relay/pipeline.ts'
import { requestIdOf } from './error-plugin.ts'
import { chatOnOpenAI, isOpenAIModel } from './openai-chat-bridge.ts'
import { openaiGuarded, readJsonBody, translatedAnswer, withJsonBody } from './openai-chat-relay.ts'
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
      ({ request }) =>
        openaiGuarded(deps.logger, request, (requestId) => chat(deps, request, requestId, route)),
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
    app = app.get(
      path,
      ({ request }) => openaiGuarded(deps.logger, request, () => listModels(deps, request)),
      {
        detail: { ...DOC, summary: 'List models (OpenAI list shape)' },
      },
    )
  }
  return app
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
  const parsed = await readJsonBody(request)
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
  const res = await deps.relay.handle(withJsonBody(request, toAnthropic(body)), requestId, route, {
    clientRequest: request,
  })
  if (res.status >= 400) return fromAnthropicErrorResponse(res, requestId)
  return translatedAnswer(res, requestId, {
    stream: () =>
      createChatStreamTransform({
        model: body.model,
        includeUsage: body.stream_options?.include_usage === true,
      }),
    whole: (message) => toChatCompletion(message, body.model),
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
