/**
 * @module
 * What the Gemini upstreams expect: where the Generative Language API's methods live under a base
 * URL, which client headers may reach them, and how an operation of the `gemini` dialect maps to
 * an upstream method (`ca:streamGenerateContent` → `streamGenerateContent` with `alt=sse`).
 */

/** The public Generative Language API. */
export const DEFAULT_GEMINI_API_URL = 'https://generativelanguage.googleapis.com'
/** The Code Assist API the Gemini CLI uses with Google login. */
export const DEFAULT_CODE_ASSIST_URL = 'https://cloudcode-pa.googleapis.com'

/** Client headers that may be forwarded to a Gemini upstream (lower case). */
export const GEMINI_FORWARD_HEADERS = ['user-agent', 'x-goog-api-client'] as const

/** The upstream method of an operation and whether it is asked for as SSE. */
export function upstreamMethod(operation: string): { method: string; sse: boolean } {
  const op = operation.startsWith('ca:') ? operation.slice(3) : operation
  if (op === 'streamGenerateContentJson') return { method: 'streamGenerateContent', sse: false }
  return { method: op, sse: op === 'streamGenerateContent' }
}

/** The API base of an account URL: `…/v1beta` unless the URL already names a version. */
export function apiBase(url: string): string {
  const base = (url || DEFAULT_GEMINI_API_URL).replace(/\/+$/, '')
  return /\/v1(beta|alpha)?\d*$/.test(base) ? base : `${base}/v1beta`
}

/** The Generative Language API URL of `operation` on `model`. */
export function generativeUrl(url: string, model: string, operation: string): string {
  const { method, sse } = upstreamMethod(operation)
  return `${apiBase(url)}/models/${encodeURIComponent(model)}:${method}${sse ? '?alt=sse' : ''}`
}
