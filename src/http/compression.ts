/**
 * @module
 * Compression of larger JSON answers (admin lists, history pages, analytics, the OpenAPI
 * document): a handler's plain-object result of 1 KB or more is sent brotli- or gzip-compressed
 * when the request's Accept-Encoding takes it. Handlers that return a `Response` themselves are
 * left alone: the relayed answers (SSE streams included, never buffered), exports, static files
 * (pre-compressed by the build, see `web/serve-web.ts`) and errors.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { Elysia } from 'elysia'
import { acceptedEncodings } from '../web/serve-web.ts'

/** Answers smaller than this are sent as they are (compressing them saves too little). */
export const COMPRESS_MIN_BYTES = 1024

/** Whether a handler result is a JSON value Elysia would serialise (not a body or a stream). */
function isJsonValue(v: unknown): v is object {
  if (v === null || typeof v !== 'object') return false
  if (v instanceof Response || v instanceof Blob || v instanceof ReadableStream) return false
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof FormData) return false
  // Generators stream (Elysia sends them as they yield).
  return typeof (v as { next?: unknown }).next !== 'function'
}

/** Compresses `text` as `encoding` (brotli at a speed suited to answers made per request). */
export function compressText(text: string, encoding: 'br' | 'gzip'): Uint8Array {
  return encoding === 'br'
    ? brotliCompressSync(text, {
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 5,
          [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        },
      })
    : gzipSync(text, { level: 6 })
}

/** Named global plugin: compressed JSON answers. */
export function compressionPlugin(minBytes = COMPRESS_MIN_BYTES) {
  return new Elysia({ name: 'crs.compression' }).mapResponse(
    { as: 'global' },
    ({ request, response, set }) => {
      if (!isJsonValue(response)) return
      const encoding = acceptedEncodings(request.headers.get('accept-encoding'))[0]
      set.headers.vary = 'accept-encoding'
      if (!encoding) return
      const text = JSON.stringify(response)
      if (text === undefined || text.length < minBytes) return
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(set.headers)) if (typeof v === 'string') headers[k] = v
      headers['content-type'] = 'application/json; charset=utf-8'
      headers['content-encoding'] = encoding
      return new Response(compressText(text, encoding), {
        status: typeof set.status === 'number' ? set.status : 200,
        headers,
      })
    },
  )
}
