/**
 * @module
 * Azure OpenAI client routes as the system we replace serves them (`/azure/chat/completions`,
 * `/azure/responses`, `/azure/embeddings`, `GET /azure/models`, `/azure/usage`, `/azure/health`),
 * relayed to Azure OpenAI accounts. Unlike that system they need the key's `openai` permission
 * and honour its `azureOpenaiAccountId` binding; errors answer in OpenAI's envelope.
 *
 * The same accounts also answer the paths the openai SDK's `AzureOpenAI` client sends when its
 * endpoint is `<relay>/azure` (`/azure/openai/deployments/{deployment}/chat/completions` and
 * `/embeddings`, `/azure/openai/responses`, `GET /azure/openai/models`, each with
 * `?api-version=`; the relay key in `api-key`). The path's deployment picks the accounts and the
 * upstream deployment (`platforms/openai/azure-adapter.ts#targetDeployment`): one no account this
 * key can use serves is a 404 `DeploymentNotFound`. The client's `api-version` must be a dated
 * version (`2024-10-21`, `2025-04-01-preview`; else a 400 `BadRequest`); upstream each account
 * keeps the version its admin set, which is the one its resource is known to serve.
 */
import { Elysia } from 'elysia'
import { PermissionError, RelayError } from '../core/errors.ts'
import type { Clock, Logger } from '../core/ports.ts'
import { openaiChatDialect, openaiResponsesDialect } from '../dialects/openai/dialect.ts'
import { keyAllowsModel } from '../keys/model-rules.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import type { LimitsRepository } from '../limits/repository.ts'
import { openAIErrorBody } from '../openai/errors.ts'
import type { RelayRoute, RelayService } from '../relay/pipeline.ts'
import type { UsageService } from '../usage/service.ts'
import { requestIdOf } from './error-plugin.ts'
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
const route = (path: string, operation: string, target?: string): RelayRoute => ({
  path,
  dialect: operation === 'responses' ? openaiResponsesDialect : openaiChatDialect,
  operation,
  family: 'azure',
  billable: true,
  ...(target !== undefined && { target }),
})

/** An `api-version` Azure OpenAI's data plane takes: a date, optionally `-preview`. */
const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/

/** An error in Azure OpenAI's envelope (OpenAI's, with Azure's `code`). */
function azureError(
  status: number,
  type: string,
  code: string,
  message: string,
  requestId: string,
  param: string | null = null,
): Response {
  const body = openAIErrorBody(type, message, param)
  body.error.code = code
  return Response.json(body, { status, headers: { 'request-id': requestId } })
}

/** The client's `api-version`, or the 400 a missing or malformed one gets. */
function apiVersionError(request: Request): Response | null {
  const version = new URL(request.url).searchParams.get('api-version')
  if (version !== null && API_VERSION.test(version)) return null
  const message =
    version === null
      ? 'Missing api-version query parameter: expected a dated Azure OpenAI API version such as 2024-10-21 or 2025-04-01-preview'
      : `Unsupported api-version "${version.slice(0, 40)}": expected a dated Azure OpenAI API version such as 2024-10-21 or 2025-04-01-preview`
  return azureError(
    400,
    'invalid_request_error',
    'BadRequest',
    message,
    requestIdOf(request),
    'api-version',
  )
}

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
  // The AzureOpenAI client's paths: the key first, then the api-version, then the relay (which
  // checks the key again from its cache); a deployment no usable account serves is a 404.
  const azureClientPost = (
    request: Request,
    operation: string,
    path: string,
    deployment?: string,
  ): Promise<Response> =>
    openaiGuarded(logger, request, async (id) => {
      const refused = apiVersionError(request)
      if (refused) {
        await keyOf(request)
        return refused
      }
      try {
        return await relay.handle(request, id, route(path, operation, deployment))
      } catch (err) {
        if (deployment === undefined || !(err instanceof RelayError) || err.status !== 404)
          throw err
        return azureError(
          404,
          'not_found_error',
          'DeploymentNotFound',
          `The API deployment for this resource does not exist: ${err.message}`,
          id,
        )
      }
    })
  for (const op of ['chat/completions', 'embeddings'] as const) {
    const operation = op === 'embeddings' ? 'embeddings' : 'chat'
    const path: string = `/azure/openai/deployments/:deployment/${op}`
    const template = `/azure/openai/deployments/{deployment}/${op}`
    app = app.post(
      path,
      ({ request, params }) => {
        const { deployment = '' } = params as Record<string, string | undefined>
        // Recorded under the route's template: a client's deployment names must not grow the
        // metrics' route labels without bound.
        return azureClientPost(request, operation, template, deployment)
      },
      {
        parse: 'none',
        detail: {
          ...DOC,
          summary: `${operation === 'chat' ? 'Chat completion' : 'Embeddings'} on a deployment, as the openai SDK's AzureOpenAI client sends it`,
        },
      },
    )
  }
  const responsesPath: string = '/azure/openai/responses'
  app = app.post(
    responsesPath,
    ({ request }) => azureClientPost(request, 'responses', '/azure/openai/responses'),
    {
      parse: 'none',
      detail: { ...DOC, summary: 'A response (Responses API), as the AzureOpenAI client sends it' },
    },
  )
  const keyOf = async (request: Request) => {
    const key = await keys.authenticate(extractApiKey(request.headers), { activate: false })
    if (key.permissions !== 'all' && key.permissions !== 'openai')
      throw new PermissionError('This API key is not allowed to use Azure OpenAI')
    return key
  }
  const listModels = ({ request }: { request: Request }) =>
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
    })
  return app
    .get('/azure/health', () => ({ status: 'healthy', service: 'azure-openai-relay' }), {
      detail: { ...DOC, summary: 'Health of the Azure routes (no key needed)' },
    })
    .get('/azure/models', listModels, {
      detail: { ...DOC, summary: 'Models of the Azure routes (OpenAI list shape)' },
    })
    .get('/azure/openai/models', listModels, {
      detail: { ...DOC, summary: 'Models of the Azure routes, as the AzureOpenAI client asks' },
    })
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
