/**
 * @module
 * How a Gemini refusal counts against an account: a 429 `RESOURCE_EXHAUSTED` carries its retry
 * delay in a `RetryInfo` detail or its message (the dialect appends it to the message), which
 * becomes the account's rate-limit reset; everything else follows the shared HTTP rules.
 */
import type { AttemptResult } from '../../accounts/health.ts'
import type { UpstreamRefusal } from '../adapter.ts'

/** The health effect of a Gemini refusal. */
export function classifyGemini(refusal: UpstreamRefusal): AttemptResult {
  const { status, message, model } = refusal
  let headers = refusal.headers
  if (status === 429 && !headers.has('retry-after')) {
    const m = /retry in (\d+(?:\.\d+)?)\s*s/i.exec(message)
    if (m) {
      headers = new Headers(headers)
      headers.set('retry-after', String(Math.max(1, Math.ceil(Number(m[1])))))
    }
  }
  return { kind: 'http', status, headers, message, model }
}
