/**
 * Building blocks of the fuzz tests: a seedable PRNG, odd values, random JSON, bytes that are not
 * UTF-8, content types, and paths into a JSON value for mutations.
 */

/** mulberry32: small, fast, seedable. */
export function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  return { next, int, pick, chance: (p: number) => next() < p }
}
export type Rng = ReturnType<typeof prng>

export const WEIRD_STRINGS = [
  '',
  'NaN',
  'Infinity',
  '-Infinity',
  '-0',
  'null',
  'undefined',
  'true',
  '1e309',
  '0x10',
  '\u0000',
  '\ud800',
  '🙂'.repeat(50),
  '<script>alert(1)</script>',
  '../../etc/passwd',
  '%00%0d%0a',
  ['$', '{jndi:ldap://x}'].join(''),
  'claude-sonnet-4-6',
  'claude-opus-4-5',
  '__proto__',
  'constructor',
]
export const WEIRD_NUMBERS = [
  0,
  -1,
  1,
  2 ** 31,
  2 ** 53,
  2 ** 64,
  1e308,
  -1e308,
  5e-324,
  0.5,
  Number.MAX_SAFE_INTEGER + 2,
]

export function randomValue(rng: Rng, depth = 0): unknown {
  const k = rng.int(depth > 3 ? 5 : 8)
  switch (k) {
    case 0:
      return null
    case 1:
      return rng.chance(0.5)
    case 2:
      return rng.pick(WEIRD_NUMBERS)
    case 3:
      return rng.pick(WEIRD_STRINGS)
    case 4:
      return 'x'.repeat(rng.int(64))
    case 5:
      return Array.from({ length: rng.int(4) }, () => randomValue(rng, depth + 1))
    case 6: {
      const o: Record<string, unknown> = {}
      for (let i = rng.int(4); i > 0; i--)
        o[rng.pick(['type', 'text', 'role', 'content', 'model', 'a', '__proto__', 'constructor'])] =
          randomValue(rng, depth + 1)
      return o
    }
    default:
      return { type: 'text', text: rng.pick(WEIRD_STRINGS) }
  }
}

/** Paths of a JSON value (for mutations). */
export function paths(
  v: unknown,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
) {
  if (v && typeof v === 'object') {
    for (const [k, c] of Object.entries(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k]
      out.push(p)
      paths(c, p, out)
    }
  }
  return out
}

export function setAt(root: any, path: (string | number)[], value: unknown, remove = false) {
  let o = root
  for (const k of path.slice(0, -1)) o = o?.[k]
  if (!o || typeof o !== 'object') return
  const last = path.at(-1)!
  if (remove) {
    if (Array.isArray(o)) o.splice(Number(last), 1)
    else delete o[last]
  } else
    Object.defineProperty(o, last, { value, enumerable: true, writable: true, configurable: true })
}

export function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n)
  for (let i = 0; i < n; i++) out[i] = rng.int(256)
  return out
}

export const BAD_UTF8 = [
  Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]),
  Uint8Array.from([0xc0, 0xaf]),
  Uint8Array.from([0xed, 0xa0, 0x80]),
  Uint8Array.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
  Uint8Array.from([
    0x7b, 0x22, 0x6d, 0x6f, 0x64, 0x65, 0x6c, 0x22, 0x3a, 0x22, 0xe2, 0x82, 0x22, 0x7d,
  ]),
]
export const CONTENT_TYPES = [
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/json; charset=utf-16',
  'application/octet-stream',
  '',
  '*/*',
]
