/**
 * @module
 * Reading answers of outbound calls that failed: a bounded read of a body (error bodies, webhook
 * answers), and one line describing a network error (its code, then its message) for logs,
 * history and the client's 502.
 */

/** The first `max` bytes of a response body (the rest is cancelled); a broken body gives what came. */
export async function readLimited(res: Response, max: number): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array()
  const reader = res.body.getReader()
  const parts: Uint8Array[] = []
  let n = 0
  try {
    while (n < max) {
      const { done, value } = await reader.read()
      if (done) break
      parts.push(value)
      n += value.byteLength
    }
  } catch {
    // a broken error body still has a status
  } finally {
    void reader.cancel().catch(() => {})
  }
  const out = new Uint8Array(Math.min(n, max))
  let off = 0
  for (const p of parts) {
    const take = Math.min(p.byteLength, out.byteLength - off)
    out.set(p.subarray(0, take), off)
    off += take
  }
  return out
}

/** One line for a network error: `CODE: message`, at most 300 characters. */
export function describeNetworkError(err: unknown): string {
  if (err instanceof DOMException && err.name === 'TimeoutError') return 'timed out'
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return `${typeof code === 'string' ? `${code}: ` : ''}${err.message}`.slice(0, 300)
  }
  return String(err).slice(0, 300)
}
