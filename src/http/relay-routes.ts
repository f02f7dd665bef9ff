/**
 * @module
 * Client routes of the Claude API: Messages (with the old system's aliases), count_tokens, the
 * model list and Claude Code's `/v1/me`. The relay reads the raw body itself (no parsing here) so
 * the original bytes can be forwarded untouched.
 */
import { Elysia } from 'elysia'
import { NotFoundError } from '../core/errors.ts'
import { anthropicDialect } from '../dialects/anthropic/dialect.ts'
import type { ApiKey } from '../keys/model.ts'
import { keyAllowsModel } from '../keys/model-rules.ts'
import type { KeyService } from '../keys/service.ts'
import { extractApiKey } from '../keys/service.ts'
import type { RelayRoute, RelayService } from '../relay/pipeline.ts'
import { requestIdOf } from './error-plugin.ts'

/** Models listed by GET /v1/models (Anthropic list shape). */
export const MODEL_LIST = [
  ['claude-opus-4-5-20251101', 'Claude Opus 4.5', '2025-11-01T00:00:00Z'],
  ['claude-sonnet-4-5-20250929', 'Claude Sonnet 4.5', '2025-09-29T00:00:00Z'],
  ['claude-haiku-4-5-20251001', 'Claude Haiku 4.5', '2025-10-01T00:00:00Z'],
  ['claude-opus-4-1-20250805', 'Claude Opus 4.1', '2025-08-05T00:00:00Z'],
  ['claude-opus-4-20250514', 'Claude Opus 4', '2025-05-14T00:00:00Z'],
  ['claude-sonnet-4-20250514', 'Claude Sonnet 4', '2025-05-14T00:00:00Z'],
  ['claude-3-7-sonnet-20250219', 'Claude Sonnet 3.7', '2025-02-19T00:00:00Z'],
  ['claude-3-5-haiku-20241022', 'Claude Haiku 3.5', '2024-10-22T00:00:00Z'],
] as const

/** A model id without its date suffix (`claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`). */
function undated(id: string): string {
  return id.replace(/-\d{8}$/, '')
}

/** What the client routes need. */
export interface RelayRouteDeps {
  relay: RelayService
  keys: KeyService
}

const MESSAGE_PATHS = [
  '/api/v1/messages',
  '/claude/v1/messages',
  '/v1/messages',
  '/api/claude/v1/messages',
]
const DOC = { tags: ['relay'] }

/** The Messages route at `path` (and its count_tokens route). */
export function messagesRoute(path: string, operation: 'messages' | 'count_tokens'): RelayRoute {
  return {
    path: operation === 'messages' ? path : `${path}/count_tokens`,
    dialect: anthropicDialect,
    operation,
    family: 'claude',
    billable: operation === 'messages',
  }
}

/** Client (relay) controller. */
export function relayRoutes(deps: RelayRouteDeps) {
  let app = new Elysia({ name: 'crs.relay' })
  for (const path of MESSAGE_PATHS) {
    const messages = messagesRoute(path, 'messages')
    const countTokens = messagesRoute(path, 'count_tokens')
    app = app
      .post(path, ({ request }) => deps.relay.handle(request, requestIdOf(request), messages), {
        parse: 'none',
        detail: {
          ...DOC,
          summary: 'Create a message (Anthropic Messages API), streaming or not',
        },
      })
      .post(
        `${path}/count_tokens`,
        ({ request }) => deps.relay.handle(request, requestIdOf(request), countTokens),
        {
          parse: 'none',
          detail: { ...DOC, summary: 'Count tokens of a Messages request' },
        },
      )
  }
  /** The models the key may use (its allow or deny list applied). */
  const modelsOf = (key: ApiKey) =>
    MODEL_LIST.filter(([id]) => keyAllowsModel(key, id)).map(([id, name, created]) => ({
      type: 'model' as const,
      id,
      display_name: name,
      created_at: created,
    }))
  for (const prefix of ['/api', '/claude']) {
    app = app
      .get(
        `${prefix}/v1/models`,
        async ({ request }) => {
          const key = await deps.keys.authenticate(extractApiKey(request.headers, request.url))
          const data = modelsOf(key)
          return {
            data,
            has_more: false,
            first_id: data[0]?.id ?? null,
            last_id: data.at(-1)?.id ?? null,
          }
        },
        { detail: { ...DOC, summary: 'List models (Anthropic list shape)' } },
      )
      .get(
        `${prefix}/v1/models/:modelId`,
        async ({ request, params }) => {
          const key = await deps.keys.authenticate(extractApiKey(request.headers, request.url))
          const wanted = decodeURIComponent(params.modelId)
          // By its id or its alias without the date (`claude-sonnet-4-5`), as the API answers.
          const models = modelsOf(key)
          const found =
            models.find((m) => m.id === wanted) ?? models.find((m) => undated(m.id) === wanted)
          if (!found) throw new NotFoundError(`model: ${wanted}`)
          return found
        },
        {
          detail: {
            ...DOC,
            summary: 'One model by id or alias (Anthropic shape; the SDK’s models.retrieve)',
          },
        },
      )
      .get(
        `${prefix}/v1/me`,
        async ({ request }) => {
          const key = await deps.keys.authenticate(extractApiKey(request.headers, request.url))
          return {
            id: `user_${key.id}`,
            type: 'user',
            display_name: key.name,
            created_at: key.createdAt,
          }
        },
        { detail: { ...DOC, summary: 'The calling key as a user object (used by Claude Code)' } },
      )
  }
  return app
}
