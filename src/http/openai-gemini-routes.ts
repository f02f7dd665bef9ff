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
import { NotFoundError } from '../core/errors.ts'
import type { Logger } from '../core/ports.ts'
import { keyAllowsModel } from '../keys/model-rules.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import { fromAnthropicErrorResponse, openAIErrorResponse } from '../openai/errors.ts'
import {
  createGeminiChatStreamTransform,
  toChatCompletionFromGemini,
  toGeminiRequest,
} from '../openai/gemini-chat.ts'
import { type ChatCompletionRequest, validateChatRequest } from '../openai/model.ts'
import type { RelayService } from '../relay/pipeline.ts'
import { GEMINI_MODELS, standardRoute } from './gemini-routes.ts'
import { openaiGuarded, readJsonBody, translatedAnswer, withJsonBody } from './openai-chat-relay.ts'
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
  const route = standardRoute(
    pathOf(request.url),
    model,
    stream ? 'streamGenerateContent' : 'generateContent',
  )
  const res = await deps.relay.handle(
    withJsonBody(request, toGeminiRequest(body)),
    requestId,
    route,
    {
      clientRequest: request,
    },
  )
  if (res.status >= 400) return fromAnthropicErrorResponse(res, requestId)
  return translatedAnswer(res, requestId, {
    stream: () =>
      createGeminiChatStreamTransform({
        model: body.model,
        id: requestId,
        includeUsage: body.stream_options?.include_usage === true,
      }),
    whole: (answer) => toChatCompletionFromGemini(answer, body.model, requestId),
  })
}

/** OpenAI-compatible Gemini controller. */
export function openaiGeminiRoutes(deps: OpenAIGeminiRouteDeps) {
  const { keys } = deps

  const guarded = (request: Request, run: (id: string) => Promise<Response>) =>
    openaiGuarded(deps.logger, request, run)

  async function chat(request: Request, requestId: string, defaultModel?: string) {
    await keys.authenticate(extractApiKey(request.headers, request.url))
    const parsed = await readJsonBody(request)
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
