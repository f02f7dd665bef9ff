/**
 * @module
 * The legacy OpenAI `/v1/completions` routes of the seed on the Claude pool: a `prompt` (a string
 * or a list of strings) becomes one user message of a chat completion, which runs through the
 * OpenAI-compatible chat path (translated to Messages, relayed, translated back) and answers in
 * the chat completion shape, as the seed does.
 */
import { Elysia } from 'elysia'
import type { Logger } from '../core/ports.ts'
import type { KeyService } from '../keys/service.ts'
import { openAIErrorResponse } from '../openai/errors.ts'
import type { RelayService } from '../relay/pipeline.ts'
import { openaiGuarded, readJsonBody, withJsonBody } from './openai-chat-relay.ts'
import { chat } from './openai-routes.ts'
import { messagesRoute } from './relay-routes.ts'

/** What the legacy completion routes need. */
export interface LegacyCompletionDeps {
  relay: RelayService
  keys: KeyService
  logger?: Logger
}

const PATHS = ['/openai/claude/v1/completions', '/api/v1/completions', '/openai/v1/completions']

/** The chat body of a legacy completion body, or an error message. */
export function chatBodyOfPrompt(body: unknown): Record<string, unknown> | string {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'Expected a JSON object'
  const { prompt, ...rest } = body as Record<string, unknown>
  const text =
    typeof prompt === 'string'
      ? prompt
      : Array.isArray(prompt) && prompt.every((p) => typeof p === 'string')
        ? prompt.join('\n')
        : null
  if (text === null || text === '') return 'prompt: required (a string or a list of strings)'
  for (const k of ['echo', 'suffix', 'best_of', 'logprobs']) delete rest[k]
  return { ...rest, messages: [{ role: 'user', content: text }] }
}

/** Legacy completions controller. */
export function legacyCompletionRoutes(deps: LegacyCompletionDeps) {
  let app = new Elysia({ name: 'crs.legacy-completions' })
  for (const path of PATHS) {
    const route = { ...messagesRoute(path, 'messages'), path }
    app = app.post(
      path,
      ({ request }) =>
        openaiGuarded(deps.logger, request, async (requestId) => {
          const body = chatBodyOfPrompt(await readJsonBody(request))
          if (typeof body === 'string')
            return openAIErrorResponse(400, 'invalid_request_error', body, requestId)
          return chat(deps, withJsonBody(request, body), requestId, route)
        }),
      {
        parse: 'none',
        detail: {
          tags: ['openai'],
          summary: 'Legacy completion (prompt) on Claude, answered as a chat completion',
        },
      },
    )
  }
  return app
}
