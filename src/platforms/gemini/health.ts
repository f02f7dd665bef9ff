/**
 * @module
 * How a Gemini refusal counts against an account: a 429 `RESOURCE_EXHAUSTED` carries its retry
 * delay in a `RetryInfo` detail (the dialect appends it to the message as "retry in Ns") or only
 * in its message, as Code Assist words it for a Google account's quota ("Your quota will reset
 * after 1h2m3s."), which becomes the account's rate-limit reset; everything else follows the
 * shared HTTP rules.
 */
import type { AttemptResult } from '../../accounts/health.ts'
import { retrySecondsOf } from '../../dialects/gemini/errors.ts'
import type { UpstreamRefusal } from '../adapter.ts'

/** The health effect of a Gemini refusal. */
export function classifyGemini(refusal: UpstreamRefusal): AttemptResult {
  const { status, message, model } = refusal
  let headers = refusal.headers
  if (status === 429 && !headers.has('retry-after')) {
    const seconds = retrySecondsOf(message)
    if (seconds !== null) {
      headers = new Headers(headers)
      headers.set('retry-after', String(Math.max(1, Math.ceil(seconds))))
    }
  }
  return { kind: 'http', status, headers, message, model }
}
