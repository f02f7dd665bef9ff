/**
 * @module
 * Azure OpenAI client routes as the system we replace serves them (`/azure/chat/completions`,
 * `/azure/responses`, `/azure/embeddings`, `GET /azure/models`, `/azure/usage`, `/azure/health`),
 * relayed to Azure OpenAI accounts. Unlike that system they need the key's `openai` permission
 * and honour its `azureOpenaiAccountId` binding; errors answer in OpenAI's envelope.
 */
import { Elysia } from 'elysia'
import { PermissionError } from '../core/errors.ts'
import type { Clock, Logger } from '../core/ports.ts'
import { openaiChatDialect, openaiResponsesDialect } from '../dialects/openai/dialect.ts'
import { keyAllowsModel } from '../keys/model-rules.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import type { LimitsRepository } from '../limits/repository.ts'
import type { RelayRoute, RelayService } from '../relay/pipeline.ts'
import type { UsageService } from '../usage/service.ts'
import { keyLimitsView, usageView } from './key-routes.ts'
import { openaiGuarded } from './openai-responses-routes.ts'

/** What the Azure routes need. */
export interface AzureRouteDeps {
  relay: RelayService
  keys: KeyService
  usage: UsageService
  limits: LimitsRepository
  clock: Clock
  logger?: Logger
}

/** Models `GET /azure/models` lists (the seed's list). */
export const AZURE_MODELS = [
  'gpt-4',
  'gpt-4-turbo',
  'gpt-4o',
  'gpt-4o-mini',
  'gpt-5',
  'gpt-5-mini',
  'gpt-35-turbo',
  'gpt-35-turbo-16k',
  'codex-mini',
  'text-embedding-ada-002',
  'text-embedding-3-small',
  'text-embedding-3-large',
]

const DOC = { tags: ['azure'] }
const route = (path: string, operation: string): RelayRoute => ({
  path,
  dialect: operation === 'responses' ? openaiResponsesDialect : openaiChatDialect,
  operation,
  family: 'azure',
  billable: true,
})

/** Azure OpenAI controller. */
export function azureRoutes(deps: AzureRouteDeps) {
  const { relay, keys, clock, logger } = deps
  let app = new Elysia({ name: 'crs.azure' })
  const posts: [string, string, string][] = [
    ['/azure/chat/completions', 'chat', 'Create a chat completion on Azure OpenAI accounts'],
    ['/azure/responses', 'responses', 'Create a response (Responses API) on Azure OpenAI accounts'],
    ['/azure/embeddings', 'embeddings', 'Create embeddings on Azure OpenAI accounts'],
  ]
  for (const [path, operation, summary] of posts) {
    const r = route(path, operation)
    app = app.post(
      path,
      ({ request }) => openaiGuarded(logger, request, (id) => relay.handle(request, id, r)),
      { parse: 'none', detail: { ...DOC, summary } },
    )
  }
  const keyOf = async (request: Request) => {
    const key = await keys.authenticate(extractApiKey(request.headers), { activate: false })
    if (key.permissions !== 'all' && key.permissions !== 'openai')
      throw new PermissionError('This API key is not allowed to use Azure OpenAI')
    return key
  }
  return app
    .get('/azure/health', () => ({ status: 'healthy', service: 'azure-openai-relay' }), {
      detail: { ...DOC, summary: 'Health of the Azure routes (no key needed)' },
    })
    .get(
      '/azure/models',
      ({ request }) =>
        openaiGuarded(logger, request, async () => {
          const key = await keyOf(request)
          const created = Math.floor(clock.now() / 1000)
          const data = AZURE_MODELS.filter((m) => keyAllowsModel(key, m)).map((m) => ({
            id: `azure/${m}`,
            object: 'model',
            created,
            owned_by: 'azure-openai',
          }))
          return Response.json({ object: 'list', data })
        }),
      { detail: { ...DOC, summary: 'Models of the Azure routes (OpenAI list shape)' } },
    )
    .get(
      '/azure/usage',
      ({ request }) =>
        openaiGuarded(logger, request, async () => {
          const key = await keyOf(request)
          const { summary } = await keyLimitsView(
            { usage: deps.usage, limits: deps.limits, clock },
            key,
          )
          return Response.json({
            object: 'usage',
            data: {
              total: usageView(summary.total),
              daily: usageView(summary.day),
              monthly: usageView(summary.month),
            },
          })
        }),
      { detail: { ...DOC, summary: 'Usage of the calling key' } },
    )
}
