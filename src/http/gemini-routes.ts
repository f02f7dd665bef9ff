/**
 * @module
 * Client routes of the Gemini family under `/gemini`, as the old system served them: the
 * Generative Language API (`/v1beta/models/{model}:generateContent`, `:streamGenerateContent`,
 * `:countTokens`, `:embedContent`, `:batchEmbedContents`, the same under `/v1`, and the model
 * lists) and the Code Assist API the Gemini CLI calls with Google login
 * (`/v1internal:generateContent`, `:streamGenerateContent`, `:countTokens`, and the set-up calls). Paths hold a colon inside a segment, so one wildcard per
 * method reads them. Errors are Google's `{error: {code, message, status}}`.
 *
 * The Code Assist set-up calls (`loadCodeAssist`, `onboardUser`, `listExperiments` and the CLI's
 * telemetry and settings calls) are answered by the relay itself: the project a Google account
 * uses is discovered and kept per account on the relay side (`platforms/gemini/`), and every
 * relayed request is sent with the project of the account that serves it, so what the client
 * believes its project is never matters.
 */
import { Elysia } from 'elysia'
import { NotFoundError, PermissionError, RelayError } from '../core/errors.ts'
import type { Logger } from '../core/ports.ts'
import { bareModel, geminiDialect, geminiDialectFor } from '../dialects/gemini/dialect.ts'
import {
  EMBED_METHODS,
  EMBED_UNSERVED,
  geminiEmbedDialectFor,
} from '../dialects/gemini/embeddings.ts'
import { googleErrorBody, googleErrorResponse } from '../dialects/gemini/errors.ts'
import type { ApiKey } from '../keys/model.ts'
import { keyAllowsModel } from '../keys/model-rules.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import type { RelayRoute, RelayService } from '../relay/pipeline.ts'
import { requestIdOf } from './error-plugin.ts'
import { pathOf } from './request-path.ts'

/** Models listed by the Gemini model routes: id, display name, input and output limits. */
export const GEMINI_MODELS = [
  ['gemini-3-pro-preview', 'Gemini 3 Pro Preview', 1_048_576, 65_536],
  ['gemini-3-flash-preview', 'Gemini 3 Flash Preview', 1_048_576, 65_536],
  ['gemini-2.5-pro', 'Gemini 2.5 Pro', 1_048_576, 65_536],
  ['gemini-2.5-flash', 'Gemini 2.5 Flash', 1_048_576, 65_536],
  ['gemini-2.5-flash-lite', 'Gemini 2.5 Flash-Lite', 1_048_576, 65_536],
  ['gemini-2.0-flash', 'Gemini 2.0 Flash', 1_048_576, 8_192],
] as const

/** What the Gemini routes need. */
export interface GeminiRouteDeps {
  relay: RelayService
  keys: KeyService
  logger?: Logger
}

const GENERATE = new Set(['generateContent', 'streamGenerateContent', 'countTokens'])
/** Code Assist set-up calls the old system also accepted in the per-model form. */
const SETUP = new Set(['loadCodeAssist', 'onboardUser', 'listExperiments'])
const DOC = { tags: ['gemini'] }

/** A Gemini model object (Google's shape). */
function modelObject([id, name, input, output]: (typeof GEMINI_MODELS)[number]) {
  return {
    name: `models/${id}`,
    version: '001',
    displayName: name,
    description: `${name} through the relay`,
    inputTokenLimit: input,
    outputTokenLimit: output,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
  }
}

/** The relay route of a standard call on `model`. */
export function standardRoute(path: string, model: string, operation: string): RelayRoute {
  return {
    path,
    dialect: geminiDialectFor(model),
    operation,
    family: 'gemini',
    billable: operation !== 'countTokens',
  }
}

/** The relay route of an embedding call on `model` (Gemini API-key accounts only). */
export function embedRoute(path: string, model: string, operation: string): RelayRoute {
  return {
    path,
    dialect: geminiEmbedDialectFor(model),
    operation,
    family: 'gemini',
    billable: true,
    platforms: ['gemini-api'],
    unservedReason: EMBED_UNSERVED,
  }
}

/** The relay route of a Code Assist call (Google-login accounts only). */
export function codeAssistRoute(path: string, operation: string): RelayRoute {
  return {
    path,
    dialect: geminiDialect,
    operation: `ca:${operation}`,
    family: 'gemini',
    billable: operation !== 'countTokens',
    platforms: ['gemini-oauth'],
  }
}

/** The relay's own answers to the Code Assist set-up and bookkeeping calls. */
export function codeAssistLocalAnswer(method: string): Record<string, unknown> {
  const project = 'crs-relay'
  switch (method) {
    case 'loadCodeAssist':
      return {
        currentTier: {
          id: 'standard-tier',
          name: 'Gemini Code Assist (relay)',
          hasOnboardedPreviously: true,
        },
        allowedTiers: [
          { id: 'standard-tier', name: 'Gemini Code Assist (relay)', isDefault: true },
        ],
        cloudaicompanionProject: project,
      }
    case 'onboardUser':
      return { done: true, response: { cloudaicompanionProject: { id: project, name: project } } }
    case 'listExperiments':
      return { experimentIds: [], flags: [] }
    case 'retrieveUserQuota':
      return { buckets: [] }
    default:
      return {}
  }
}

/** Gemini controller. */
export function geminiRoutes(deps: GeminiRouteDeps) {
  const { relay, keys } = deps

  const json = (body: unknown, requestId: string, status = 200) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json', 'request-id': requestId },
    })

  /** Runs a handler; a thrown RelayError becomes a Google error. */
  async function guarded(request: Request, run: (id: string) => Promise<Response>) {
    const requestId = requestIdOf(request)
    try {
      return await run(requestId)
    } catch (err) {
      if (err instanceof RelayError) return googleErrorResponse(err, requestId)
      deps.logger?.error('unhandled error', { requestId, path: pathOf(request.url), error: err })
      return json(googleErrorBody(500, 'Internal server error'), requestId, 500)
    }
  }

  /** The calling key, which must open the Gemini routes. */
  async function geminiKey(request: Request): Promise<ApiKey> {
    const key = await keys.authenticate(extractApiKey(request.headers, request.url))
    if (key.permissions !== 'all' && key.permissions !== 'gemini')
      throw new PermissionError(
        `This API key is not allowed to use Gemini (permissions: ${key.permissions})`,
      )
    return key
  }

  const sse = (request: Request) => /[?&]alt=sse(&|$)/.test(request.url)

  async function post(request: Request, requestId: string): Promise<Response> {
    const path = pathOf(request.url)
    const rest = path.slice('/gemini/'.length)
    // Standard: v1beta/models/{model}:{method} (or v1/…).
    const std = /^(v1beta|v1)\/models\/([^/:]+):([A-Za-z]+)$/.exec(rest)
    if (std) {
      const model = bareModel(decodeURIComponent(std[2]!))
      const method = std[3]!
      if (GENERATE.has(method)) {
        const op =
          method === 'streamGenerateContent' && !sse(request) ? 'streamGenerateContentJson' : method
        return relay.handle(request, requestId, standardRoute(path, model, op))
      }
      if (EMBED_METHODS.has(method))
        return relay.handle(request, requestId, embedRoute(path, model, method))
      await geminiKey(request)
      if (!SETUP.has(method))
        throw new NotFoundError(`Method ${method} is not served by this relay`)
      return json(codeAssistLocalAnswer(method), requestId)
    }
    // Code Assist: v1internal:{method} (also v1internal/models/{model}:{method}).
    const ca = /^v1internal(?:\/models\/[^/:]+)?:([A-Za-z]+)$/.exec(rest)
    if (ca) {
      const method = ca[1]!
      if (GENERATE.has(method)) {
        const op =
          method === 'streamGenerateContent' && !sse(request) ? 'streamGenerateContentJson' : method
        return relay.handle(request, requestId, codeAssistRoute(path, op))
      }
      await geminiKey(request)
      return json(codeAssistLocalAnswer(method), requestId)
    }
    throw new NotFoundError(`Cannot find route POST ${path}`)
  }

  async function get(request: Request, requestId: string): Promise<Response> {
    const path = pathOf(request.url)
    const rest = path.slice('/gemini/'.length)
    const key = await geminiKey(request)
    const allowed = GEMINI_MODELS.filter(([id]) => keyAllowsModel(key, id))
    if (rest === 'v1beta/models' || rest === 'v1/models')
      return json({ models: allowed.map(modelObject) }, requestId)
    const one = /^(v1beta|v1)\/models\/([^/:]+)$/.exec(rest)
    if (one) {
      const wanted = bareModel(decodeURIComponent(one[2]!))
      const found = allowed.find(([id]) => id === wanted)
      if (!found) throw new NotFoundError(`models/${wanted} is not found`)
      return json(modelObject(found), requestId)
    }
    if (/^v1internal:/.test(rest)) return json(codeAssistLocalAnswer(rest.slice(11)), requestId)
    throw new NotFoundError(`Cannot find route GET ${path}`)
  }

  return new Elysia({ name: 'crs.gemini' })
    .post('/gemini/*', ({ request }) => guarded(request, (id) => post(request, id)), {
      parse: 'none',
      detail: {
        ...DOC,
        operationId: 'geminiPost',
        summary:
          'Gemini API (v1beta|v1/models/{model}:generateContent|streamGenerateContent|countTokens|embedContent|batchEmbedContents) and Code Assist (v1internal:…)',
      },
    })
    .get('/gemini/*', ({ request }) => guarded(request, (id) => get(request, id)), {
      detail: {
        ...DOC,
        operationId: 'geminiGet',
        summary: 'Gemini model list and model details (Google shape)',
      },
    })
}
