/**
 * @module
 * The client address of a request, for sign-in throttling, the audit log and `/metrics` access:
 * the socket's peer, or with TRUST_PROXY the first untrusted hop from the right of
 * X-Forwarded-For.
 */
import type { Config } from '../config/schema.ts'
import { createClientIp, parseTrustProxy } from '../security/client-ip.ts'
import type { ServerHooks } from './server-hooks.ts'

/** The client-IP resolver of a relay (see `security/client-ip.ts` for how TRUST_PROXY reads). */
export function clientIpResolver(
  config: Pick<Config, 'TRUST_PROXY'>,
  server: ServerHooks,
  /** Told once when forwarded requests arrive while TRUST_PROXY is off. */
  warn?: (message: string) => void,
): (request: Request) => string {
  return createClientIp(
    parseTrustProxy(config.TRUST_PROXY),
    (request) => server.requestIP(request),
    warn,
  )
}
