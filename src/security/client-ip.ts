/**
 * @module
 * The client address of a request (sign-in limits, the audit log, `/metrics`). Without
 * TRUST_PROXY it is the socket's peer. Behind reverse proxies, each proxy appends the address it
 * received the request from to `X-Forwarded-For`, and anything to the left of those entries was
 * written by the client. So the address is read from the right: with a hop count (`true` = 1) the
 * entry that many proxies from the relay added; with proxy addresses / CIDRs, the first address
 * from the right (the socket's peer first) that is not one of them. `X-Real-IP` is not read: a
 * proxy that does not set it passes the client's own.
 */
import { type Ip, inCidr, parseCidr, parseIp } from './ip.ts'

/** How far `X-Forwarded-For` is trusted. */
export type TrustProxy =
  | { kind: 'none' }
  | { kind: 'hops'; hops: number }
  | { kind: 'proxies'; nets: { ip: Ip; bits: number }[] }

const VAR = 'TRUST_PROXY'
const MAX_HOPS = 20
/** Names for common proxy ranges in a TRUST_PROXY list. */
const RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
}

/**
 * Reads TRUST_PROXY: `false` (or `0`), `true` (one proxy), a number of proxies, or a comma list of
 * proxy addresses, CIDRs and `loopback` / `private` / `linklocal`. Throws naming the variable.
 */
export function parseTrustProxy(text: string): TrustProxy {
  const value = text.trim().toLowerCase()
  if (value === '' || value === 'false' || value === '0') return { kind: 'none' }
  if (value === 'true') return { kind: 'hops', hops: 1 }
  if (/^\d+$/.test(value)) {
    const hops = Number(value)
    if (hops > MAX_HOPS)
      throw new TypeError(`${VAR}: at most ${MAX_HOPS} proxies in front of the relay, got ${hops}`)
    return { kind: 'hops', hops }
  }
  const nets: { ip: Ip; bits: number }[] = []
  for (const raw of value.split(',')) {
    const item = raw.trim()
    if (!item) continue
    for (const entry of RANGES[item] ?? [item]) {
      const net = parseCidr(entry)
      if (!net)
        throw new TypeError(
          `${VAR}: "${raw.trim()}" is not true, false, a number of proxies, an IP address, a CIDR or one of loopback, private, linklocal`,
        )
      nets.push(net)
    }
  }
  return nets.length > 0 ? { kind: 'proxies', nets } : { kind: 'none' }
}

/** True when TRUST_PROXY reads `X-Forwarded-For` at all. */
export function trustsProxy(text: string): boolean {
  return parseTrustProxy(text).kind !== 'none'
}

/** An address from a header entry: brackets and a port (`1.2.3.4:5678`, `[::1]:80`) dropped. */
function addressOf(entry: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(entry)
  if (v6) return v6[1]!
  const v4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry)
  return v4 ? v4[1]! : entry
}

/**
 * Returns `ipOf(request)`: the client address under `trust`, given the socket's peer address
 * (`'unknown'` when there is none, as for requests handled in process).
 */
export function createClientIp(
  trust: TrustProxy,
  socketIp: (request: Request) => string | null,
  /** Told once when requests arrive with X-Forwarded-For while TRUST_PROXY is off. */
  warn?: (message: string) => void,
): (request: Request) => string {
  if (trust.kind === 'none') {
    let warned = !warn
    return (request) => {
      if (!warned && request.headers.has('x-forwarded-for')) {
        warned = true
        warn?.(
          'requests arrive with X-Forwarded-For but TRUST_PROXY is not set: behind a reverse proxy every client shares the proxy address for sign-in limits and the audit log (set TRUST_PROXY, see the README security notes)',
        )
      }
      return socketIp(request) ?? 'unknown'
    }
  }
  const trusted = (address: string) => {
    if (trust.kind !== 'proxies') return true
    const ip = parseIp(address)
    return !!ip && trust.nets.some((n) => inCidr(ip, n.ip, n.bits))
  }
  return (request) => {
    const socket = socketIp(request) ?? 'unknown'
    const header = request.headers.get('x-forwarded-for')
    if (!header) return socket
    // Nearest first: the socket's peer, then the header's entries from the right.
    const hops = [
      socket,
      ...header
        .split(',')
        .map((e) => addressOf(e.trim()))
        .filter((e) => e !== '')
        .reverse(),
    ]
    if (trust.kind === 'hops') return hops[Math.min(trust.hops, hops.length - 1)]!
    // Proxy addresses: an untrusted socket peer means the header is not a proxy's at all.
    for (let i = 0; i < hops.length - 1; i++) if (!trusted(hops[i]!)) return hops[i]!
    return hops[hops.length - 1]!
  }
}
