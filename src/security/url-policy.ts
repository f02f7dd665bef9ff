/**
 * @module
 * Outbound URL policy (SSRF guard) for URLs an admin enters: console account `apiUrl`s, account
 * and onboarding proxies, webhook URLs. By default loopback, unspecified, link-local and cloud
 * metadata addresses (also as IPv4-mapped / NAT64 IPv6) and non-standard IPv4 spellings
 * (`2130706433`, `0x7f.1`, `0177.0.0.1`) are refused; private RFC 1918 / ULA ranges are allowed.
 * `UPSTREAM_ALLOW_HOSTS` / `UPSTREAM_DENY_HOSTS` (hostnames, `.suffix` / `*.suffix`, IPs, CIDRs)
 * and `UPSTREAM_ALLOW_PRIVATE` adjust it. Hostnames are resolved through an injected
 * {@link HostResolver} and every address is checked, at entry (400) and again at send time
 * (DNS rebinding), with the verdict cached per hostname so the hot path rarely waits for DNS.
 * {@link UrlPolicy.guard} wraps a fetch: checks the target (and proxy), never follows redirects
 * and turns an upstream 3xx into a 502. Operator-configured URLs (CLAUDE_API_URL,
 * CLAUDE_OAUTH_TOKEN_URL) are passed as trusted origins and exempt.
 */
import { InvalidRequestError } from '../core/errors.ts'
import type { FetchFn } from '../core/ports.ts'

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
  /** How long a hostname's verdict is reused (ms). @default 30000 */
  cacheMs?: number
  /** DNS lookups taking longer count as unresolved (ms). @default 3000 */
  resolveTimeoutMs?: number
  /** Operator-configured URLs whose origins are exempt (CLAUDE_API_URL…). */
  trustedUrls?: string[]
}

/** Why an address is special. */
export type AddressCategory =
  | 'loopback'
  | 'unspecified'
  | 'link-local'
  | 'metadata'
  | 'private'
  | 'public'

/** The outcome of a check. `unresolved`: the name did not resolve (no verdict on addresses). */
export type Verdict = { ok: true; unresolved?: boolean } | { ok: false; reason: string }

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

interface Ip {
  family: 4 | 6
  bytes: Uint8Array
}

type ListEntry =
  | { kind: 'name'; name: string }
  | { kind: 'suffix'; suffix: string }
  | { kind: 'cidr'; ip: Ip; bits: number }

/** Strict dotted-quad IPv4 (no leading zeros). */
function parseIPv4(text: string): Ip | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (!m) return null
  const parts = m.slice(1).map((p) => (p.length > 1 && p.startsWith('0') ? -1 : Number(p)))
  if (parts.some((p) => p < 0 || p > 255)) return null
  return { family: 4, bytes: Uint8Array.from(parts) }
}

/**
 * IPv4 as inet_aton (and getaddrinfo) reads it: 1–4 parts, each decimal, octal (leading 0) or hex
 * (0x), the last part filling the remaining bytes. Null when `text` is not such a number.
 */
export function parseLooseIPv4(text: string): Ip | null {
  const parts = text.split('.')
  if (parts.length === 0 || parts.length > 4) return null
  const nums: number[] = []
  for (const p of parts) {
    let n: number
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16)
    else if (/^0[0-7]*$/.test(p)) n = p.length === 1 ? 0 : Number.parseInt(p.slice(1), 8)
    else if (/^[1-9][0-9]*$/.test(p)) n = Number(p)
    else return null
    if (!Number.isSafeInteger(n)) return null
    nums.push(n)
  }
  const last = nums.pop()!
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return null
  const bytes = new Uint8Array(4)
  nums.forEach((n, i) => {
    bytes[i] = n
  })
  for (let i = 3, v = last; i >= nums.length; i--, v = Math.floor(v / 256)) bytes[i] = v % 256
  return { family: 4, bytes }
}

/** IPv6 literal (zone id ignored, embedded IPv4 tail allowed) as 16 bytes; null if invalid. */
export function parseIPv6(text: string): Ip | null {
  let s = text.split('%')[0] ?? ''
  if (!/^[0-9a-f:.]+$/i.test(s) || !s.includes(':')) return null
  const tail: number[] = []
  const v4 = /(?:^|:)(\d+\.\d+\.\d+\.\d+)$/.exec(s)
  if (v4) {
    const ip = parseIPv4(v4[1]!)
    if (!ip) return null
    tail.push((ip.bytes[0]! << 8) | ip.bytes[1]!, (ip.bytes[2]! << 8) | ip.bytes[3]!)
    s = s.slice(0, s.length - v4[1]!.length)
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1)
  }
  const halves = s.split('::')
  if (halves.length > 2) return null
  const group = (g: string) => (/^[0-9a-f]{1,4}$/i.test(g) ? Number.parseInt(g, 16) : Number.NaN)
  const side = (h: string) => (h === '' ? [] : h.split(':').map(group))
  const head = side(halves[0]!)
  const rest = halves.length === 2 ? side(halves[1]!) : []
  const known = head.length + rest.length + tail.length
  if ([...head, ...rest].some(Number.isNaN)) return null
  if (halves.length === 1 ? known !== 8 : known > 7) return null
  const groups = [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail]
  const bytes = new Uint8Array(16)
  groups.forEach((g, i) => {
    bytes[i * 2] = g >> 8
    bytes[i * 2 + 1] = g & 0xff
  })
  return { family: 6, bytes }
}

/** The IPv4 address an IPv6 address embeds (mapped, compatible, NAT64), else the address itself. */
function unwrap(ip: Ip): Ip {
  if (ip.family === 4) return ip
  const b = ip.bytes
  const zeros = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0)
  const v4 = { family: 4 as const, bytes: b.slice(12) }
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4
  // NAT64 well-known prefix 64:ff9b::/96
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return v4
  // Deprecated IPv4-compatible ::a.b.c.d (not :: and ::1)
  if (zeros(0, 12) && !(b[12] === 0 && b[13] === 0 && b[14] === 0 && (b[15] ?? 0) <= 1)) return v4
  return ip
}

function ipText(ip: Ip): string {
  if (ip.family === 4) return ip.bytes.join('.')
  const groups: string[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((ip.bytes[i]! << 8) | ip.bytes[i + 1]!).toString(16))
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')
}

/** What kind of address `ip` is (IPv4 embedded in IPv6 is judged as the IPv4 address). */
export function categoryOf(address: Ip): AddressCategory {
  const ip = unwrap(address)
  const b = ip.bytes
  if (ip.family === 4) {
    const [a, c, d, e] = [b[0]!, b[1]!, b[2]!, b[3]!]
    if (a === 169 && c === 254 && d === 169 && e === 254) return 'metadata'
    if (a === 100 && c === 100 && d === 100 && e === 200) return 'metadata'
    if (a === 127) return 'loopback'
    if (a === 0) return 'unspecified'
    if (a === 169 && c === 254) return 'link-local'
    if (a === 10 || (a === 172 && c >= 16 && c < 32) || (a === 192 && c === 168)) return 'private'
    if (a === 100 && c >= 64 && c < 128) return 'private'
    return 'public'
  }
  if (b.every((x) => x === 0)) return 'unspecified'
  if (b.subarray(0, 15).every((x) => x === 0) && b[15] === 1) return 'loopback'
  const metadata = parseIPv6('fd00:ec2::254')!.bytes
  if (b.every((x, i) => x === metadata[i])) return 'metadata'
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'link-local'
  if ((b[0]! & 0xfe) === 0xfc) return 'private'
  return 'public'
}

const DESCRIBE: Record<AddressCategory, string> = {
  loopback: 'a loopback address',
  unspecified: 'an unspecified address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata address',
  private: 'a private address',
  public: 'a public address',
}

function inCidr(ip: Ip, net: Ip, bits: number): boolean {
  const a = unwrap(ip)
  if (a.family !== net.family) return false
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3
    const mask = 0x80 >> (i & 7)
    if ((a.bytes[byte]! & mask) !== (net.bytes[byte]! & mask)) return false
  }
  return true
}

function normalizeName(host: string): string {
  let h = host.trim().toLowerCase()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  if (h.endsWith('.') && h.length > 1) h = h.slice(0, -1)
  return h
}

/** Parses a comma list of the allow/deny variables; throws naming `varName` on a bad entry. */
export function parseHostList(text: string, varName: string): ListEntry[] {
  const out: ListEntry[] = []
  for (const raw of text.split(',')) {
    const item = raw.trim().toLowerCase()
    if (!item) continue
    const slash = item.indexOf('/')
    if (slash >= 0) {
      const ip = literalIp(item.slice(0, slash))
      const bits = Number(item.slice(slash + 1))
      const max = ip?.family === 4 ? 32 : 128
      if (!ip || !/^\d{1,3}$/.test(item.slice(slash + 1)) || bits > max)
        throw new TypeError(`${varName}: "${raw.trim()}" is not a valid CIDR (like 10.0.0.0/8)`)
      out.push({ kind: 'cidr', ip: unwrap(ip), bits })
      continue
    }
    const ip = literalIp(item)
    if (ip) {
      const u = unwrap(ip)
      out.push({ kind: 'cidr', ip: u, bits: u.family === 4 ? 32 : 128 })
    } else if (item.startsWith('*.') || item.startsWith('.')) {
      out.push({ kind: 'suffix', suffix: normalizeName(item.slice(item.indexOf('.'))) })
    } else if (/^[a-z0-9_.-]+$/.test(item)) {
      out.push({ kind: 'name', name: normalizeName(item) })
    } else {
      throw new TypeError(`${varName}: "${raw.trim()}" is not a hostname, IP address or CIDR`)
    }
  }
  return out
}

function literalIp(host: string): Ip | null {
  const h = normalizeName(host)
  return h.includes(':') ? parseIPv6(h) : parseIPv4(h)
}

function matchesName(list: ListEntry[], name: string): boolean {
  return list.some(
    (e) =>
      (e.kind === 'name' && e.name === name) ||
      (e.kind === 'suffix' && (name.endsWith(e.suffix) || name === e.suffix.slice(1))),
  )
}

function matchesIp(list: ListEntry[], ip: Ip): boolean {
  return list.some((e) => e.kind === 'cidr' && inCidr(ip, e.ip, e.bits))
}

/** The host part of a URL as written (before WHATWG normalisation turns `2130706433` into an IP). */
function rawHostOf(url: string): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#\\]*@)?(\[[^\]]*\]|[^:/?#\\]*)/i.exec(url.trim())
  return m ? (m[1] ?? null) : null
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
  const cache = new Map<string, { verdict: Verdict; until: number }>()

  function refuse(host: string, why: string, hint: string): Verdict {
    return {
      ok: false,
      reason: `${host} is refused by the outbound URL policy: ${why}. ${hint}`,
    }
  }
  const allowHint = (category: AddressCategory) =>
    category === 'metadata'
      ? `To allow it anyway, add it to ${ALLOW_VAR}.`
      : `To allow it, add it to ${ALLOW_VAR} (or set ${PRIVATE_VAR}=true for loopback and link-local addresses during development).`

  function checkIp(host: string, ip: Ip, via?: string): Verdict {
    const shown = via ? `it resolves to ${ipText(ip)}` : `it is`
    if (matchesIp(deny, ip))
      return refuse(
        host,
        `${shown} listed in ${DENY_VAR}`,
        `Remove it from ${DENY_VAR} to allow it.`,
      )
    if (matchesIp(allow, ip)) return { ok: true }
    const category = categoryOf(ip)
    const denied =
      category === 'metadata' ||
      (!options.allowPrivate &&
        (category === 'loopback' || category === 'unspecified' || category === 'link-local'))
    if (!denied) return { ok: true }
    const what = via
      ? `it resolves to ${ipText(ip)}, ${DESCRIBE[category]}`
      : `it is ${DESCRIBE[category]}`
    return refuse(host, what, allowHint(category))
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

  async function checkName(name: string): Promise<Verdict> {
    const hit = cache.get(name)
    if (hit && hit.until > now()) return hit.verdict
    const addresses = await resolveWithTimeout(name)
    let verdict: Verdict = { ok: true }
    if (!addresses || addresses.length === 0) verdict = { ok: true, unresolved: true }
    else {
      for (const a of addresses) {
        const ip = literalIp(a)
        const v = ip
          ? checkIp(name, ip, a)
          : refuse(name, `it resolves to "${a}", not an IP address`, '')
        if (!v.ok) {
          verdict = v
          break
        }
      }
    }
    if (cache.size > 10_000) cache.clear()
    cache.set(name, {
      verdict,
      until: now() + (verdict.ok && verdict.unresolved ? UNRESOLVED_CACHE_MS : cacheMs),
    })
    return verdict
  }

  /** Checks a host as written (URL host or proxy host); resolves names (cached). */
  function checkHost(rawHost: string): Verdict | Promise<Verdict> {
    const host = normalizeName(rawHost)
    if (!host) return { ok: false, reason: 'the host is empty' }
    if (host.includes(':')) {
      const ip = parseIPv6(host)
      return ip ? checkIp(host, ip) : { ok: false, reason: `${host} is not a valid IPv6 address` }
    }
    const v4 = parseIPv4(host)
    if (v4) return checkIp(host, v4)
    const loose = parseLooseIPv4(host)
    if (loose)
      return refuse(
        host,
        `it is a non-standard spelling of the IP address ${ipText(loose)}`,
        `Write the address as four decimal numbers (${ipText(loose)}); ${ALLOW_VAR} and ${DENY_VAR} apply to that form.`,
      )
    if (matchesName(deny, host))
      return refuse(host, `it is listed in ${DENY_VAR}`, `Remove it from ${DENY_VAR} to allow it.`)
    if (matchesName(allow, host)) return { ok: true }
    if (host === 'localhost' || host.endsWith('.localhost'))
      return options.allowPrivate
        ? { ok: true }
        : refuse(host, 'it is a loopback name', allowHint('loopback'))
    if (METADATA_NAMES.has(host))
      return refuse(host, 'it is a cloud metadata name', allowHint('metadata'))
    return checkName(host)
  }

  function isTrusted(url: string): boolean {
    try {
      return trusted.has(new URL(url).origin)
    } catch {
      return false
    }
  }

  async function urlVerdict(url: string): Promise<Verdict> {
    if (isTrusted(url)) return { ok: true }
    const raw = rawHostOf(url)
    if (raw === null) return { ok: false, reason: 'the URL has no host' }
    return checkHost(raw)
  }

  /** Admin entry check of a URL: a 400 naming the policy when refused (unresolvable names pass). */
  async function assertUrl(field: string, url: string): Promise<void> {
    const v = await urlVerdict(url)
    if (!v.ok) throw new InvalidRequestError(`${field}: ${v.reason}`)
  }

  /** Admin entry check of a proxy host. */
  async function assertProxyHost(field: string, host: string): Promise<void> {
    const v = await checkHost(host)
    if (!v.ok) throw new InvalidRequestError(`${field}: ${v.reason}`)
  }

  /**
   * Wraps `fetch`: every request's target (unless trusted) and `proxyHost` are checked first
   * (cached verdicts), redirects are never followed and a 3xx answer becomes a 502 error.
   */
  function guard(fetchFn: FetchFn, proxyHost?: string): FetchFn {
    // URLs that passed, until their verdict's cache time: the relay's hot path then pays one
    // map lookup per request instead of parsing the URL and its host again.
    const passed = new Map<string, number>()
    return async (input, init) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url
      const until = passed.get(url)
      if (until === undefined || until <= now()) {
        if (proxyHost !== undefined) {
          const pv = await checkHost(proxyHost)
          if (!pv.ok) throw new UrlPolicyError(`Proxy ${pv.reason}`)
        }
        const v = await urlVerdict(url)
        if (!v.ok) throw new UrlPolicyError(`Upstream ${v.reason}`)
        if (v.unresolved && proxyHost === undefined)
          throw new UrlPolicyError(
            `Upstream host of ${new URL(url).origin} cannot be resolved (refused by the outbound URL policy)`,
          )
        if (passed.size > 1000) passed.clear()
        passed.set(url, now() + Math.min(cacheMs, UNRESOLVED_CACHE_MS))
      }
      const res = await fetchFn(
        input,
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

  return { checkHost, checkUrl: urlVerdict, assertUrl, assertProxyHost, guard, isTrusted }
}

/** The URL policy's interface. */
export type UrlPolicy = ReturnType<typeof createUrlPolicy>
