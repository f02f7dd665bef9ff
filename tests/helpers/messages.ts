/** Client-side helpers for the Messages route of a relay. */

/**
 * A Messages request to `${baseUrl}/api/v1/messages` with key `key`: model claude-sonnet-4-6,
 * max_tokens 16 and one user message, each overridable through `body`. The default base URL
 * suits `app.handle` / `TestRelay.handle` (no socket).
 */
export function messagesRequest(
  key: string,
  body: Record<string, unknown> = {},
  baseUrl = 'http://localhost',
  signal?: AbortSignal,
): Request {
  return new Request(`${baseUrl}/api/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'claude-sonnet-4-6',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
      ...body,
    }),
    signal,
  })
}

/** Sends {@link messagesRequest} to a listening relay at `baseUrl`. */
export function postMessages(
  baseUrl: string,
  key: string,
  body: Record<string, unknown> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(messagesRequest(key, body, baseUrl, signal))
}
