/**
 * @module
 * The API docs page (Swagger UI) as files of the web build, so `/openapi` works on a host without
 * internet and runs no third-party script from another origin: Swagger UI's bundle and styles are
 * copied from the npm package `swagger-ui-dist` into `dist/web/docs/` under content-hashed names
 * (cached for a year), with our start script as a file (the Content-Security-Policy allows no
 * inline script) and `docs/index.html`, which `src/web/serve-web.ts` serves at `/openapi`.
 * Called by `web-components/build.ts`; the files are pre-compressed with the rest.
 */
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The start script: Swagger UI on our document, the admin token kept across reloads. */
const INIT = `window.addEventListener('DOMContentLoaded', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi/json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  })
})
`

/** Writes the docs page and its assets into `<outdir>/docs`; returns their paths (relative). */
export function writeDocsAssets(outdir: string): string[] {
  const require = createRequire(import.meta.url)
  const dist = dirname(require.resolve('swagger-ui-dist/package.json'))
  const version = (
    JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8')) as {
      version: string
    }
  ).version
  const dir = join(outdir, 'docs')
  mkdirSync(dir, { recursive: true })
  const written: string[] = []
  const put = (name: string, ext: string, body: string | Buffer) => {
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 10)
    const file = `${name}-${hash}.${ext}`
    writeFileSync(join(dir, file), body)
    written.push(`docs/${file}`)
    return `/web/docs/${file}`
  }
  const css = put('swagger-ui', 'css', readFileSync(join(dist, 'swagger-ui.css')))
  const bundle = put('swagger-ui-bundle', 'js', readFileSync(join(dist, 'swagger-ui-bundle.js')))
  const init = put('docs-init', 'js', INIT)
  const icon = put('favicon', 'png', readFileSync(join(dist, 'favicon-32x32.png')))
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="generator" content="swagger-ui-dist ${version}" />
    <title>Claude Relay Service API</title>
    <link rel="icon" type="image/png" href="${icon}" />
    <link rel="stylesheet" href="${css}" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${bundle}"></script>
    <script src="${init}"></script>
  </body>
</html>
`
  writeFileSync(join(dir, 'index.html'), html)
  written.push('docs/index.html')
  return written
}
