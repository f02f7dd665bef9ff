/** Builds a Request for `app.handle` (no socket is opened). */
export function req(path: string, init: RequestInit & { json?: unknown } = {}): Request {
  const { json, ...rest } = init
  if (json !== undefined) {
    return new Request(`http://localhost${path}`, {
      method: 'POST',
      ...rest,
      headers: { 'content-type': 'application/json', ...(rest.headers as Record<string, string>) },
      body: JSON.stringify(json),
    })
  }
  return new Request(`http://localhost${path}`, rest)
}
