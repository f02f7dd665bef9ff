/**
 * @module
 * Serves the admin web UI built by `web-components/build.ts` at `/web`: hashed files with a
 * year-long immutable cache, `index.html` (and the SPA fallback) never cached, strict security
 * headers on every response, and `GET /` redirecting to `/web`.
 */
import { Elysia } from 'elysia'

/** One static file. */
export interface WebAsset {
  body: Uint8Array | ReadableStream | Blob
  type: string
}

/** Where the built files come from (the runtime reads `dist/web`). */
export interface WebRouteOptions {
  /** Reads a file by its path relative to the build directory; null when it does not exist. */
  readAsset?: (path: string) => Promise<WebAsset | null>
}

/** Headers on every `/web` response. */
export const WEB_SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
  map: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  ico: 'image/x-icon',
  webp: 'image/webp',
  woff2: 'font/woff2',
  txt: 'text/plain; charset=utf-8',
}

/** The content type of a file name (by extension). */
export function contentTypeOf(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase()
  return TYPES[ext] ?? 'application/octet-stream'
}

/** Whether a file name carries a content hash (`name-<hash>.ext`), so it may be cached forever. */
export function isHashed(path: string): boolean {
  return /-[a-z0-9]{8,}\.[a-z0-9]+(\.map)?$/i.test(path)
}

const IMMUTABLE = 'public, max-age=31536000, immutable'

function respond(
  body: ConstructorParameters<typeof Response>[0],
  status: number,
  headers: Record<string, string>,
) {
  return new Response(body, { status, headers: { ...WEB_SECURITY_HEADERS, ...headers } })
}

/** The `/web` controller. */
export function webRoutes(options: WebRouteOptions) {
  const read = options.readAsset
  const serveIndex = async () => {
    const index = read ? await read('index.html') : null
    if (!index)
      return respond('The web UI is not built. Run: npm run build:web\n', 503, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-cache',
      })
    return respond(index.body, 200, {
      'content-type': TYPES.html!,
      'cache-control': 'no-cache',
    })
  }
  const serve = async (raw: string) => {
    let path: string
    try {
      path = decodeURIComponent(raw)
    } catch {
      return respond('Bad path\n', 400, { 'content-type': 'text/plain; charset=utf-8' })
    }
    path = path.replace(/^\/+/, '')
    const segments = path.split(/[\\/]/)
    if (segments.some((seg) => seg === '..') || path.includes('\0'))
      return respond('Bad path\n', 400, { 'content-type': 'text/plain; charset=utf-8' })
    // No file has a name this long (NAME_MAX): a 404, never a file-system error.
    if (path.length > 1024 || segments.some((seg) => seg.length > 255))
      return respond('Not found\n', 404, { 'content-type': 'text/plain; charset=utf-8' })
    if (path === '' || path === 'index.html') return serveIndex()
    const asset = read ? await read(path) : null
    if (asset)
      return respond(asset.body, 200, {
        'content-type': asset.type || contentTypeOf(path),
        'cache-control': isHashed(path) ? IMMUTABLE : 'no-cache',
      })
    // A missing file (name with an extension) is a 404; any other path is a client route.
    const last = path.slice(path.lastIndexOf('/') + 1)
    if (/\.[a-z0-9]+$/i.test(last))
      return respond('Not found\n', 404, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-cache',
      })
    return serveIndex()
  }
  return new Elysia({ name: 'crs.web' })
    .get('/', () => new Response(null, { status: 302, headers: { location: '/web' } }), {
      detail: { tags: ['web'], summary: 'Redirect to the admin web UI' },
    })
    .get('/web', () => serveIndex(), {
      detail: { tags: ['web'], summary: 'The admin web UI (index.html, never cached)' },
    })
    .get('/web/*', ({ params }) => serve(params['*'] ?? ''), {
      detail: {
        tags: ['web'],
        summary: 'Web UI assets (hashed files cached for a year) and client routes (index.html)',
      },
    })
}
