/**
 * @module
 * CORS for the client API routes only (`/api/v1/*`, `/claude/v1/*`, `/v1/*`, `/openai/*`), off
 * unless CORS_ORIGINS is set (a comma list of origins, or `*`). Preflights from an allowed origin
 * get the methods and the request headers the Anthropic and OpenAI SDKs send; credentials are
 * never allowed (clients authenticate with headers, not cookies). Admin and web routes never get
 * CORS headers.
 */
import { Elysia } from 'elysia'
import { pathOf } from './request-path.ts'

const CLIENT_PREFIXES = ['/api/v1/', '/claude/v1/', '/v1/', '/openai/']
const ALLOWED_METHODS = 'GET, POST, OPTIONS'
const ALLOWED_HEADERS = [
  'x-api-key',
  'authorization',
  'content-type',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'openai-organization',
  'openai-project',
  'user-agent',
  'x-request-id',
]
const EXPOSED_HEADERS =
  'request-id, retry-after, anthropic-ratelimit-requests-remaining, anthropic-ratelimit-tokens-remaining'
/** SDK telemetry headers (`x-stainless-os`, …) are allowed by prefix. */
const ALLOWED_PREFIX = 'x-stainless-'

/** Whether `path` is a client API route that may get CORS headers. */
export function isClientRoute(path: string): boolean {
  return CLIENT_PREFIXES.some((p) => path.startsWith(p))
}

/** The CORS plugin for a CORS_ORIGINS value (empty: a plugin that does nothing). */
export function corsPlugin(originsText: string) {
  const origins = originsText
    .split(',')
    .map((o) => o.trim().replace(/\/+$/, '').toLowerCase())
    .filter(Boolean)
  const plugin = new Elysia({ name: 'crs.cors' })
  if (origins.length === 0) return plugin
  const any = origins.includes('*')
  const allowed = new Set(origins)

  /** The Access-Control-Allow-Origin value for a request origin, or null. */
  const allowOrigin = (origin: string | null): string | null => {
    if (!origin) return null
    if (any) return '*'
    return allowed.has(origin.toLowerCase()) ? origin : null
  }

  return plugin.onRequest(({ request, set }) => {
    const path = pathOf(request.url)
    if (!isClientRoute(path)) return
    const origin = allowOrigin(request.headers.get('origin'))
    if (!any) set.headers.vary = 'Origin'
    if (request.method === 'OPTIONS') {
      const headers = new Headers({ 'content-length': '0' })
      if (!any) headers.set('vary', 'Origin')
      if (origin) {
        headers.set('access-control-allow-origin', origin)
        headers.set('access-control-allow-methods', ALLOWED_METHODS)
        const asked = (request.headers.get('access-control-request-headers') ?? '')
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter((h) => h.startsWith(ALLOWED_PREFIX) && /^[a-z0-9-]+$/.test(h))
        headers.set('access-control-allow-headers', [...ALLOWED_HEADERS, ...asked].join(', '))
        headers.set('access-control-max-age', '600')
      }
      return new Response(null, { status: 204, headers })
    }
    if (origin) {
      set.headers['access-control-allow-origin'] = origin
      set.headers['access-control-expose-headers'] = EXPOSED_HEADERS
    }
  })
}
