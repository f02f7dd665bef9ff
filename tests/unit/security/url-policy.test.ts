import { describe, expect, test } from 'bun:test'
import {
  categoryOf,
  createUrlPolicy,
  parseIPv6,
  parseLooseIPv4,
  UrlPolicyError,
} from '../../../src/security/url-policy.ts'

const noDns = async (name: string): Promise<string[]> => {
  throw new Error(`no DNS for ${name}`)
}
const policy = (over: Partial<Parameters<typeof createUrlPolicy>[0]> = {}) =>
  createUrlPolicy({ allowHosts: '', denyHosts: '', allowPrivate: false, resolve: noDns, ...over })

describe('url policy: address parsing', () => {
  test('inet_aton spellings decode like getaddrinfo does', () => {
    const text = (s: string) => parseLooseIPv4(s)?.bytes.join('.')
    expect(text('2130706433')).toBe('127.0.0.1')
    expect(text('0x7f000001')).toBe('127.0.0.1')
    expect(text('0177.0.0.1')).toBe('127.0.0.1')
    expect(text('127.1')).toBe('127.0.0.1')
    expect(text('0x7f.0x0.0.1')).toBe('127.0.0.1')
    expect(text('169.16689662')).toBe('169.254.169.254')
    expect(text('0')).toBe('0.0.0.0')
    expect(text('4294967296')).toBeUndefined()
    expect(text('example.com')).toBeUndefined()
    expect(text('1.2.3.4.5')).toBeUndefined()
  })

  test('IPv6 literals, with zones and embedded IPv4', () => {
    expect(parseIPv6('::1')?.bytes[15]).toBe(1)
    expect(parseIPv6('fe80::1%eth0')?.bytes[0]).toBe(0xfe)
    expect([...(parseIPv6('::ffff:127.0.0.1')?.bytes.slice(12) ?? [])]).toEqual([127, 0, 0, 1])
    expect(parseIPv6('1:2:3:4:5:6:7:8:9')).toBeNull()
    expect(parseIPv6('1::2::3')).toBeNull()
    expect(parseIPv6('gggg::1')).toBeNull()
  })

  test('categories, including IPv4-mapped, compatible and NAT64 forms', () => {
    const cat = (s: string) => categoryOf(s.includes(':') ? parseIPv6(s)! : parseLooseIPv4(s)!)
    expect(cat('127.0.0.1')).toBe('loopback')
    expect(cat('::1')).toBe('loopback')
    expect(cat('::ffff:127.0.0.1')).toBe('loopback')
    expect(cat('::ffff:7f00:1')).toBe('loopback')
    expect(cat('::127.0.0.1')).toBe('loopback')
    expect(cat('0.0.0.0')).toBe('unspecified')
    expect(cat('::')).toBe('unspecified')
    expect(cat('169.254.1.1')).toBe('link-local')
    expect(cat('fe80::abcd')).toBe('link-local')
    expect(cat('febf::1')).toBe('link-local')
    expect(cat('169.254.169.254')).toBe('metadata')
    expect(cat('::ffff:169.254.169.254')).toBe('metadata')
    expect(cat('64:ff9b::a9fe:a9fe')).toBe('metadata')
    expect(cat('fd00:ec2::254')).toBe('metadata')
    expect(cat('100.100.100.200')).toBe('metadata')
    expect(cat('10.1.2.3')).toBe('private')
    expect(cat('172.31.0.1')).toBe('private')
    expect(cat('192.168.0.1')).toBe('private')
    expect(cat('fd12::1')).toBe('private')
    expect(cat('8.8.8.8')).toBe('public')
    expect(cat('2606:4700::1111')).toBe('public')
  })

  test('bad allow/deny entries throw naming the variable', () => {
    expect(() => policy({ allowHosts: '10.0.0.0/33' })).toThrow('UPSTREAM_ALLOW_HOSTS')
    expect(() => policy({ denyHosts: 'a b' })).toThrow('UPSTREAM_DENY_HOSTS')
    expect(() => policy({ allowHosts: '::1/129' })).toThrow('UPSTREAM_ALLOW_HOSTS')
  })
})

describe('url policy: checks', () => {
  test('literal IPs and names are judged without DNS when they can be', async () => {
    let lookups = 0
    const p = policy({
      resolve: async () => {
        lookups++
        return ['8.8.8.8']
      },
    })
    expect((await p.checkHost('127.0.0.1')).ok).toBe(false)
    expect((await p.checkHost('[::1]')).ok).toBe(false)
    expect((await p.checkHost('LOCALHOST.')).ok).toBe(false)
    expect((await p.checkHost('10.0.0.1')).ok).toBe(true)
    expect(lookups).toBe(0)
    expect((await p.checkHost('example.com')).ok).toBe(true)
    expect((await p.checkHost('example.com')).ok).toBe(true)
    expect(lookups).toBe(1)
  })

  test('the verdict per hostname is cached, then re-resolved (rebinding)', async () => {
    let now = 0
    let answer = ['10.0.0.1']
    const p = policy({ now: () => now, cacheMs: 30_000, resolve: async () => answer })
    expect((await p.checkHost('rebind.example')).ok).toBe(true)
    answer = ['127.0.0.1']
    now += 29_000
    expect((await p.checkHost('rebind.example')).ok).toBe(true)
    now += 2000
    const v = await p.checkHost('rebind.example')
    expect(v.ok).toBe(false)
    expect(!v.ok && v.reason).toContain('resolves to 127.0.0.1')
  })

  test('a slow resolver counts as unresolved', async () => {
    const p = policy({ resolveTimeoutMs: 20, resolve: () => new Promise(() => {}) })
    expect(await p.checkHost('slow.example')).toEqual({ ok: true, unresolved: true })
  })

  test('trusted origins are exempt', async () => {
    const p = policy({ trustedUrls: ['http://127.0.0.1:4000/v1/messages'] })
    expect((await p.checkUrl('http://127.0.0.1:4000/v1/messages/count_tokens')).ok).toBe(true)
    expect((await p.checkUrl('http://127.0.0.1:4001/v1/messages')).ok).toBe(false)
  })

  test('guarded fetch: refuses before sending, forces redirect manual, turns 3xx into 502', async () => {
    const seen: (RequestInit | undefined)[] = []
    const base = async (_input: string | URL | Request, init?: RequestInit) => {
      seen.push(init)
      return new Response(null, { status: 307, headers: { location: 'http://127.0.0.1/' } })
    }
    const p = policy({ resolve: async () => ['1.1.1.1'] })
    const f = p.guard(base)
    await expect(f('http://169.254.169.254/x', { method: 'GET' })).rejects.toBeInstanceOf(
      UrlPolicyError,
    )
    expect(seen).toHaveLength(0)
    const res = await f('https://api.example.com/v1/messages', {
      method: 'POST',
      redirect: 'follow',
    })
    expect(seen[0]?.redirect).toBe('manual')
    expect(res.status).toBe(502)
    expect(((await res.json()) as any).error.message).toContain('HTTP 307')
    const viaBadProxy = p.guard(base, '127.0.0.1')
    await expect(viaBadProxy('https://api.example.com/')).rejects.toThrow('Proxy 127.0.0.1')
  })

  test('an unresolvable host is refused when sending directly (the fetch would resolve it itself)', async () => {
    const p = policy()
    const f = p.guard(async () => new Response('ok'))
    await expect(f('https://nowhere.invalid/')).rejects.toThrow('cannot be resolved')
    const viaProxy = p.guard(async () => new Response('ok'), '10.0.0.1')
    expect((await viaProxy('https://internal-only.corp/')).status).toBe(200)
  })
})
