/**
 * @module
 * Request ids and error rendering for every route. Each request gets a `request-id` header; any
 * error becomes an Anthropic-shaped body. Unknown errors are logged with the request id and
 * answered as a 500 `api_error` without their message.
 */
import { Elysia } from 'elysia'
import { errorBody, RelayError } from '../core/errors.ts'
import { newRequestId } from '../core/ids.ts'
import type { Logger } from '../core/ports.ts'
import { pathOf } from './request-path.ts'
import { type SchemaError, validationMessage } from './schemas/common.ts'

const ids = new WeakMap<Request, string>()

/** The request id assigned to `request` (assigning one if needed). */
export function requestIdOf(request: Request): string {
  let id = ids.get(request)
  if (!id) {
    id = newRequestId()
    ids.set(request, id)
  }
  return id
}

/**
 * True for the relay's POST routes (Messages, count_tokens, chat completions): every response
 * they build carries `request-id` itself. Setting it through `set.headers` instead makes Elysia
 * rebuild each streamed response, which measured ~20 µs of CPU a request.
 */
function setsOwnRequestId(request: Request): boolean {
  if (request.method !== 'POST') return false
  const path = pathOf(request.url)
  return (
    path.endsWith('/messages') ||
    path.endsWith('/count_tokens') ||
    path.endsWith('/chat/completions') ||
    path.endsWith('/responses') ||
    path.endsWith('/responses/compact') ||
    path.endsWith('/embeddings') ||
    path.startsWith('/gemini/') ||
    path.startsWith('/openai/gemini/')
  )
}

function jsonError(status: number, type: string, message: string, requestId: string): Response {
  return new Response(JSON.stringify(errorBody(type, message, requestId)), {
    status,
    headers: { 'content-type': 'application/json', 'request-id': requestId },
  })
}

/** Named global plugin: request ids and Anthropic-shaped errors. */
export function errorPlugin(logger: Logger) {
  return new Elysia({ name: 'crs.errors' })
    .onRequest(({ request, set }) => {
      if (!setsOwnRequestId(request)) set.headers['request-id'] = requestIdOf(request)
    })
    .onError({ as: 'global' }, ({ code, error, request, path }) => {
      const requestId = requestIdOf(request)
      if (error instanceof RelayError) return error.toResponse(requestId)
      // A parse hook's own error (a bounded body, a session checked before it) arrives wrapped.
      const cause = (error as { cause?: unknown }).cause
      if (code === 'PARSE' && cause instanceof RelayError) return cause.toResponse(requestId)
      switch (code) {
        case 'NOT_FOUND':
          return jsonError(
            404,
            'not_found_error',
            `Cannot find route ${request.method} ${path}`,
            requestId,
          )
        case 'PARSE':
          return jsonError(
            400,
            'invalid_request_error',
            'Cannot parse request body: expected valid JSON',
            requestId,
          )
        case 'VALIDATION': {
          const { type, valueError: detail } = error as { type?: string; valueError?: SchemaError }
          // An answer that does not fit its own schema is our bug, not the client's.
          if (type === 'response') {
            logger.error('response does not fit its schema', {
              requestId,
              path,
              at: detail?.path,
              error: detail?.message,
            })
            return jsonError(500, 'api_error', 'Internal server error', requestId)
          }
          return jsonError(400, 'invalid_request_error', validationMessage(detail), requestId)
        }
        case 'INVALID_COOKIE_SIGNATURE':
          return jsonError(401, 'authentication_error', 'Invalid cookie signature', requestId)
        default: {
          const status = (error as { status?: unknown }).status
          if (typeof status === 'number' && status >= 400 && status < 500) {
            const message = error instanceof Error ? error.message : 'Bad request'
            return jsonError(
              status,
              status === 413 ? 'request_too_large' : 'invalid_request_error',
              message,
              requestId,
            )
          }
          logger.error('unhandled error', { requestId, path, code: String(code), error })
          return jsonError(500, 'api_error', 'Internal server error', requestId)
        }
      }
    })
}
