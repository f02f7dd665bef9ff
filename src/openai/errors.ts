/**
 * @module
 * OpenAI's error envelope `{ error: { message, type, param, code } }` and its conversion from the
 * relay's Anthropic-shaped errors (thrown RelayErrors and error Responses), keeping the HTTP
 * status, `retry-after`, rate-limit headers and the `request-id` header.
 */
import type { RelayError } from '../core/errors.ts'

/** OpenAI's error body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null }
}

/** Anthropic error type → OpenAI error type. */
export function openAIErrorType(anthropicType: string): string {
  switch (anthropicType) {
    case 'invalid_request_error':
    case 'request_too_large':
      return 'invalid_request_error'
    case 'authentication_error':
      return 'authentication_error'
    case 'permission_error':
      return 'permission_error'
    case 'not_found_error':
      return 'not_found_error'
    case 'rate_limit_error':
      return 'rate_limit_error'
    default:
      // overloaded_error, api_error, timeout_error and anything unknown
      return 'server_error'
  }
}

/** The OpenAI `code` for an Anthropic error type (null when OpenAI has none). */
export function openAIErrorCode(anthropicType: string): string | null {
  switch (anthropicType) {
    case 'authentication_error':
      return 'invalid_api_key'
    case 'rate_limit_error':
      return 'rate_limit_exceeded'
    case 'overloaded_error':
      return 'overloaded'
    case 'timeout_error':
      return 'timeout'
    case 'request_too_large':
      return 'request_too_large'
    default:
      return null
  }
}

/** Builds an OpenAI error body from an Anthropic error type. */
export function openAIErrorBody(
  anthropicType: string,
  message: string,
  param: string | null = null,
): OpenAIErrorBody {
  return {
    error: {
      message,
      type: openAIErrorType(anthropicType),
      param,
      code: openAIErrorCode(anthropicType),
    },
  }
}

/** A JSON error Response in OpenAI's envelope. */
export function openAIErrorResponse(
  status: number,
  anthropicType: string,
  message: string,
  requestId: string,
  extraHeaders?: Headers,
): Response {
  const headers = new Headers(extraHeaders)
  headers.set('content-type', 'application/json')
  headers.set('request-id', requestId)
  return new Response(JSON.stringify(openAIErrorBody(anthropicType, message)), { status, headers })
}

/** A thrown RelayError as an OpenAI error Response (same status and headers). */
export function fromRelayError(err: RelayError, requestId: string): Response {
  const headers = new Headers(err.headers)
  if (err.retryAfter !== undefined)
    headers.set('retry-after', String(Math.max(0, Math.ceil(err.retryAfter))))
  return openAIErrorResponse(err.status, err.type, err.message, requestId, headers)
}

/** The relay's Anthropic-shaped error Response as an OpenAI error Response. */
export async function fromAnthropicErrorResponse(
  res: Response,
  requestId: string,
): Promise<Response> {
  const text = await res.text().catch(() => '')
  let type = ''
  let message = ''
  try {
    const j: unknown = JSON.parse(text)
    const e = typeof j === 'object' && j !== null ? (j as { error?: unknown }).error : undefined
    if (typeof e === 'object' && e !== null) {
      const { type: t, message: m } = e as { type?: unknown; message?: unknown }
      if (typeof t === 'string') type = t
      if (typeof m === 'string') message = m
    } else if (typeof e === 'string') message = e
  } catch {
    message = text.slice(0, 300)
  }
  const headers = new Headers()
  for (const [k, v] of res.headers) {
    if (k === 'retry-after' || k.startsWith('anthropic-ratelimit-') || k === 'upstream-request-id')
      headers.set(k, v)
  }
  return openAIErrorResponse(
    res.status,
    type || typeForStatus(res.status),
    message || `Upstream answered ${res.status}`,
    requestId,
    headers,
  )
}

function typeForStatus(status: number): string {
  if (status === 401) return 'authentication_error'
  if (status === 403) return 'permission_error'
  if (status === 404) return 'not_found_error'
  if (status === 413) return 'request_too_large'
  if (status === 429) return 'rate_limit_error'
  if (status === 529) return 'overloaded_error'
  return status >= 500 ? 'api_error' : 'invalid_request_error'
}
