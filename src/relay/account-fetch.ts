/**
 * @module
 * The fetch each account's upstream calls go through: the outbound URL policy checks every
 * destination (and a proxy's host), the account's proxy is applied (HTTP(S) through Bun's fetch,
 * SOCKS5 through our own client), and the account's own credentials are redacted from upstream
 * error bodies (gateways sometimes echo them). Wrappers are built once per pool entry and proxy
 * configuration, not per request.
 */
import type { PoolEntry } from '../accounts/service.ts'
import type { FetchFn } from '../core/ports.ts'
import { redactErrorBodies } from '../security/redact-errors.ts'
import type { UrlPolicy } from '../security/url-policy.ts'
import { createProxyFetch } from './proxy-fetch.ts'

/** The per-account fetch: `fetchFor(entry)`. */
export function createAccountFetch(options: {
  baseFetch: FetchFn
  urlPolicy: UrlPolicy
}): (entry: PoolEntry) => FetchFn {
  const { baseFetch, urlPolicy } = options
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
    const wrapped = redactErrorBodies(inner, secretsOf(entry))
    entryFetches.set(entry, { inner, fetch: wrapped })
    return wrapped
  }
}
