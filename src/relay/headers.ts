/**
 * @module
 * Outbound and inbound header rules shared by every platform. Client headers reach upstream only
 * through the adapter's whitelist, so the client's credentials (`x-api-key`, `authorization`,
 * `api-key`, cookies…) never leave; hop-by-hop and framing headers are dropped on the way back.
 */
import type { HeaderMap } from '../platforms/adapter.ts'

export type { HeaderMap }

/** The headers by which the Stainless-generated SDKs (Anthropic's, OpenAI's) describe their runtime. */
export const STAINLESS_RUNTIME_HEADERS = [
  'x-stainless-lang',
  'x-stainless-package-version',
  'x-stainless-os',
  'x-stainless-arch',
  'x-stainless-runtime',
  'x-stainless-runtime-version',
] as const

/** Upstream response headers that are not passed back. */
const DROP_BACK = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-encoding',
  'content-length',
  'set-cookie',
  'request-id',
])

/** Every header of `h` by name (one native call on Bun; iteration elsewhere). */
function entriesOf(h: Headers): Record<string, string | string[]> {
  const toJSON = (h as { toJSON?: () => Record<string, string | string[]> }).toJSON
  if (toJSON) return toJSON.call(h)
  const out: Record<string, string> = Object.create(null)
  for (const [k, v] of h) out[k] = v
  return out
}

/** The whitelisted client headers (one lookup per name: cheaper than reading them all). */
export function forwardableHeaders(client: Headers, names: readonly string[]): HeaderMap {
  const out: HeaderMap = Object.create(null)
  for (const name of names) {
    const v = client.get(name)
    if (v !== null) out[name] = v
  }
  return out
}

/**
 * Headers of a JSON request upstream: the whitelisted client headers, the JSON content type, and
 * an answer asked for uncompressed (the relay reads it as it passes).
 */
export function upstreamJsonHeaders(client: Headers, names: readonly string[]): HeaderMap {
  const out = forwardableHeaders(client, names)
  out['content-type'] = 'application/json'
  out['accept-encoding'] = 'identity'
  return out
}

/** Upstream response headers safe to send to the client. */
export function responseHeaders(upstream: Headers, requestId: string): HeaderMap {
  const all = entriesOf(upstream)
  const out: HeaderMap = Object.create(null)
  for (const k in all) if (!DROP_BACK.has(k)) out[k] = String(all[k])
  const upstreamId = all['request-id']
  if (upstreamId) out['upstream-request-id'] = String(upstreamId)
  out['request-id'] = requestId
  return out
}
