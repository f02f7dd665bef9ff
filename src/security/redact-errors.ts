/**
 * @module
 * Upstream error bodies that echo a credential. Some gateways answer "invalid key sk-ant-…" with
 * the key they were sent; the relay passes upstream error bodies to clients and into history, so
 * a fetch wrapped here replaces the account's own secrets (the high-entropy ones: see
 * `history/redact.ts`) and anything shaped like a key or token in every error answer (status ≥
 * 400) before anyone reads it. Success answers stream through untouched.
 */
import type { FetchFn } from '../core/ports.ts'
import { redactText } from '../history/redact.ts'

const MAX_ERROR_BODY = 1024 * 1024

/** Wraps `fetchFn` so error bodies never carry `secrets()` (read when an error arrives). */
export function redactErrorBodies(
  fetchFn: FetchFn,
  secrets: () => (string | undefined)[],
): FetchFn {
  return async (input, init) => {
    const res = await fetchFn(input, init)
    if (res.status < 400 || !res.body) return res
    const bytes = new Uint8Array(await new Response(res.body).arrayBuffer())
    const text = new TextDecoder().decode(bytes.subarray(0, MAX_ERROR_BODY))
    const known = secrets().filter((s): s is string => typeof s === 'string' && s.length >= 6)
    const clean = redactText(text, known)
    if (clean === text && bytes.byteLength <= MAX_ERROR_BODY) {
      return new Response(bytes, {
        status: res.status,
        statusText: res.statusText,
        headers: res.headers,
      })
    }
    const headers = new Headers(res.headers)
    headers.delete('content-length')
    headers.delete('content-encoding')
    return new Response(clean, { status: res.status, statusText: res.statusText, headers })
  }
}
