import { describe, expect, test } from 'bun:test'
import {
  canonicalHost,
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

  test('a name that does not resolve (or too slowly) is refused', async () => {
    const p = policy({ resolveTimeoutMs: 20, resolve: () => new Promise(() => {}) })
    const slow = await p.checkHost('slow.example')
    expect(slow.ok).toBe(false)
    expect(!slow.ok && slow.reason).toContain('does not resolve')
    const none = await policy().checkUrl('https://nowhere.invalid/')
    expect(!none.ok && none.reason).toContain('UPSTREAM_ALLOW_HOSTS')
  })

  test('a name listed in UPSTREAM_ALLOW_HOSTS may be one only a proxy resolves', async () => {
    const p = policy({ allowHosts: 'internal-only.corp' })
    expect(await p.checkUrl('https://internal-only.corp/')).toEqual({ ok: true })
    expect((await p.checkUrl('https://other.corp/')).ok).toBe(false)
  })

  test('host:port entries allow that port only (not every loopback port)', async () => {
    const p = policy({ allowHosts: '127.0.0.1:8080, [::1]:9090, gateway.lan:443' })
    expect((await p.checkUrl('http://127.0.0.1:8080/v1')).ok).toBe(true)
    expect((await p.checkUrl('http://2130706433:8080/v1')).ok).toBe(true)
    expect((await p.checkUrl('http://127.0.0.1:3000/')).ok).toBe(false)
    expect((await p.checkUrl('http://127.0.0.1/')).ok).toBe(false)
    expect((await p.checkUrl('http://[::1]:9090/')).ok).toBe(true)
    expect((await p.checkUrl('http://[::1]:9091/')).ok).toBe(false)
    expect((await p.checkUrl('https://gateway.lan/')).ok).toBe(true)
    expect((await p.checkUrl('http://gateway.lan/')).ok).toBe(false)
    expect((await p.checkHost('127.0.0.1', 8080)).ok).toBe(true)
    expect((await p.checkHost('127.0.0.1', 8081)).ok).toBe(false)
    const denyPort = policy({ denyHosts: '10.0.0.1:22' })
    expect((await denyPort.checkUrl('http://10.0.0.1:22/')).ok).toBe(false)
    expect((await denyPort.checkUrl('http://10.0.0.1:80/')).ok).toBe(true)
    expect(() => policy({ allowHosts: '127.0.0.1:0' })).toThrow('UPSTREAM_ALLOW_HOSTS')
    expect(() => policy({ allowHosts: '127.0.0.1:99999' })).toThrow('UPSTREAM_ALLOW_HOSTS')
    expect(() => policy({ allowHosts: '10.0.0.0/8:80' })).toThrow('UPSTREAM_ALLOW_HOSTS')
  })

  test('cloud metadata is refused even when listed in UPSTREAM_ALLOW_HOSTS or behind a listed name', async () => {
    const p = policy({
      allowHosts: '169.254.169.254,fd00:ec2::254,metadata.google.internal,meta.lan',
      allowPrivate: true,
      resolve: async () => ['169.254.169.254'],
    })
    for (const url of [
      'http://169.254.169.254/',
      'http://[fd00:ec2::254]/',
      'http://[::ffff:a9fe:a9fe]/',
      'http://metadata.google.internal/',
      'http://meta.lan/',
    ])
      expect({ url, ok: (await p.checkUrl(url)).ok }).toEqual({ url, ok: false })
  })

  test('a proxy host is a hostname or an IP address, nothing else', async () => {
    const p = policy({ resolve: async () => ['10.0.0.1'] })
    for (const host of [
      'x@y@127.0.0.1',
      'a@10.0.0.1',
      '10.0.0.1:8080',
      'h/p',
      'a b',
      '',
      'a%2e',
      '::1%eth0',
    ])
      expect({ host, ok: (await p.checkHost(host)).ok }).toEqual({ host, ok: false })
    const bad = await p.checkHost('x@y@127.0.0.1')
    expect(!bad.ok && bad.reason).toContain('not a hostname or an IP address')
    for (const host of ['10.0.0.1', 'proxy.lan', '[fd12::1]', 'fd12::1'])
      expect({ host, ok: (await p.checkHost(host)).ok }).toEqual({ host, ok: true })
    expect((await p.checkHost('2130706433')).ok).toBe(false)
    expect(canonicalHost('2130706433')).toBe('127.0.0.1')
    expect(canonicalHost('::1')).toBe('[::1]')
    expect(canonicalHost('Proxy.LAN')).toBe('proxy.lan')
    expect(canonicalHost('x@y@127.0.0.1')).toBeNull()
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

  test('an unresolvable host is refused, directly and through a proxy', async () => {
    const p = policy()
    const f = p.guard(async () => new Response('ok'))
    await expect(f('https://nowhere.invalid/')).rejects.toThrow('does not resolve')
    const viaProxy = p.guard(async () => new Response('ok'), { host: '10.0.0.1', port: 3128 })
    await expect(viaProxy('https://internal-only.corp/')).rejects.toThrow('does not resolve')
  })

  test('guarded fetch sends the URL as the check parsed it', async () => {
    const sent: string[] = []
    const p = policy({ resolve: async () => ['10.0.0.1'] })
    const f = p.guard(async (input) => {
      sent.push(String(input))
      return new Response('ok')
    })
    await f('HTTP://API.example.com\\v1\tmessages')
    expect(sent).toEqual(['http://api.example.com/v1messages'])
  })
})
