/**
 * @module
 * Google's error shape `{error: {code, message, status}}` on the Gemini routes: the relay's own
 * errors rendered in it, upstream errors passed on in it, and the retry delay of a 429
 * `RESOURCE_EXHAUSTED` read from its `RetryInfo` detail (or its message).
 */
import type { RelayError } from '../../core/errors.ts'

/** Google's canonical status name for an HTTP status. */
export function googleStatus(status: number): string {
  switch (status) {
    case 400:
      return 'INVALID_ARGUMENT'
    case 401:
      return 'UNAUTHENTICATED'
    case 403:
      return 'PERMISSION_DENIED'
    case 404:
      return 'NOT_FOUND'
    case 409:
      return 'ALREADY_EXISTS'
    case 413:
      return 'INVALID_ARGUMENT'
    case 429:
      return 'RESOURCE_EXHAUSTED'
    case 499:
      return 'CANCELLED'
    case 501:
      return 'UNIMPLEMENTED'
    case 503:
    case 529:
      return 'UNAVAILABLE'
    case 504:
      return 'DEADLINE_EXCEEDED'
    default:
      return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'
  }
}

/** A Google error body. */
export function googleErrorBody(status: number, message: string, extra?: Record<string, unknown>) {
  return { error: { code: status, message, status: googleStatus(status), ...extra } }
}

/** One of the relay's errors as a Google error response (request id in header and body). */
export function googleErrorResponse(err: RelayError, requestId: string): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...err.headers }
  headers['request-id'] = requestId
  if (err.retryAfter !== undefined)
    headers['retry-after'] = String(Math.max(0, Math.ceil(err.retryAfter)))
  const body = googleErrorBody(err.status, err.message, { request_id: requestId, ...err.details })
  return new Response(JSON.stringify(body), { status: err.status, headers })
}

/** The error object of a Google error body (also the `[{error}]` form of array answers). */
export function googleErrorOf(json: unknown): Record<string, unknown> | null {
  const j = Array.isArray(json) ? json[0] : json
  const e = (j as { error?: unknown } | null)?.error
  return e && typeof e === 'object' && !Array.isArray(e) ? (e as Record<string, unknown>) : null
}

/**
 * Seconds of a `RetryInfo.retryDelay` ("34s", "1.5s") in an error's details, else of the wait its
 * message states, or null.
 */
export function retryDelayOf(error: Record<string, unknown>): number | null {
  const details = Array.isArray(error.details) ? error.details : []
  for (const d of details as Record<string, unknown>[]) {
    const t = String(d?.['@type'] ?? '')
    if (!t.endsWith('google.rpc.RetryInfo')) continue
    const m = /^(\d+(?:\.\d+)?)s$/.exec(String(d.retryDelay ?? ''))
    if (m) return Number(m[1])
  }
  return retrySecondsOf(String(error.message ?? ''))
}

/** Seconds of "retry in 12.5s" or "reset after 1h2m3s" in a Gemini error message, else null. */
export function retrySecondsOf(message: string): number | null {
  const retry = /retry in (\d+(?:\.\d+)?)\s*s/i.exec(message)
  if (retry) return Number(retry[1])
  const m = /reset after (?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?/i.exec(message)
  if (!m || (m[1] ?? m[2] ?? m[3]) === undefined) return null
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0)
}
