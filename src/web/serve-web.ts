/**
 * @module
 * Serves the admin web UI built by `web-components/build.ts` at `/web`: hashed files with a
 * year-long immutable cache, `index.html` (and the SPA fallback) never cached, strict security
 * headers on every response, and `GET /` redirecting to `/web`. Text files are sent as the `.br`
 * or `.gz` copy the build wrote beside them when the request's Accept-Encoding takes it. The API
 * docs page (`/openapi`, Swagger UI) comes from the same build, under the same policy.
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

/** Files the build pre-compresses (scripts/precompress.ts). */
const COMPRESSIBLE = /\.(?:js|mjs|css|html|json|svg|txt)$/i

/** Pre-compressed encodings the client takes, best first (`q=0` refuses one). */
export function acceptedEncodings(header: string | null): ('br' | 'gzip')[] {
  if (!header) return []
  const q = new Map<string, number>()
  for (const part of header.toLowerCase().split(',')) {
    const [name = '', ...params] = part.trim().split(';')
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const value = qp ? Number(qp.slice(2)) : 1
    q.set(name.trim(), Number.isFinite(value) ? value : 0)
  }
  const star = q.get('*') ?? 0
  const ok = (name: string) => (q.get(name) ?? star) > 0
  return (['br', 'gzip'] as const).filter(ok)
}

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
  /** The file, or its pre-compressed copy the client takes (with its encoding). */
  const readBest = async (path: string, accept: string | null) => {
    if (!read) return null
    if (COMPRESSIBLE.test(path))
      for (const enc of acceptedEncodings(accept)) {
        const copy = await read(`${path}.${enc === 'br' ? 'br' : 'gz'}`)
        if (copy) return { asset: copy, encoding: enc as string | null }
      }
    const asset = await read(path)
    return asset ? { asset, encoding: null } : null
  }
  const encodingHeaders = (path: string, encoding: string | null): Record<string, string> => {
    if (!COMPRESSIBLE.test(path)) return {}
    return encoding
      ? { 'content-encoding': encoding, vary: 'accept-encoding' }
      : { vary: 'accept-encoding' }
  }
  const serveIndex = async (accept: string | null) => {
    const index = await readBest('index.html', accept)
    if (!index)
      return respond('The web UI is not built. Run: npm run build:web\n', 503, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-cache',
      })
    return respond(index.asset.body, 200, {
      'content-type': TYPES.html!,
      'cache-control': 'no-cache',
      ...encodingHeaders('index.html', index.encoding),
    })
  }
  const serve = async (raw: string, accept: string | null) => {
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
    // No file has a name this long (NAME_MAX, less the `.br`/`.gz` of a compressed copy): a 404,
    // never a file-system error.
    if (path.length > 1024 || segments.some((seg) => seg.length > 252))
      return respond('Not found\n', 404, { 'content-type': 'text/plain; charset=utf-8' })
    if (path === '' || path === 'index.html') return serveIndex(accept)
    const found = await readBest(path, accept)
    if (found)
      return respond(found.asset.body, 200, {
        // A compressed copy is typed by the file it stands for.
        'content-type': (!found.encoding && found.asset.type) || contentTypeOf(path),
        'cache-control': isHashed(path) ? IMMUTABLE : 'no-cache',
        ...encodingHeaders(path, found.encoding),
      })
    // A missing file (name with an extension) is a 404; any other path is a client route.
    const last = path.slice(path.lastIndexOf('/') + 1)
    if (/\.[a-z0-9]+$/i.test(last))
      return respond('Not found\n', 404, {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': 'no-cache',
      })
    return serveIndex(accept)
  }
  const acceptOf = (request: Request) => request.headers.get('accept-encoding')
  /** The API docs page (Swagger UI from the build, scripts/docs-assets.ts), same CSP as /web. */
  const serveDocs = async (accept: string | null) => {
    const page = await readBest('docs/index.html', accept)
    if (!page)
      return respond(
        'The API docs page is part of the web UI build. Run: npm run build:web (the document itself is at /openapi/json)\n',
        503,
        { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' },
      )
    return respond(page.asset.body, 200, {
      'content-type': TYPES.html!,
      'cache-control': 'no-cache',
      ...encodingHeaders('docs/index.html', page.encoding),
    })
  }
  return new Elysia({ name: 'crs.web' })
    .get('/openapi', ({ request }) => serveDocs(acceptOf(request)), {
      detail: { hide: true },
    })
    .get('/', () => new Response(null, { status: 302, headers: { location: '/web' } }), {
      detail: { tags: ['web'], summary: 'Redirect to the admin web UI' },
    })
    .get('/web', ({ request }) => serveIndex(acceptOf(request)), {
      detail: { tags: ['web'], summary: 'The admin web UI (index.html, never cached)' },
    })
    .get('/web/*', ({ params, request }) => serve(params['*'] ?? '', acceptOf(request)), {
      detail: {
        tags: ['web'],
        summary: 'Web UI assets (hashed files cached for a year) and client routes (index.html)',
      },
    })
}
