/**
 * @module
 * A client's request body read as a JSON object, the first check every dialect makes; each
 * dialect words the 400 its own way.
 */
import { InvalidRequestError } from '../core/errors.ts'

/** How a dialect says the body is not JSON, or not an object. */
export interface BodyWording {
  invalid: string
  notObject: string
}

const DEFAULT_WORDING: BodyWording = {
  invalid: 'Cannot parse request body: expected valid JSON',
  notObject: 'Request body must be a JSON object',
}

/** The body as an object, or an {@link InvalidRequestError} worded by `wording`. */
export function jsonObjectBody(
  text: string,
  wording: BodyWording = DEFAULT_WORDING,
): Record<string, unknown> {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    throw new InvalidRequestError(wording.invalid)
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new InvalidRequestError(wording.notObject)
  return body as Record<string, unknown>
}
