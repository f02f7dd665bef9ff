/**
 * @module
 * The OpenAPI document of every route (client, admin, public), served at `/openapi/json`; the
 * page at `/openapi` (Swagger UI from the web build, `web/serve-web.ts`), with `/swagger` as an
 * alias. Route summaries come from each controller's
 * `detail`; this module adds the security schemes (admin JWT, relay key), the Anthropic error
 * shape as the response of every error status, and security requirements by path.
 */
import { openapi } from '@elysiajs/openapi'
import { OptionalKind } from '@sinclair/typebox'
import { Elysia } from 'elysia'

const ERROR_SCHEMA = {
  type: 'object',
  required: ['type', 'error'],
  properties: {
    type: { type: 'string', const: 'error' },
    error: {
      type: 'object',
      required: ['type', 'message'],
      properties: {
        type: {
          type: 'string',
          examples: [
            'invalid_request_error',
            'authentication_error',
            'permission_error',
            'not_found_error',
            'rate_limit_error',
            'api_error',
            'overloaded_error',
          ],
        },
        message: { type: 'string' },
      },
      additionalProperties: true,
    },
    request_id: { type: 'string' },
  },
}

type Operation = {
  security?: unknown
  responses?: Record<string, unknown>
  tags?: string[]
  requestBody?: { content?: Record<string, unknown>; required?: boolean }
}
type Spec = {
  paths?: Record<string, Record<string, Operation>>
  components?: Record<string, Record<string, unknown>>
}

/** Security requirement of a path, by the rules of our routes. */
function securityFor(path: string): unknown[] | null {
  if (path === '/web/auth/login') return []
  if (path.startsWith('/admin') || path.startsWith('/web/auth')) return [{ adminBearer: [] }]
  if (
    path.startsWith('/apiStats') ||
    path.startsWith('/health') ||
    path.startsWith('/openapi') ||
    path === '/metrics'
  )
    return []
  if (
    path.startsWith('/api') ||
    path.startsWith('/claude') ||
    path.startsWith('/v1') ||
    path.startsWith('/openai') ||
    path.startsWith('/gemini')
  ) {
    return [{ relayKey: [] }, { relayKeyBearer: [] }]
  }
  return null
}

/** The body schema of each route, by `method path` as the document names it (`put /a/{id}`). */
export type BodySchemas = Map<string, { schema: unknown; optional: boolean }>

/** The body schemas of an app's routes. */
export function bodySchemasOf(
  routes: { method: string; path: string; hooks?: { body?: unknown } }[],
): BodySchemas {
  const out: BodySchemas = new Map()
  for (const r of routes) {
    const schema = r.hooks?.body
    if (!schema || typeof schema !== 'object') continue
    const path = r.path.replace(/:([^/]+)/g, '{$1}')
    out.set(`${r.method.toLowerCase()} ${path}`, {
      schema,
      optional:
        OptionalKind in schema && (schema as Record<symbol, unknown>)[OptionalKind] === 'Optional',
    })
  }
  return out
}

/**
 * Adds security and error responses to every operation of a generated document, and the JSON
 * body of routes whose body the generator leaves without a content type (it cannot see through
 * the admin guard's own parser, which bounds the body).
 */
export function decorateSpec(spec: Spec, bodies: BodySchemas = new Map()): Spec {
  spec.components ??= {}
  spec.components.securitySchemes = {
    ...(spec.components.securitySchemes ?? {}),
    adminBearer: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'Token from POST /web/auth/login',
    },
    relayKey: {
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
      description: 'A relay key (cr_…)',
    },
    relayKeyBearer: {
      type: 'http',
      scheme: 'bearer',
      description: 'A relay key (cr_…) as Authorization: Bearer',
    },
  }
  spec.components.schemas = { ...(spec.components.schemas ?? {}), Error: ERROR_SCHEMA }
  const errorResponse = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  })
  for (const [path, ops] of Object.entries(spec.paths ?? {})) {
    for (const [method, op] of Object.entries(ops)) {
      const body = bodies.get(`${method} ${path}`)
      if (body && op.requestBody && Object.keys(op.requestBody.content ?? {}).length === 0) {
        op.requestBody.content = { 'application/json': { schema: body.schema } }
        op.requestBody.required = !body.optional
      }
      const security = securityFor(path)
      if (security && op.security === undefined) op.security = security
      op.responses ??= {}
      op.responses['200'] ??= { description: 'Success' }
      if (security && security.length > 0)
        op.responses['401'] ??= errorResponse('Missing, invalid or revoked credentials')
      op.responses['400'] ??= errorResponse('Invalid request')
      op.responses['500'] ??= errorResponse('Internal error (details are logged, never returned)')
    }
  }
  return spec
}

/** The OpenAPI plugin with our document decorations (`routes`: every route of the app). */
export function openapiPlugin(version: string, routes: () => Parameters<typeof bodySchemasOf>[0]) {
  let bodies: BodySchemas | undefined
  return new Elysia({ name: 'crs.openapi' })
    .onAfterHandle({ as: 'global' }, ({ path, response }) => {
      if (
        path !== '/openapi/json' ||
        !response ||
        typeof response !== 'object' ||
        response instanceof Response
      )
        return
      bodies ??= bodySchemasOf(routes())
      return decorateSpec(response as Spec, bodies)
    })
    .use(
      openapi({
        path: '/openapi',
        // The page (Swagger UI) is served by web/serve-web.ts from the build, same origin, under
        // the UI's Content-Security-Policy; the plugin's own page loads it from a public CDN.
        provider: null,
        documentation: {
          info: {
            title: 'Claude Relay Service (Bun edition)',
            version,
            description:
              'Relay for the Claude API: client routes take a relay key (cr_…); admin routes take the JWT from POST /web/auth/login. Errors use the Anthropic shape.',
          },
          tags: [
            { name: 'relay', description: 'Anthropic-compatible client routes' },
            {
              name: 'openai',
              description: 'OpenAI-compatible chat completions and model list on the Claude pool',
            },
            {
              name: 'gemini',
              description:
                'Gemini API, Code Assist and OpenAI-compatible routes on Gemini accounts',
            },
            { name: 'key holder', description: 'What a key holder can see with the key' },
            { name: 'history', description: 'Request history' },
            { name: 'admin sessions', description: 'Admin sign-in and sessions' },
            { name: 'api keys', description: 'Relay keys' },
            { name: 'accounts', description: 'Upstream accounts, OAuth onboarding and groups' },
            { name: 'analytics', description: 'Dashboard numbers from usage counters' },
            { name: 'audit', description: 'Audit log of admin writes' },
            { name: 'webhooks', description: 'Notifications of account events' },
            { name: 'health', description: 'Liveness and readiness' },
          ],
        },
      }),
    )
    .get('/swagger', ({ redirect }) => redirect('/openapi', 302), { detail: { hide: true } })
    .get('/swagger/json', ({ redirect }) => redirect('/openapi/json', 302), {
      detail: { hide: true },
    })
}
