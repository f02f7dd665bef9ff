/**
 * The outbound URL policy against the spellings of a loopback or metadata URL that `fetch` still
 * delivers: userinfo, percent-encoding, whitespace and control characters, IPv6 and IPv4-mapped
 * forms, decimal / octal / hex / short IPv4, trailing dots, IDNA, names that resolve to loopback
 * through /etc/hosts. Each spelling is sent by plain `fetch` to show where it really goes, and
 * through the guarded fetch, which must refuse it before anything reaches the listener.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { dnsResolver } from '../../../src/runtime/dns.ts'
import { createUrlPolicy, UrlPolicyError } from '../../../src/security/url-policy.ts'

/** Names /etc/hosts maps to a loopback address (always at least `localhost`). */
function loopbackHostNames(): string[] {
  let text = ''
  try {
    text = readFileSync('/etc/hosts', 'utf8')
  } catch {}
  const names = new Set<string>()
  for (const line of text.split('\n')) {
    const [addr, ...rest] = line.replace(/#.*/, '').trim().split(/\s+/)
    if (addr && (/^127\./.test(addr) || addr === '::1'))
      for (const n of rest) if (n && n !== 'localhost') names.add(n)
  }
  return [...names].slice(0, 4)
}

/** `P` stands for the listener's port. */
const LOOPBACK_SPELLINGS = [
  'http://127.0.0.1:P/',
  'http://x@y@127.0.0.1:P/',
  'http://user:pass@127.0.0.1:P/',
  'http://example.com@127.0.0.1:P/',
  'http://example.com:80@127.0.0.1:P/',
  'http://127.0.0.%31:P/',
  'http://%31%32%37%2e%30%2e%30%2e%31:P/',
  'http://1\t27.0.0.1:P/',
  'http://1\n27.0.0.1:P/',
  'http://127.0.0.1\r:P/',
  ' http://127.0.0.1:P/',
  '\u0001http://127.0.0.1:P/\u0002',
  'http://2130706433:P/',
  'http://0x7f000001:P/',
  'http://017700000001:P/',
  'http://0177.0.0.1:P/',
  'http://0x7f.0.0.1:P/',
  'http://0x7F.1:P/',
  'http://127.1:P/',
  'http://127.0.1:P/',
  'http://127.000.000.001:P/',
  'http://127.0.0.1.:P/',
  'http://127.0.0.2:P/',
  'http://127.255.255.254:P/',
  'http://0:P/',
  'http://0.0.0.0:P/',
  'http://[::ffff:127.0.0.1]:P/',
  'http://[::ffff:7f00:1]:P/',
  'http://[0:0:0:0:0:ffff:127.0.0.1]:P/',
  'http://[::1]:P/',
  'http://[0:0:0:0:0:0:0:1]:P/',
  'http://[::]:P/',
  'http://[::127.0.0.1]:P/',
  'http://[64:ff9b::7f00:1]:P/',
  'http://localhost:P/',
  'http://LOCALHOST:P/',
  'http://localhost.:P/',
  'http://api.localhost:P/',
  'http://loc%61lhost:P/',
  'http://\u24dbocalhost:P/',
  'http://127\u30020\u30020\u30021:P/',
  'http://\uff10x7f.1:P/',
  'HTTP://127.0.0.1:P/',
  'http:127.0.0.1:P/',
  'http:/127.0.0.1:P/',
  'http:\\\\127.0.0.1:P/',
  'http://127.0.0.1:P#@example.com/',
  'http://127.0.0.1:P?@example.com/',
  'http://127.0.0.1:P\\@example.com/',
  ...loopbackHostNames().map((n) => `http://${n}:P/`),
]

/** Never reachable here, but refused for what they are. */
const METADATA_SPELLINGS = [
  'http://169.254.169.254/latest/meta-data',
  'http://2852039166/',
  'http://0xa9.0xfe.0xa9.0xfe/',
  'http://[::ffff:169.254.169.254]/',
  'http://[::ffff:a9fe:a9fe]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://[fd00:ec2::254]/',
  'http://metadata.google.internal/',
  'http://METADATA.google.internal./',
  'http://100.100.100.200/',
  'http://169.254.1.1/',
  'http://[fe80::1]/',
]

describe('outbound URL policy: a table of spellings, checked against where fetch really goes', () => {
  let hits = 0
  let server: ReturnType<typeof Bun.serve>
  let port = 0
  const policy = createUrlPolicy({
    allowHosts: '',
    denyHosts: '',
    allowPrivate: false,
    resolve: dnsResolver,
  })
  const guarded = policy.guard((input, init) => fetch(input, init))
  const spell = (s: string) => s.replaceAll(':P', `:${port}`)

  beforeAll(() => {
    // Every local address: 127.0.0.0/8, 0.0.0.0 and (when the host has IPv6) ::1 reach it.
    const serve = (hostname: string) =>
      Bun.serve({
        port: 0,
        hostname,
        fetch: () => {
          hits++
          return new Response('reached')
        },
      })
    try {
      server = serve('::')
    } catch {
      server = serve('0.0.0.0')
    }
    port = server.port as number
  })
  afterAll(() => server.stop(true))

  test(`the table has at least 40 loopback spellings (${LOOPBACK_SPELLINGS.length})`, () => {
    expect(LOOPBACK_SPELLINGS.length).toBeGreaterThanOrEqual(40)
  })

  test('plain fetch delivers the tricky spellings to the loopback listener (the attack is real)', async () => {
    const delivered: string[] = []
    for (const s of LOOPBACK_SPELLINGS) {
      const before = hits
      try {
        const res = await fetch(spell(s), { signal: AbortSignal.timeout(3000) })
        await res.text()
      } catch {}
      if (hits > before) delivered.push(s)
    }
    for (const s of [
      'http://x@y@127.0.0.1:P/',
      'http://127.0.0.%31:P/',
      'http://1\t27.0.0.1:P/',
      'http://2130706433:P/',
      'http://0x7F.1:P/',
      'http://localhost:P/',
    ])
      expect(delivered).toContain(s)
    expect(delivered.length).toBeGreaterThanOrEqual(30)
  }, 120_000)

  test('every loopback spelling is refused by the policy and never reaches the listener', async () => {
    const before = hits
    const passed: string[] = []
    for (const s of LOOPBACK_SPELLINGS) {
      const url = spell(s)
      const verdict = await policy.checkUrl(url)
      if (verdict.ok) passed.push(`checkUrl ${JSON.stringify(s)}`)
      try {
        await guarded(url, { signal: AbortSignal.timeout(3000) })
        passed.push(`guard ${JSON.stringify(s)}`)
      } catch (err) {
        if (!(err instanceof UrlPolicyError)) passed.push(`guard ${JSON.stringify(s)}: ${err}`)
      }
    }
    expect(passed).toEqual([])
    expect(hits).toBe(before)
  }, 60_000)

  test('every metadata spelling is refused, even with UPSTREAM_ALLOW_PRIVATE and an allow list', async () => {
    const open = createUrlPolicy({
      allowHosts: '169.254.0.0/16,fd00::/8,metadata.google.internal,100.100.100.200',
      denyHosts: '',
      allowPrivate: true,
      resolve: dnsResolver,
    })
    for (const s of METADATA_SPELLINGS) {
      const strict = await policy.checkUrl(s)
      expect({ s, ok: strict.ok }).toEqual({ s, ok: false })
      const meta = /169\.254\.169\.254|2852039166|0xa9|a9fe|ec2|metadata|100\.100/i.test(s)
      if (meta) expect({ s, ok: (await open.checkUrl(s)).ok }).toEqual({ s, ok: false })
    }
  })

  test('an address that is allowed stays allowed however it is spelt (the same address is judged)', async () => {
    const local = createUrlPolicy({
      allowHosts: `127.0.0.1:${port}`,
      denyHosts: '',
      allowPrivate: false,
      resolve: dnsResolver,
    })
    for (const s of [
      'http://127.0.0.1:P/',
      'http://2130706433:P/',
      'http://x@y@127.0.0.1:P/',
      'http://127.0.0.%31:P/',
    ])
      expect({ s, ok: (await local.checkUrl(spell(s))).ok }).toEqual({ s, ok: true })
    // Only that port: the relay's own port or any other loopback service stays refused.
    expect((await local.checkUrl(`http://127.0.0.1:${port + 1}/`)).ok).toBe(false)
    expect((await local.checkUrl('http://127.0.0.1/')).ok).toBe(false)
    for (const s of ['http://10.0.0.1/', 'http://192.168.1.1:8080/', 'http://134744072/'])
      expect({ s, ok: (await policy.checkUrl(s)).ok }).toEqual({ s, ok: true })
  })

  test('URLs that are not http(s) or do not parse are refused', async () => {
    for (const s of [
      'file:///etc/passwd',
      'ftp://10.0.0.1/',
      'gopher://10.0.0.1/',
      'http://',
      'http://[::1/',
      'http://127.0.0.1%00.example.com/',
      'not a url',
    ])
      expect({ s, ok: (await policy.checkUrl(s)).ok }).toEqual({ s, ok: false })
  })
})
