/** Client-side helpers for the Messages route of a running relay. */

/**
 * POSTs a Messages request to `${baseUrl}/api/v1/messages` with key `key`: model
 * claude-sonnet-4-6, max_tokens 16 and one user message, each overridable through `body`.
 */
export function postMessages(
  baseUrl: string,
  key: string,
  body: Record<string, unknown> = {},
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${baseUrl}/api/v1/messages`, {
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
