// Over 400 lines: one SSRF guard; its address classes, parsing and DNS checks must be read together.
/**
 * @module
 * Outbound URL policy (SSRF guard) for URLs an admin enters: console account `apiUrl`s, account
 * and onboarding proxies, webhook URLs. A URL is read by the WHATWG URL parser, the one `fetch`
 * uses, so the host checked is the host connected to whatever the spelling (userinfo,
 * percent-encoding, tabs, `2130706433`, `0x7f.1`…); a proxy host must be a hostname or an IP
 * address and is read by the same parser. By default loopback, unspecified, link-local and cloud
 * metadata addresses (also as IPv4-mapped / NAT64 IPv6) are refused, and so is a name that does
 * not resolve; private RFC 1918 / ULA ranges are allowed. `UPSTREAM_ALLOW_HOSTS` /
 * `UPSTREAM_DENY_HOSTS` (hostnames, `.suffix` / `*.suffix`, IPs, CIDRs, each optionally with a
 * `:port`) and `UPSTREAM_ALLOW_PRIVATE` adjust it; cloud metadata is refused whatever they say.
 * Hostnames are resolved through an injected {@link HostResolver} and every address is checked, at
 * entry (400) and again at send time (DNS rebinding), with the addresses cached per hostname so
 * the hot path rarely waits for DNS. {@link UrlPolicy.guard} wraps a fetch: checks the target (and
 * proxy), sends the URL as parsed, never follows redirects and turns an upstream 3xx into a 502.
 * Operator-configured URLs (CLAUDE_API_URL, CLAUDE_OAUTH_TOKEN_URL) are trusted origins, exempt.
 */
import { InvalidRequestError } from '../core/errors.ts'
import type { FetchFn } from '../core/ports.ts'
import {
  type AddressCategory,
  categoryOf,
  type Ip,
  inCidr,
  ipText,
  parseCidr,
  parseIp,
  parseLooseIPv4,
} from './ip.ts'

export type { AddressCategory } from './ip.ts'
export { categoryOf, parseIPv6, parseLooseIPv4 } from './ip.ts'

/** Resolves a hostname to its IP addresses (the runtime implements it with node:dns). */
export type HostResolver = (hostname: string) => Promise<string[]>

/** The configurable part of the policy (from the environment). */
export interface UrlPolicySettings {
  /** `UPSTREAM_ALLOW_HOSTS`, comma separated. */
  allowHosts: string
  /** `UPSTREAM_DENY_HOSTS`, comma separated. */
  denyHosts: string
  /** `UPSTREAM_ALLOW_PRIVATE`: loopback, unspecified and link-local allowed (not metadata). */
  allowPrivate: boolean
}

/** Options of {@link createUrlPolicy}. */
export interface UrlPolicyOptions extends UrlPolicySettings {
  resolve: HostResolver
  now?: () => number
  /** How long a hostname's addresses are reused (ms). @default 30000 */
  cacheMs?: number
  /** DNS lookups taking longer count as unresolved (ms). @default 3000 */
  resolveTimeoutMs?: number
  /** Operator-configured URLs whose origins are exempt (CLAUDE_API_URL…). */
  trustedUrls?: string[]
}

/** The outcome of a check. */
export type Verdict = { ok: true } | { ok: false; reason: string }

/** A proxy as the policy sees it. */
export interface ProxyTarget {
  host: string
  port: number
}

/** Thrown by a guarded fetch when the target or proxy is refused (a network-level failure). */
export class UrlPolicyError extends TypeError {
  override name = 'UrlPolicyError'
}

const ALLOW_VAR = 'UPSTREAM_ALLOW_HOSTS'
const DENY_VAR = 'UPSTREAM_DENY_HOSTS'
const PRIVATE_VAR = 'UPSTREAM_ALLOW_PRIVATE'
const DEFAULT_CACHE_MS = 30_000
const UNRESOLVED_CACHE_MS = 5000
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata'])
/** What a hostname or an IP address may contain before the URL parser reads it. */
const HOST_CHARS = /^[a-z0-9_.-]+$/i
const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i

type ListEntry = (
  | { kind: 'name'; name: string }
  | { kind: 'suffix'; suffix: string }
  | { kind: 'cidr'; ip: Ip; bits: number }
) & { port?: number }

const DESCRIBE: Record<AddressCategory, string> = {
  loopback: 'a loopback address',
  unspecified: 'an unspecified address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata address',
  private: 'a private address',
  public: 'a public address',
}

/** Lower case, no brackets, no trailing dot: the form names and list entries are compared in. */
function normalizeName(host: string): string {
  let h = host.trim().toLowerCase()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  if (h.endsWith('.') && h.length > 1) h = h.slice(0, -1)
  return h
}

/**
 * A host (of a proxy, or as an admin typed it) as the URL parser reads it, or null when it is not
 * a hostname or an IP address: no userinfo, port, path, whitespace or percent sign. IPv6 may come
 * with or without brackets; the result is WHATWG's `hostname` (`2130706433` → `127.0.0.1`,
 * `::1` → `[::1]`, names in lower case).
 */
export function canonicalHost(host: string): string | null {
  if (typeof host !== 'string') return null
  let h = host.trim()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  if (h.includes(':')) {
    const ip = parseIp(h)
    return ip && !h.includes('%') ? `[${ipText(ip)}]` : null
  }
  if (!HOST_CHARS.test(h)) return null
  const labels = (h.endsWith('.') ? h.slice(0, -1) : h).split('.')
  if (h.length > 253 || !labels.every((l) => LABEL.test(l))) return null
  try {
    // The characters were checked above: nothing in `h` can end the host part of this URL.
    const url = new URL(`http://${h}/`)
    if (url.username || url.password || url.port || url.pathname !== '/') return null
    return url.hostname
  } catch {
    return null
  }
}

/** Parses a comma list of the allow/deny variables; throws naming `varName` on a bad entry. */
export function parseHostList(text: string, varName: string): ListEntry[] {
  const out: ListEntry[] = []
  for (const raw of text.split(',')) {
    const item = raw.trim().toLowerCase()
    if (!item) continue
    const bad = (what: string) =>
      new TypeError(
        `${varName}: "${raw.trim()}" is not ${what} (like 10.0.0.0/8, gateway.lan, 127.0.0.1:8080)`,
      )
    // host:port, [v6]:port; a bare IPv6 address has colons and no port.
    let host = item
    let port: number | undefined
    const withPort = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(item)
    if (withPort) {
      host = withPort[1]!
      port = Number(withPort[2])
      if (port < 1 || port > 65535) throw bad('a valid port')
    }
    const portPart = port === undefined ? {} : { port }
    if (host.includes('/')) {
      const net = parseCidr(host)
      if (!net || port !== undefined) throw bad('a valid CIDR')
      out.push({ kind: 'cidr', ...net, ...portPart })
      continue
    }
    const net = parseCidr(host)
    if (net) out.push({ kind: 'cidr', ...net, ...portPart })
    else if (host.startsWith('*.') || host.startsWith('.')) {
      out.push({
        kind: 'suffix',
        suffix: normalizeName(host.slice(host.indexOf('.'))),
        ...portPart,
      })
    } else if (canonicalHost(host) && !parseLooseIPv4(normalizeName(host))) {
      out.push({ kind: 'name', name: normalizeName(canonicalHost(host)!), ...portPart })
    } else throw bad('a hostname, IP address or CIDR')
  }
  return out
}

const portMatches = (e: ListEntry, port: number | undefined) =>
  e.port === undefined || e.port === port

function matchesName(list: ListEntry[], name: string, port: number | undefined): boolean {
  return list.some(
    (e) =>
      portMatches(e, port) &&
      ((e.kind === 'name' && e.name === name) ||
        (e.kind === 'suffix' && (name.endsWith(e.suffix) || name === e.suffix.slice(1)))),
  )
}

function matchesIp(list: ListEntry[], ip: Ip, port: number | undefined): boolean {
  return list.some((e) => e.kind === 'cidr' && portMatches(e, port) && inCidr(ip, e.ip, e.bits))
}

/** The host and port `fetch` connects to for `url`, and the URL as it sends it. */
export function targetOf(
  url: string,
): { host: string; port: number; href: string; origin: string } | string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return 'it is not a valid URL'
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return 'only http and https URLs are allowed'
  if (!u.hostname) return 'the URL has no host'
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80
  return { host: u.hostname, port, href: u.href, origin: u.origin }
}

/** Creates the policy. Throws a TypeError naming the variable when a list entry is invalid. */
export function createUrlPolicy(options: UrlPolicyOptions) {
  const allow = parseHostList(options.allowHosts, ALLOW_VAR)
  const deny = parseHostList(options.denyHosts, DENY_VAR)
  const now = options.now ?? Date.now
  const cacheMs = options.cacheMs ?? DEFAULT_CACHE_MS
  const timeoutMs = options.resolveTimeoutMs ?? 3000
  const trusted = new Set<string>()
  for (const u of options.trustedUrls ?? []) {
    try {
      trusted.add(new URL(u).origin)
    } catch {}
  }
  const cache = new Map<string, { addresses: string[] | null; until: number }>()

  function refuse(host: string, why: string, hint: string): Verdict {
    return {
      ok: false,
      reason: `${host} is refused by the outbound URL policy: ${why}.${hint ? ` ${hint}` : ''}`,
    }
  }
  const allowHint = (category: AddressCategory) =>
    category === 'metadata'
      ? 'Cloud metadata addresses are never allowed.'
      : `To allow it, add it to ${ALLOW_VAR} (best with its port, like 127.0.0.1:8080), or set ${PRIVATE_VAR}=true for loopback and link-local addresses during development.`
  const denied = (host: string, shown: string) =>
    refuse(host, `${shown} listed in ${DENY_VAR}`, `Remove it from ${DENY_VAR} to allow it.`)

  /** `via`: the name that resolved to `ip`. */
  function checkIp(host: string, ip: Ip, port: number | undefined, via?: string): Verdict {
    const shown = via ? `it resolves to ${ipText(ip)},` : 'it is'
    const category = categoryOf(ip)
    if (category === 'metadata')
      return refuse(host, `${shown} ${DESCRIBE[category]}`, allowHint(category))
    if (matchesIp(deny, ip, port)) return denied(host, shown)
    if (matchesIp(allow, ip, port)) return { ok: true }
    const refused =
      !options.allowPrivate &&
      (category === 'loopback' || category === 'unspecified' || category === 'link-local')
    return refused
      ? refuse(host, `${shown} ${DESCRIBE[category]}`, allowHint(category))
      : { ok: true }
  }

  async function resolveWithTimeout(name: string): Promise<string[] | null> {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      return await Promise.race([
        options.resolve(name),
        new Promise<null>((resolve) => {
          timer = setTimeout(() => resolve(null), timeoutMs)
        }),
      ])
    } catch {
      return null
    } finally {
      clearTimeout(timer)
    }
  }

  /** The addresses of `name`, cached (a name that does not resolve, for a shorter time). */
  async function addressesOf(name: string): Promise<string[] | null> {
    const hit = cache.get(name)
    if (hit && hit.until > now()) return hit.addresses
    const found = await resolveWithTimeout(name)
    const addresses = found && found.length > 0 ? found : null
    if (cache.size > 10_000) cache.clear()
    cache.set(name, { addresses, until: now() + (addresses ? cacheMs : UNRESOLVED_CACHE_MS) })
    return addresses
  }

  async function checkName(name: string, port: number | undefined): Promise<Verdict> {
    // Listed by name: its addresses are not judged by category, and it may be a name only a proxy
    // resolves; deny entries and cloud metadata still apply to every address it has.
    const listed = matchesName(allow, name, port)
    if (!listed && (name === 'localhost' || name.endsWith('.localhost')) && !options.allowPrivate)
      return refuse(name, 'it is a loopback name', allowHint('loopback'))
    const addresses = await addressesOf(name)
    if (!addresses)
      return listed
        ? { ok: true }
        : refuse(
            name,
            'the name does not resolve',
            `If only the proxy can resolve it, add it to ${ALLOW_VAR}.`,
          )
    for (const a of addresses) {
      const ip = parseIp(a)
      if (!ip) return refuse(name, `it resolves to "${a}", not an IP address`, '')
      const category = categoryOf(ip)
      const v =
        listed && category !== 'metadata' && !matchesIp(deny, ip, port)
          ? { ok: true as const }
          : checkIp(name, ip, port, a)
      if (!v.ok) return v
    }
    return { ok: true }
  }

  /**
   * Checks a host (a URL's hostname, a proxy host) connected to on `port` (entries with a port
   * match only that port); resolves names (cached). Anything but a hostname or IP is refused.
   */
  function checkHost(rawHost: string, port?: number): Verdict | Promise<Verdict> {
    const canonical = canonicalHost(rawHost)
    if (!canonical)
      return {
        ok: false,
        reason: `"${String(rawHost).slice(0, 100)}" is not a hostname or an IP address`,
      }
    const host = normalizeName(canonical)
    const ip = parseIp(host)
    if (ip) return checkIp(host, ip, port)
    if (METADATA_NAMES.has(host))
      return refuse(host, 'it is a cloud metadata name', allowHint('metadata'))
    if (matchesName(deny, host, port))
      return refuse(host, `it is listed in ${DENY_VAR}`, `Remove it from ${DENY_VAR} to allow it.`)
    return checkName(host, port)
  }

  function isTrusted(url: string): boolean {
    try {
      return trusted.has(new URL(url).origin)
    } catch {
      return false
    }
  }

  /** The verdict on `url` and the URL as fetch sends it. */
  async function inspect(url: string): Promise<{ verdict: Verdict; href: string }> {
    const target = targetOf(url)
    if (typeof target === 'string') return { verdict: { ok: false, reason: target }, href: url }
    if (trusted.has(target.origin)) return { verdict: { ok: true }, href: target.href }
    return { verdict: await checkHost(target.host, target.port), href: target.href }
  }

  /** The verdict on a URL, read as fetch reads it. */
  async function checkUrl(url: string): Promise<Verdict> {
    return (await inspect(url)).verdict
  }

  /** Admin entry check of a URL: a 400 naming the policy when refused. */
  async function assertUrl(field: string, url: string): Promise<void> {
    const v = await checkUrl(url)
    if (!v.ok) throw new InvalidRequestError(`${field}: ${v.reason}`)
  }

  /** Admin entry check of a proxy host (and port, for `host:port` list entries). */
  async function assertProxyHost(field: string, host: string, port?: number): Promise<void> {
    const v = await checkHost(host, port)
    if (!v.ok) throw new InvalidRequestError(`${field}: ${v.reason}`)
  }

  /**
   * Wraps `fetch`: every request's target (unless trusted) and the proxy are checked first
   * (cached), the URL is sent as the check parsed it, redirects are never followed and a 3xx
   * answer becomes a 502 error.
   */
  function guard(fetchFn: FetchFn, proxy?: string | ProxyTarget): FetchFn {
    const proxyHost = typeof proxy === 'string' ? proxy : proxy?.host
    const proxyPort = typeof proxy === 'string' ? undefined : proxy?.port
    // URLs that passed, until their verdict's cache time, with the URL as parsed: the relay's hot
    // path then pays one map lookup per request instead of parsing the URL and its host again.
    const passed = new Map<string, { until: number; href: string }>()
    return async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      let hit = passed.get(url)
      if (hit === undefined || hit.until <= now()) {
        if (proxyHost !== undefined) {
          const pv = await checkHost(proxyHost, proxyPort)
          if (!pv.ok) throw new UrlPolicyError(`Proxy ${pv.reason}`)
        }
        const { verdict, href } = await inspect(url)
        if (!verdict.ok) throw new UrlPolicyError(`Upstream ${verdict.reason}`)
        if (passed.size > 1000) passed.clear()
        hit = { until: now() + Math.min(cacheMs, UNRESOLVED_CACHE_MS), href }
        passed.set(url, hit)
      }
      const res = await fetchFn(
        typeof input === 'string' ? hit.href : input,
        init?.redirect === 'manual' ? init : { ...init, redirect: 'manual' },
      )
      if (res.status < 300 || res.status >= 400) return res
      await res.body?.cancel().catch(() => {})
      const message = `Upstream answered a redirect (HTTP ${res.status}); redirects are not followed`
      return new Response(
        JSON.stringify({ type: 'error', error: { type: 'api_error', message } }),
        {
          status: 502,
          headers: { 'content-type': 'application/json', 'x-upstream-status': String(res.status) },
        },
      )
    }
  }

  return { checkHost, checkUrl, assertUrl, assertProxyHost, guard, isTrusted }
}

/** The URL policy's interface. */
export type UrlPolicy = ReturnType<typeof createUrlPolicy>
