/**
 * @module
 * Identifiers: request ids shaped like Anthropic's (`req_…`), and record ids.
 */
import { randomBase64Url } from './crypto.ts'

/** A new unguessable request id, e.g. `req_3kTq…`. */
export function newRequestId(): string {
  return `req_${randomBase64Url(15)}`
}

/** A new record id (UUID v4). */
export function newId(): string {
  return crypto.randomUUID()
}
