/**
 * @module
 * One error hierarchy for the whole service. Every error renders itself as the Anthropic error
 * shape `{ type: 'error', error: { type, message }, request_id }` so clients and SDKs that already
 * understand Anthropic errors understand ours.
 */

/** The `error.type` values Anthropic documents, plus the ones we need for our own limits. */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'overloaded_error'
  | 'timeout_error'

/** The JSON body of an Anthropic-shaped error. */
export interface ErrorBody {
  type: 'error'
  error: { type: AnthropicErrorType | string; message: string; [extra: string]: unknown }
  request_id?: string
}

/** Options shared by every RelayError. */
export interface RelayErrorOptions {
  cause?: unknown
  /** Seconds the client should wait before retrying (sent as `retry-after`). */
  retryAfter?: number
  /** Extra machine-readable fields placed next to `type` and `message` (limit, current, resetAt…). */
  details?: Record<string, unknown>
  /** Extra response headers. */
  headers?: Record<string, string>
}

/** Base class: an error with an HTTP status and an Anthropic error type. */
export class RelayError extends Error {
  readonly status: number
  readonly type: AnthropicErrorType
  readonly retryAfter?: number
  readonly details?: Record<string, unknown>
  readonly headers?: Record<string, string>

  constructor(
    status: number,
    type: AnthropicErrorType,
    message: string,
    options: RelayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = this.constructor.name
    this.status = status
    this.type = type
    this.retryAfter = options.retryAfter
    this.details = options.details
    this.headers = options.headers
  }

  /** The Anthropic-shaped body for this error. */
  toBody(requestId?: string): ErrorBody {
    return errorBody(this.type, this.message, requestId, this.details)
  }

  /** A complete JSON Response carrying the request id header. */
  toResponse(requestId?: string): Response {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.headers }
    if (requestId) headers['request-id'] = requestId
    if (this.retryAfter !== undefined)
      headers['retry-after'] = String(Math.max(0, Math.ceil(this.retryAfter)))
    return new Response(JSON.stringify(this.toBody(requestId)), { status: this.status, headers })
  }
}

/** Builds an Anthropic-shaped error body. */
export function errorBody(
  type: string,
  message: string,
  requestId?: string,
  details?: Record<string, unknown>,
): ErrorBody {
  const body: ErrorBody = { type: 'error', error: { type, message, ...details } }
  if (requestId) body.request_id = requestId
  return body
}

/** A RelayError class whose errors all have this status and type; subclasses name them. */
function statusError(status: number, type: AnthropicErrorType) {
  return class extends RelayError {
    constructor(message: string, options?: RelayErrorOptions) {
      super(status, type, message, options)
    }
  }
}

/** 400: the request is malformed. */
export class InvalidRequestError extends statusError(400, 'invalid_request_error') {}

/** 401: missing or wrong credentials. */
export class AuthenticationError extends statusError(401, 'authentication_error') {}

/** 403: the credentials are valid but not allowed to do this. */
export class PermissionError extends statusError(403, 'permission_error') {}

/** 404: no such resource. */
export class NotFoundError extends statusError(404, 'not_found_error') {}

/** 409: the resource is in a state that forbids the operation. */
export class ConflictError extends statusError(409, 'invalid_request_error') {}

/** 413: the request body is larger than allowed. */
export class RequestTooLargeError extends statusError(413, 'request_too_large') {}

/** 429: a limit was reached; carries `retry-after`. */
export class RateLimitError extends statusError(429, 'rate_limit_error') {}

/** 500: something failed inside the relay. The message must never leak internals. */
export class InternalError extends RelayError {
  constructor(message = 'Internal server error', options?: RelayErrorOptions) {
    super(500, 'api_error', message, options)
  }
}

/** 503: a dependency of the relay (storage) is unavailable. */
export class ServiceUnavailableError extends statusError(503, 'api_error') {}

/** 529: no upstream account can take the request right now. */
export class UpstreamUnavailableError extends statusError(529, 'overloaded_error') {}

/** Startup configuration is invalid; lists every bad variable. */
export class ConfigError extends Error {
  readonly issues: string[]
  constructor(issues: string[]) {
    super(`Cannot start: invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`)
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/** The Anthropic error type conventionally used for an HTTP status. */
export function errorTypeForStatus(status: number): AnthropicErrorType {
  switch (status) {
    case 400:
      return 'invalid_request_error'
    case 401:
      return 'authentication_error'
    case 403:
      return 'permission_error'
    case 404:
      return 'not_found_error'
    case 413:
      return 'request_too_large'
    case 429:
      return 'rate_limit_error'
    case 504:
      return 'timeout_error'
    case 529:
      return 'overloaded_error'
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error'
  }
}
