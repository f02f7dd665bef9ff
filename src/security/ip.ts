/**
 * @module
 * IP address parsing and classification shared by the outbound URL policy and the client address
 * of a request: strict IPv4 and IPv6 literals, the loose IPv4 spellings `inet_aton` accepts,
 * the IPv4 address an IPv6 one embeds, CIDR membership and the category of an address.
 */

/** An IP address as bytes (4 or 16). */
export interface Ip {
  family: 4 | 6
  bytes: Uint8Array
}

/** Why an address is special. */
export type AddressCategory =
  | 'loopback'
  | 'unspecified'
  | 'link-local'
  | 'metadata'
  | 'private'
  | 'public'

/** Strict dotted-quad IPv4 (no leading zeros). */
export function parseIPv4(text: string): Ip | null {
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

/** A literal address as written in a URL host or a header: dotted-quad IPv4, or IPv6 (brackets allowed). */
export function parseIp(text: string): Ip | null {
  let h = text.trim()
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1)
  return h.includes(':') ? parseIPv6(h) : parseIPv4(h)
}

/** The IPv4 address an IPv6 address embeds (mapped, compatible, NAT64), else the address itself. */
export function unwrap(ip: Ip): Ip {
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

/** The usual text form of an address (IPv6 with the first run of zero groups compressed). */
export function ipText(ip: Ip): string {
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

/** True when `ip` (IPv4 embedded in IPv6 counts as IPv4) lies in `net`/`bits`. */
export function inCidr(ip: Ip, net: Ip, bits: number): boolean {
  const a = unwrap(ip)
  if (a.family !== net.family) return false
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3
    const mask = 0x80 >> (i & 7)
    if ((a.bytes[byte]! & mask) !== (net.bytes[byte]! & mask)) return false
  }
  return true
}

/** A CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address; null when `text` is neither. */
export function parseCidr(text: string): { ip: Ip; bits: number } | null {
  const slash = text.indexOf('/')
  const ip = parseIp(slash >= 0 ? text.slice(0, slash) : text)
  if (!ip) return null
  const net = unwrap(ip)
  const max = net.family === 4 ? 32 : 128
  if (slash < 0) return { ip: net, bits: max }
  const bitsText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > (ip.family === 4 ? 32 : 128)) return null
  // An IPv4-mapped network (::ffff:10.0.0.0/104) is the IPv4 network it embeds.
  const bits = ip.family === 6 && net.family === 4 ? Number(bitsText) - 96 : Number(bitsText)
  if (bits < 0) return null
  return { ip: net, bits }
}
