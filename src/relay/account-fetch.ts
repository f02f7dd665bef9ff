/**
 * @module
 * The fetch each account's upstream calls go through: the outbound URL policy checks every
 * destination (and a proxy's host), the account's proxy is applied (HTTP(S) through Bun's fetch,
 * SOCKS5 through our own client), and the account's own credentials are redacted from upstream
 * error bodies (gateways sometimes echo them). A destination the policy refuses at send time
 * (it passed when the account was saved: DNS rebinding, or a changed policy) is reported as a
 * security alert. Wrappers are built once per pool entry and proxy configuration, not per request.
 */
import type { PoolEntry } from '../accounts/service.ts'
import type { FetchFn } from '../core/ports.ts'
import type { SystemNotice } from '../notify/model.ts'
import { redactErrorBodies } from '../security/redact-errors.ts'
import { type UrlPolicy, UrlPolicyError } from '../security/url-policy.ts'
import { createProxyFetch } from './proxy-fetch.ts'

/** The per-account fetch: `fetchFor(entry)`. */
export function createAccountFetch(options: {
  baseFetch: FetchFn
  urlPolicy: UrlPolicy
  /** Sends a security alert (webhooks) when an account's destination is refused at send time. */
  alert?: (notice: SystemNotice) => void
}): (entry: PoolEntry) => FetchFn {
  const { baseFetch, urlPolicy, alert } = options
  /** `inner`, reporting a refusal by the URL policy as a security alert about `entry`. */
  const alerting =
    (entry: PoolEntry, inner: FetchFn): FetchFn =>
    async (input, init) => {
      try {
        return await inner(input, init)
      } catch (err) {
        if (err instanceof UrlPolicyError)
          alert?.({
            type: 'security_alert',
            code: 'upstream_address_refused',
            subject: `${entry.account.name} (${entry.account.id})`,
            message: `A request of this account was not sent: ${err.message}`,
          })
        throw err
      }
    }
  const directFetch = urlPolicy.guard(baseFetch)
  const proxyFetches = new Map<string, { sig: string; fetch: FetchFn }>()
  const secretsOf = (entry: PoolEntry) => () => Object.values(entry.secrets)
  // One wrapper per pool entry (a snapshot refresh makes new entries), not one per request.
  const entryFetches = new WeakMap<PoolEntry, { inner: FetchFn; fetch: FetchFn }>()

  const proxiedFetch = (entry: PoolEntry): FetchFn => {
    const proxy = entry.account.proxy
    if (!proxy) return directFetch
    const sig = `${JSON.stringify(proxy)}|${entry.secrets.proxyPassword ?? ''}`
    const hit = proxyFetches.get(entry.account.id)
    if (hit && hit.sig === sig) return hit.fetch
    const f = urlPolicy.guard(
      createProxyFetch(
        { ...proxy, password: entry.secrets.proxyPassword },
        { baseFetch: baseFetch as typeof fetch },
      ) as FetchFn,
      proxy,
    )
    proxyFetches.set(entry.account.id, { sig, fetch: f })
    return f
  }

  return (entry) => {
    const inner = proxiedFetch(entry)
    const hit = entryFetches.get(entry)
    if (hit && hit.inner === inner) return hit.fetch
    const wrapped = redactErrorBodies(alert ? alerting(entry, inner) : inner, secretsOf(entry))
    entryFetches.set(entry, { inner, fetch: wrapped })
    return wrapped
  }
}
