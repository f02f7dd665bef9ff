/**
 * @module
 * Bounded request bodies for the routes Elysia parses (admin, sign-in, key-holder statistics; the
 * relay routes read their own bodies under MAX_BODY_SIZE). A route's parse hook calls
 * {@link parseLimitedBody}: a declared length over the limit is refused before a byte is read, a
 * streamed body is counted as it arrives and cut off at the limit, and JSON nested deeper than
 * {@link MAX_JSON_DEPTH} is refused before it is parsed (schema validation and the audit log walk
 * bodies recursively). The admin guard checks the session first, so a request without one never
 * makes the relay hold its body.
 */
import { InvalidRequestError, RelayError, RequestTooLargeError } from '../core/errors.ts'

/** Largest accepted body per kind of route, in bytes. */
export const BODY_LIMITS = {
  /** `POST /web/auth/login`: a user name and a password. */
  signIn: 8 * 1024,
  /** Every admin write (`/admin/*`, `/web/auth/*` with a session). */
  admin: 1024 * 1024,
  /** Key-holder routes that take a body (`/apiStats/api/*`). */
  public: 16 * 1024,
} as const

/** Deepest JSON nesting (arrays and objects) accepted in a parsed body. */
export const MAX_JSON_DEPTH = 64

/** 415 for a body type the route does not read. */
export class UnsupportedMediaTypeError extends RelayError {
  constructor(message: string) {
    super(415, 'invalid_request_error', message)
  }
}

const decoder = new TextDecoder()

/** Reads `request`'s body, refusing (413) more than `limit` bytes, declared or streamed. */
export async function readLimitedBody(request: Request, limit: number): Promise<Uint8Array> {
  const tooLarge = () =>
    new RequestTooLargeError(`Request body is larger than ${limit} bytes, the limit of this route`)
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > limit) throw tooLarge()
  if (!request.body) return new Uint8Array()
  const reader = request.body.getReader()
  const parts: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > limit) {
      await reader.cancel().catch(() => {})
      throw tooLarge()
    }
    parts.push(value)
  }
  if (parts.length === 1) return parts[0]!
  const out = new Uint8Array(total)
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.byteLength
  }
  return out
}

/** The deepest nesting of arrays and objects in JSON text (strings are skipped). */
export function jsonDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let depth = 0
  let max = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth
        if (max > stopAbove) return max
      }
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return max
}

/**
 * Reads and parses a body of at most `limit` bytes by its content type: JSON (at most
 * {@link MAX_JSON_DEPTH} deep), form fields or text. No content type: nothing is read (the route
 * sees no body); any other type is a 415.
 */
export async function parseLimitedBody(
  request: Request,
  contentType: string,
  limit: number,
): Promise<unknown> {
  const type = contentType.split(';')[0]!.trim().toLowerCase()
  if (!type) return undefined
  const isJson = type === 'application/json' || type.endsWith('+json')
  const isForm = type === 'application/x-www-form-urlencoded'
  if (!isJson && !isForm && !type.startsWith('text/'))
    throw new UnsupportedMediaTypeError(
      `Content type ${type} is not accepted here: send application/json`,
    )
  const text = decoder.decode(await readLimitedBody(request, limit))
  if (isForm) return Object.fromEntries(new URLSearchParams(text))
  if (!isJson) return text
  if (text.trim() === '') return undefined
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
    throw new InvalidRequestError(
      `Request body is nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`,
    )
  try {
    return JSON.parse(text)
  } catch {
    throw new InvalidRequestError('Cannot parse request body: expected valid JSON')
  }
}
