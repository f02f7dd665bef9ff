/**
 * @module
 * The client address of a request, for sign-in throttling, the audit log and `/metrics` access:
 * the socket's peer, or with TRUST_PROXY the address a reverse proxy reports.
 */
import type { Config } from '../config/schema.ts'
import type { ServerHooks } from './server-hooks.ts'

/** The client-IP resolver of a relay. */
export function clientIpResolver(
  config: Pick<Config, 'TRUST_PROXY'>,
  server: ServerHooks,
): (request: Request) => string {
  return (request) => {
    if (config.TRUST_PROXY) {
      const fwd = request.headers.get('x-forwarded-for')?.split(',')[0]?.trim()
      if (fwd) return fwd
      const real = request.headers.get('x-real-ip')?.trim()
      if (real) return real
    }
    return server.requestIP(request) ?? 'unknown'
  }
}
