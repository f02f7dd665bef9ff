/**
 * @module
 * Client routes of the OpenAI family as the system we replace serves them: the Responses API
 * (`/openai/responses`, `/openai/v1/responses` and their `/compact` variants: the Codex CLI and
 * the openai SDK) relayed to ChatGPT-login and OpenAI-Responses accounts, and the key holder's
 * `/openai/usage` and `/openai/key-info`. The body is read by the relay itself so the client's
 * bytes go upstream untouched; every failure answers in OpenAI's error envelope.
 */
import { Elysia } from 'elysia'
import type { Logger } from '../core/ports.ts'
import { openaiResponsesDialect } from '../dialects/openai/dialect.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import { openAIErrorResponse } from '../openai/errors.ts'
import type { RelayRoute, RelayService } from '../relay/pipeline.ts'
import { requestIdOf } from './error-plugin.ts'
import { type KeyLimitsDeps, keyLimitsView, keyUsageAnswer, usageView } from './key-routes.ts'
import { openaiGuarded } from './openai-chat-relay.ts'
import { responsesSocketSession } from './openai-ws.ts'

/** What the OpenAI Responses routes need. */
export interface OpenAIResponsesRouteDeps extends KeyLimitsDeps {
  relay: RelayService
  keys: KeyService
  logger?: Logger
  /** Turns a request into a WebSocket (the server's; absent: no WebSocket transport). */
  upgrade?: (request: Request, session: unknown) => boolean
}

const RESPONSES_PATHS = ['/openai/responses', '/openai/v1/responses']
const DOC = { tags: ['openai'] }

/** The Responses route at `path` (`compact`: its `/compact` variant). */
export function responsesRoute(path: string, compact: boolean): RelayRoute {
  return {
    path: compact ? `${path}/compact` : path,
    dialect: openaiResponsesDialect,
    operation: compact ? 'compact' : 'responses',
    family: 'openai',
    billable: true,
  }
}

/** Runs a relay call; a thrown error becomes an OpenAI error Response (Azure's routes use it too). */
export { openaiGuarded }

/** OpenAI Responses controller. */
export function openaiResponsesRoutes(deps: OpenAIResponsesRouteDeps) {
  const { relay, keys, clock, logger } = deps
  let app = new Elysia({ name: 'crs.openai-responses' })
  for (const path of RESPONSES_PATHS)
    for (const compact of [false, true]) {
      const route = responsesRoute(path, compact)
      app = app.post(
        route.path,
        ({ request }) => openaiGuarded(logger, request, (id) => relay.handle(request, id, route)),
        {
          parse: 'none',
          detail: {
            ...DOC,
            summary: compact
              ? 'Compact a conversation (OpenAI Responses compact) on OpenAI accounts'
              : 'Create a response (OpenAI Responses API) on OpenAI accounts, streaming or not',
          },
        },
      )
    }
  // The Responses API over WebSocket (the Codex CLI with `supports_websockets = true`).
  for (const path of RESPONSES_PATHS) {
    const route = responsesRoute(path, false)
    app = app.get(
      path,
      ({ request }) =>
        openaiGuarded(logger, request, async () => {
          if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
            return openAIErrorResponse(
              405,
              'invalid_request_error',
              'Use POST, or open a WebSocket',
              requestIdOf(request),
            )
          // The key is checked before the socket opens; each message is checked again.
          await keys.authenticate(extractApiKey(request.headers))
          const session = responsesSocketSession({ relay, route, upgrade: request, logger })
          if (!deps.upgrade?.(request, session))
            return openAIErrorResponse(
              426,
              'invalid_request_error',
              'WebSocket upgrade failed',
              requestIdOf(request),
            )
          return new Response(null, { status: 200 })
        }),
      {
        detail: { ...DOC, summary: 'The Responses API over WebSocket (response.create messages)' },
      },
    )
  }
  const limitsView = (key: Awaited<ReturnType<KeyService['authenticate']>>) =>
    keyLimitsView(deps, key)
  return app
    .get(
      '/openai/key-info',
      ({ request }) =>
        openaiGuarded(logger, request, async () => {
          const key = await keys.authenticate(extractApiKey(request.headers), { activate: false })
          const { summary } = await limitsView(key)
          return Response.json({
            keyInfo: {
              id: key.id,
              name: key.name,
              tokenLimit: key.tokenLimit,
              permissions: key.permissions,
              usage: usageView(summary.total),
            },
            timestamp: new Date(clock.now()).toISOString(),
          })
        }),
      { detail: { ...DOC, summary: 'The calling key and its lifetime usage' } },
    )
    .get(
      '/openai/usage',
      ({ request }) =>
        openaiGuarded(logger, request, async () => {
          const key = await keys.authenticate(extractApiKey(request.headers), { activate: false })
          return Response.json({
            object: 'usage',
            ...(await keyUsageAnswer(deps, key)),
          })
        }),
      {
        detail: {
          ...DOC,
          summary: 'Usage of the calling key (total, today, this month) and its limits',
        },
      },
    )
}
