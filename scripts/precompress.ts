/**
 * @module
 * Pre-compression of the built web UI: every text file of `dist/web` (scripts, styles, HTML, JSON,
 * SVG; not source maps) of 1 KB or more gets a `.br` (brotli, best quality) and a `.gz` (gzip,
 * level 9) beside it, kept only when at least a tenth smaller. `src/web/serve-web.ts` sends them
 * by the request's Accept-Encoding, so the server never compresses a static file itself.
 * Called by `web-components/build.ts` after each build. Brotli at its best quality takes seconds
 * for a large file (8 s for Swagger UI's 1.8 MB bundle on a busy machine, 1.2 s at quality 9,
 * used above 1 MB), and results are kept in `node_modules/.cache/crs-precompress` by content
 * hash: a file compressed once is not again.
 */
import { createHash } from 'node:crypto'
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'

const CACHE_DIR = join(import.meta.dir, '../node_modules/.cache/crs-precompress')
/** Cached results unused for this long are deleted. */
const CACHE_DAYS = 14

const TEXT = /\.(?:js|mjs|css|html|json|svg|txt)$/i
const MIN_BYTES = 1024

/** What {@link precompressDir} wrote. */
export interface PrecompressResult {
  files: string[]
  rawBytes: number
  brBytes: number
  gzBytes: number
}

function walk(dir: string, base = ''): string[] {
  return readdirSync(join(dir, base)).flatMap((name) => {
    const rel = base ? `${base}/${name}` : name
    return statSync(join(dir, rel)).isDirectory() ? walk(dir, rel) : [rel]
  })
}

/** Writes `.br` and `.gz` next to each compressible file of `dir`; returns them (relative). */
export function precompressDir(dir: string): PrecompressResult {
  const out: PrecompressResult = { files: [], rawBytes: 0, brBytes: 0, gzBytes: 0 }
  for (const rel of walk(dir)) {
    if (!TEXT.test(rel)) continue
    const full = join(dir, rel)
    const raw = readFileSync(full)
    for (const ext of ['.br', '.gz']) rmSync(full + ext, { force: true })
    if (raw.byteLength < MIN_BYTES) continue
    const key = createHash('sha256').update(raw).digest('hex')
    const br = cached(`${key}.br`, () =>
      brotliCompressSync(raw, {
        params: {
          // Best quality up to 1 MB (the UI bundle: 0.7 s); above, 9 (seconds less, 9% larger).
          [constants.BROTLI_PARAM_QUALITY]:
            raw.byteLength <= 1024 * 1024 ? constants.BROTLI_MAX_QUALITY : 9,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          [constants.BROTLI_PARAM_SIZE_HINT]: raw.byteLength,
        },
      }),
    )
    const gz = cached(`${key}.gz`, () => gzipSync(raw, { level: 9 }))
    out.rawBytes += raw.byteLength
    for (const [ext, data] of [
      ['.br', br],
      ['.gz', gz],
    ] as const) {
      if (data.byteLength > raw.byteLength * 0.9) continue
      writeFileSync(full + ext, data)
      out.files.push(rel + ext)
      if (ext === '.br') out.brBytes += data.byteLength
      else out.gzBytes += data.byteLength
    }
  }
  pruneCache()
  return out
}

/** The cached result `name`, or `make()` stored under it. */
function cached(name: string, make: () => Uint8Array): Uint8Array {
  const file = join(CACHE_DIR, name)
  try {
    const hit = readFileSync(file)
    const now = new Date()
    utimesSync(file, now, now)
    return hit
  } catch {
    const data = make()
    try {
      mkdirSync(CACHE_DIR, { recursive: true })
      writeFileSync(file, data)
    } catch {
      // no cache (read-only tree): compress again next time
    }
    return data
  }
}

function pruneCache(): void {
  const old = Date.now() - CACHE_DAYS * 86_400_000
  let names: string[] = []
  try {
    names = readdirSync(CACHE_DIR)
  } catch {
    return
  }
  for (const name of names) {
    const file = join(CACHE_DIR, name)
    try {
      if (statSync(file).mtimeMs < old) rmSync(file, { force: true })
    } catch {}
  }
}
