/**
 * Builds the admin web UI: `web-components/app.ts` → `dist/web/` (hashed, minified, split chunks,
 * linked source maps), an `index.html` that references the hashed entry, and `manifest.json`;
 * then `.br` and `.gz` copies of the text files (scripts/precompress.ts).
 * Run with `bun web-components/build.ts`; tests call {@link buildWeb}.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeDocsAssets } from '../scripts/docs-assets.ts'
import { precompressDir } from '../scripts/precompress.ts'

/** What one build produced. */
export interface WebBuild {
  outdir: string
  /** Public URL of the entry script. */
  entry: string
  /** Every output file, relative to outdir. */
  files: string[]
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** Builds the UI into `outdir` (default `dist/web`), replacing what was there. */
export async function buildWeb(outdir = join(ROOT, 'dist/web')): Promise<WebBuild> {
  await rm(outdir, { recursive: true, force: true })
  await mkdir(outdir, { recursive: true })
  const result = await Bun.build({
    entrypoints: [join(ROOT, 'web-components/app.ts')],
    outdir,
    root: join(ROOT, 'web-components'),
    target: 'browser',
    minify: true,
    splitting: true,
    naming: '[dir]/[name]-[hash].[ext]',
    sourcemap: 'linked',
    define: { 'process.env.NODE_ENV': '"production"' },
  })
  if (!result.success) {
    for (const log of result.logs) console.error(log)
    throw new Error('web build failed')
  }
  const files = result.outputs.map((o) => relative(outdir, o.path))
  const entryOut = result.outputs.find((o) => o.kind === 'entry-point')
  if (!entryOut) throw new Error('web build produced no entry point')
  const entry = `/web/${relative(outdir, entryOut.path)}`
  const css = files.filter((f) => f.endsWith('.css')).map((f) => `/web/${f}`)
  const template = await readFile(join(ROOT, 'web-components/index.html'), 'utf8')
  const tags = [
    ...css.map((href) => `<link rel="stylesheet" href="${href}" />`),
    `<script type="module" src="${entry}"></script>`,
  ].join('\n    ')
  await writeFile(join(outdir, 'index.html'), template.replace('<!-- crs:assets -->', tags))
  const manifest = { entry, css, files, builtAt: new Date().toISOString() }
  await writeFile(join(outdir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  // The API docs page (/openapi) from the swagger-ui-dist package, then .br and .gz beside each
  // text file, sent by Accept-Encoding (src/web/serve-web.ts).
  const docs = writeDocsAssets(outdir)
  const compressed = precompressDir(outdir).files
  return {
    outdir,
    entry,
    files: [...files, 'index.html', 'manifest.json', ...docs, ...compressed],
  }
}

if (import.meta.main) {
  const t0 = performance.now()
  const build = await buildWeb()
  const sizes = await Promise.all(
    build.files
      .filter((f) => !/\.(map|br|gz)$/.test(f))
      .map(async (f) => {
        const bytes = new Uint8Array(await Bun.file(join(build.outdir, f)).arrayBuffer())
        return { f, raw: bytes.length, gz: Bun.gzipSync(bytes).length }
      }),
  )
  const gz = sizes
    .filter((s) => /\.(js|css)$/.test(s.f) && !s.f.startsWith('docs/'))
    .reduce((a, s) => a + s.gz, 0)
  for (const s of sizes) console.log(`  ${basename(s.f).padEnd(32)} ${s.raw} B  (${s.gz} B gz)`)
  console.log(
    `web UI built into ${relative(ROOT, build.outdir)} in ${Math.round(performance.now() - t0)} ms; JS+CSS ${(gz / 1024).toFixed(1)} KB gzipped`,
  )
}
