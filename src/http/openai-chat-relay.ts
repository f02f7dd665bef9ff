/**
 * @module
 * What every OpenAI-shaped client route does around the relay, whichever pool answers: errors in
 * OpenAI's envelope, the client's JSON body, the translated body sent through the relay, and the
 * relay's answer translated back (streamed or whole).
 */
import { InvalidRequestError, RelayError } from '../core/errors.ts'
import type { Logger } from '../core/ports.ts'
import { fromRelayError, openAIErrorResponse } from '../openai/errors.ts'
import { requestIdOf } from './error-plugin.ts'
import { pathOf } from './request-path.ts'

/** Runs a handler; a thrown error becomes an OpenAI error Response (unexpected ones logged). */
export async function openaiGuarded(
  logger: Logger | undefined,
  request: Request,
  run: (requestId: string) => Promise<Response>,
): Promise<Response> {
  const requestId = requestIdOf(request)
  try {
    return await run(requestId)
  } catch (err) {
    if (err instanceof RelayError) return fromRelayError(err, requestId)
    logger?.error('unhandled error', { requestId, path: pathOf(request.url), error: err })
    return openAIErrorResponse(500, 'api_error', 'Internal server error', requestId)
  }
}

/** The client's body as JSON; a body that is not JSON is an `invalid_request_error`. */
export async function readJsonBody(request: Request): Promise<unknown> {
  try {
    return JSON.parse(await request.text())
  } catch {
    throw new InvalidRequestError('Cannot parse request body: expected valid JSON')
  }
}

/** `request` (headers, signal) carrying `body` as JSON instead of its own, for the relay. */
export function withJsonBody(request: Request, body: unknown): Request {
  const headers = new Headers(request.headers)
  headers.delete('content-length')
  headers.set('content-type', 'application/json')
  return new Request(request.url, {
    method: 'POST',
    headers,
    body: JSON.stringify(body),
    signal: request.signal,
  })
}

/** How a successful relay answer becomes the client's: a stream transform, a JSON mapping. */
export interface AnswerTranslation {
  stream: () => TransformStream<Uint8Array, Uint8Array>
  whole: (answer: unknown) => unknown
}

/**
 * A successful relay answer translated for the client, keeping the relay's headers (with the
 * new content type and the request id). An answer that is not JSON is a 502 `api_error`.
 */
export async function translatedAnswer(
  res: Response,
  requestId: string,
  translate: AnswerTranslation,
): Promise<Response> {
  const out = new Headers()
  for (const [k, v] of res.headers) if (k !== 'content-type') out.set(k, v)
  out.set('request-id', requestId)
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream') && res.body) {
    out.set('content-type', 'text/event-stream; charset=utf-8')
    out.set('cache-control', 'no-cache')
    return new Response(res.body.pipeThrough(translate.stream()), {
      status: res.status,
      headers: out,
    })
  }
  let answer: unknown
  try {
    answer = JSON.parse(await res.text())
  } catch {
    return openAIErrorResponse(
      502,
      'api_error',
      'The upstream answer was not valid JSON',
      requestId,
    )
  }
  out.set('content-type', 'application/json')
  return new Response(JSON.stringify(translate.whole(answer)), {
    status: res.status,
    headers: out,
  })
}
