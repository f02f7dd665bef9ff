/**
 * @module
 * Droid client routes (the seed's `/droid/...`): the Factory CLI's Anthropic Messages endpoint,
 * its OpenAI Responses and Chat Completions ("comm") endpoints, and a static model list. They need
 * the `droid` key permission and go to Droid accounts (`droidAccountId` binds a key to one or to a
 * group). A route whose dialect is not registered is not mounted; errors answer in the route's
 * dialect.
 */
import { Elysia } from 'elysia'
import { RelayError } from '../core/errors.ts'
import { anthropicDialect } from '../dialects/anthropic/dialect.ts'
import type { Dialect, DialectName } from '../dialects/dialect.ts'
import { dialectOf } from '../dialects/registry.ts'
import type { KeyService } from '../keys/service.ts'
import { extractApiKey } from '../keys/service.ts'
import type { RelayRoute, RelayService } from '../relay/pipeline.ts'
import { requestIdOf } from './error-plugin.ts'

/** The models GET /droid/<endpoint>/v1/models lists (the seed's three). */
export const DROID_MODELS = [
  ['claude-opus-4-1-20250805', 'anthropic'],
  ['claude-sonnet-4-5-20250929', 'anthropic'],
  ['gpt-5-2025-08-07', 'openai'],
] as const

const DOC = { tags: ['relay'] }

/** The Droid routes: path, dialect, operation. */
const ROUTES: [path: string, dialect: DialectName, operation: string][] = [
  ['/droid/claude/v1/messages', 'anthropic', 'messages'],
  ['/droid/openai/v1/responses', 'openai-responses', 'responses'],
  ['/droid/openai/responses', 'openai-responses', 'responses'],
  ['/droid/comm/v1/chat/completions', 'openai-chat', 'chat'],
]

/** Droid controller. */
export function droidRoutes(deps: { relay: RelayService; keys: KeyService }) {
  let app = new Elysia({ name: 'crs.droid' })
  for (const [path, name, operation] of ROUTES) {
    const dialect: Dialect | undefined = name === 'anthropic' ? anthropicDialect : dialectOf(name)
    if (!dialect) continue
    const route: RelayRoute = { path, dialect, operation, family: 'droid', billable: true }
    app = app.post(
      path,
      async ({ request }) => {
        const requestId = requestIdOf(request)
        try {
          return await deps.relay.handle(request, requestId, route)
        } catch (err) {
          if (err instanceof RelayError) return dialect.errorResponse(err, requestId)
          throw err
        }
      },
      {
        parse: 'none',
        detail: { ...DOC, summary: `Droid: ${operation} on Droid (Factory) accounts` },
      },
    )
  }
  return app.get(
    '/droid/:endpoint/v1/models',
    async ({ request }) => {
      await deps.keys.authenticate(extractApiKey(request.headers))
      return {
        object: 'list',
        data: DROID_MODELS.map(([id, owner]) => ({
          id,
          object: 'model',
          created: 0,
          owned_by: owner,
        })),
      }
    },
    { detail: { ...DOC, summary: 'Droid: the models Droid accounts serve (static list)' } },
  )
}
