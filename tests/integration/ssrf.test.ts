/**
 * The outbound URL policy end to end, with the default policy (no UPSTREAM_ALLOW_HOSTS opt-in):
 * admin entry of console apiUrls, account and onboarding proxies and webhook URLs; send-time
 * checks against DNS rebinding; operator-trusted CLAUDE_API_URL; redirects never followed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createServer, type Server } from 'node:net'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

/** No opt-in: the helper's default allow list is cleared (empty = unset = default policy). */
const DEFAULT_POLICY = { UPSTREAM_ALLOW_HOSTS: '' }

const REFUSED_URLS = [
  'http://127.0.0.1:8080/v1',
  'http://127.9.9.9/',
  'http://localhost:3000/',
  'http://api.localhost/',
  'http://[::1]/',
  'http://0.0.0.0/',
  'http://[::]/',
  'http://169.254.169.254/latest/meta-data',
  'http://169.254.10.10/',
  'http://[fe80::1]/',
  'http://[fd00:ec2::254]/',
  'http://metadata.google.internal/computeMetadata/v1',
  'http://100.100.100.200/',
  'http://[::ffff:127.0.0.1]/',
  'http://[::ffff:7f00:1]/',
  'http://[::ffff:169.254.169.254]/',
  'http://[64:ff9b::a9fe:a9fe]/',
  'http://2130706433/',
  'http://0x7f000001/',
  'http://0177.0.0.1/',
  'http://127.1/',
  'http://0x7f.0.0.1/',
  'http://0/',
]

function body(text = 'hi') {
  return JSON.stringify({
    model: 'claude-sonnet-4-6',
    max_tokens: 5,
    messages: [{ role: 'user', content: text }],
  })
}

describe('SSRF: outbound URL policy (default policy, no opt-in)', () => {
  let up: FakeUpstream
  let r: TestRelay
  const dns = new Map<string, string[]>()
  let lookups: string[] = []
  const clock = { t: Date.now(), now: () => clock.t }
  const resolveHost = async (name: string) => {
    lookups.push(name)
    const hit = dns.get(name)
    if (!hit) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
    return hit
  }

  beforeAll(async () => {
    up = startFakeUpstream()
    r = await startRelay({ upstream: up, env: DEFAULT_POLICY, resolveHost, clock })
  })
  afterAll(async () => {
    await r.stop()
    up.stop()
  })

  const console = (apiUrl: string, extra: Record<string, unknown> = {}) =>
    r.admin('POST', '/admin/claude-console-accounts', {
      name: `c-${crypto.randomUUID().slice(0, 6)}`,
      apiUrl,
      apiKey: 'sk-test',
      ...extra,
    })

  test('admin entry refuses loopback, unspecified, link-local, metadata and odd IP spellings with a 400 naming the policy', async () => {
    for (const url of REFUSED_URLS) {
      const res = await console(url)
      expect({ url, status: res.status }).toEqual({ url, status: 400 })
      expect(res.json.type).toBe('error')
      expect(res.json.error.type).toBe('invalid_request_error')
      expect(res.json.error.message).toContain('outbound URL policy')
      expect(res.json.error.message).toContain(
        res.json.error.message.includes('metadata') ? 'never allowed' : 'UPSTREAM_ALLOW_HOSTS',
      )
    }
    const odd = await console('http://2130706433/')
    expect(odd.json.error.message).toContain('127.0.0.1')
    expect((await r.admin('GET', '/admin/claude-console-accounts')).json.data).toHaveLength(0)
  })

  test('private LAN ranges and public addresses stay allowed by default', async () => {
    for (const url of [
      'http://10.0.0.5:8080/',
      'http://192.168.1.1/',
      'http://172.16.0.1/',
      'http://[fd12:3456::1]/',
      'https://1.2.3.4/',
    ]) {
      const res = await console(url)
      expect({ url, status: res.status }).toEqual({ url, status: 200 })
      await r.admin('DELETE', `/admin/claude-console-accounts/${res.json.data.id}`)
    }
  })

  test('updates are checked like creates (apiUrl and proxy host)', async () => {
    const id = (await console('http://10.0.0.6/')).json.data.id as string
    const bad = await r.admin('PUT', `/admin/claude-console-accounts/${id}`, {
      apiUrl: 'http://[::ffff:127.0.0.1]:9/',
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.message).toContain('UPSTREAM_ALLOW_HOSTS')
    const badProxy = await r.admin('PUT', `/admin/claude-console-accounts/${id}`, {
      proxy: { type: 'socks5', host: '169.254.169.254', port: 1080 },
    })
    expect(badProxy.status).toBe(400)
    expect(badProxy.json.error.message).toContain('proxy.host')
    const kept = await r.admin('GET', `/admin/claude-console-accounts/${id}`)
    expect(kept.json.data.apiUrl).toBe('http://10.0.0.6/')
    expect(kept.json.data.proxy).toBeNull()
    await r.admin('DELETE', `/admin/claude-console-accounts/${id}`)
  })

  test('account and OAuth onboarding proxies are checked at entry', async () => {
    const oauth = await r.admin('POST', '/admin/claude-accounts', {
      name: 'o',
      claudeAiOauth: { accessToken: 'a', refreshToken: 'b', expiresAt: Date.now() + 3_600_000 },
      proxy: { type: 'http', host: 'localhost', port: 3128 },
    })
    expect(oauth.status).toBe(400)
    expect(oauth.json.error.message).toContain('UPSTREAM_ALLOW_PRIVATE')
    for (const host of ['127.0.0.1', '2130706433', '[::1]', 'metadata.google.internal']) {
      const start = await r.admin('POST', '/admin/claude-accounts/generate-auth-url', {
        proxy: { type: 'socks5', host, port: 1080 },
      })
      expect({ host, status: start.status }).toEqual({ host, status: 400 })
      expect(start.json.error.type).toBe('invalid_request_error')
    }
    const lan = await r.admin('POST', '/admin/claude-accounts/generate-auth-url', {
      proxy: { type: 'socks5', host: '192.168.0.10', port: 1080 },
    })
    expect(lan.status).toBe(200)
  })

  test('hostnames are resolved and every resolved address is checked', async () => {
    dns.set('mixed.test', ['93.184.216.34', '127.0.0.1'])
    dns.set('v6meta.test', ['fd00:ec2::254'])
    dns.set('lan.test', ['10.0.0.7', 'fd00::7'])
    const mixed = await console('http://mixed.test/')
    expect(mixed.status).toBe(400)
    expect(mixed.json.error.message).toContain('resolves to 127.0.0.1')
    expect((await console('http://v6meta.test/')).status).toBe(400)
    const lan = await console('http://lan.test/')
    expect(lan.status).toBe(200)
    await r.admin('DELETE', `/admin/claude-console-accounts/${lan.json.data.id}`)
  })

  test('DNS rebinding: a hostname that resolved fine at entry but now points to loopback is refused at send time; verdicts are cached', async () => {
    dns.set('rebind.test', ['10.0.0.9'])
    const acct = await console('http://rebind.test/')
    expect(acct.status).toBe(200)
    const { key } = await r.createKey({ claudeConsoleAccountId: acct.json.data.id })
    dns.set('rebind.test', ['127.0.0.1'])
    lookups = []
    // Within the cache window the verdict is reused: no DNS lookup on the request path.
    const cached = await r.handle(
      new Request('http://localhost/api/v1/messages', {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: body(),
      }),
    )
    await cached.text()
    expect(lookups).toEqual([])
    await r.admin('POST', `/admin/claude-console-accounts/${acct.json.data.id}/reset-status`)
    clock.t += 61_000
    up.reset()
    const res = await r.handle(
      new Request('http://localhost/api/v1/messages', {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: body(),
      }),
    )
    expect(lookups).toEqual(['rebind.test'])
    expect(res.status).toBeGreaterThanOrEqual(500)
    const err = (await res.json()) as any
    expect(err.type).toBe('error')
    expect(err.error.message).toContain('outbound URL policy')
    expect(up.received).toHaveLength(0)
  })

  test('webhook URLs are checked when saved, when tested and before every delivery', async () => {
    const bad = await r.admin('POST', '/admin/webhook/platforms', {
      type: 'custom',
      url: 'http://169.254.169.254/hook',
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.message).toContain('outbound URL policy')
    const badTest = await r.admin('POST', '/admin/webhook/test', {
      type: 'slack',
      url: 'http://localhost:9/hook',
    })
    expect(badTest.status).toBe(400)
    const badTelegram = await r.admin('POST', '/admin/webhook/platforms', {
      type: 'telegram',
      botToken: '123:abc',
      chatId: '1',
      apiBaseUrl: 'http://[::1]:8081',
    })
    expect(badTelegram.status).toBe(400)
    dns.set('hook.test', ['10.0.0.20'])
    const saved = await r.admin('POST', '/admin/webhook/platforms', {
      type: 'custom',
      url: 'http://hook.test/notify',
    })
    expect(saved.status).toBe(200)
    dns.set('hook.test', ['127.0.0.1'])
    clock.t += 61_000
    const sent = await r.admin('POST', '/admin/webhook/test', { platformId: saved.json.data.id })
    expect(sent.status).toBe(200)
    expect(sent.json.data.delivered).toBe(false)
    expect(sent.json.data.error).toContain('outbound URL policy')
  })

  test('the operator-configured CLAUDE_API_URL on loopback is exempt (OAuth accounts relay normally)', async () => {
    const id = await r.createOAuthAccount('trusted-oauth')
    const { key } = await r.createKey({ claudeAccountId: id })
    const res = await r.handle(
      new Request('http://localhost/api/v1/messages', {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: body(),
      }),
    )
    expect(res.status).toBe(200)
  })

  test('a 302 from upstream is never followed: it becomes an upstream error (502)', async () => {
    let canaryHits = 0
    const canary = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      fetch: () => {
        canaryHits++
        return Response.json(
          { id: 'stolen', type: 'message', content: [], usage: {} },
          { status: 200 },
        )
      },
    })
    try {
      const id = await r.createOAuthAccount('redirecting')
      up.script('redirecting', {
        kind: 'error',
        status: 302,
        headers: { location: `http://127.0.0.1:${canary.port}/v1/messages` },
        body: '',
      })
      const { key } = await r.createKey({ claudeAccountId: id })
      const res = await r.handle(
        new Request('http://localhost/api/v1/messages', {
          method: 'POST',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: body(),
        }),
      )
      expect(res.status).toBe(502)
      expect(res.headers.get('location')).toBeNull()
      const err = (await res.json()) as any
      expect(err.type).toBe('error')
      expect(err.error.message).toContain('redirect')
      expect(canaryHits).toBe(0)
    } finally {
      canary.stop(true)
    }
  })
})

describe('SSRF: policy configuration', () => {
  let up: FakeUpstream
  beforeAll(() => {
    up = startFakeUpstream()
  })
  afterAll(() => up.stop())

  async function tryUrls(env: Record<string, string>, urls: string[]) {
    const r = await startRelay({ upstream: up, env: { ...DEFAULT_POLICY, ...env } })
    try {
      const out: Record<string, { status: number; message?: string }> = {}
      for (const url of urls) {
        const res = await r.admin('POST', '/admin/claude-console-accounts', {
          name: 'x',
          apiUrl: url,
          apiKey: 'k',
        })
        out[url] = { status: res.status, message: res.json.error?.message }
      }
      return out
    } finally {
      await r.stop()
    }
  }

  const statuses = (out: Record<string, { status: number }>) =>
    Object.fromEntries(Object.entries(out).map(([url, r]) => [url, r.status]))

  test('UPSTREAM_ALLOW_HOSTS allows listed hosts, IPs and CIDRs', async () => {
    const out = await tryUrls(
      { UPSTREAM_ALLOW_HOSTS: '127.0.0.0/8, localhost,169.254.169.254,[::1]:8080' },
      [
        'http://127.0.0.1:1/',
        'http://127.3.0.1/',
        'http://localhost/',
        'http://169.254.169.254/',
        'http://[::1]/',
        'http://[::1]:8080/',
      ],
    )
    expect(statuses(out)).toEqual({
      'http://127.0.0.1:1/': 200,
      'http://127.3.0.1/': 200,
      'http://localhost/': 200,
      // Cloud metadata is refused whatever the lists say.
      'http://169.254.169.254/': 400,
      'http://[::1]/': 400,
      'http://[::1]:8080/': 200,
    })
  })

  test('UPSTREAM_DENY_HOSTS refuses extra hosts and ranges, and wins over the allow list', async () => {
    const out = await tryUrls(
      {
        UPSTREAM_DENY_HOSTS: '10.0.0.0/8,evil.example,.corp.example',
        UPSTREAM_ALLOW_HOSTS: '10.1.1.1',
      },
      ['http://10.1.1.1/', 'http://evil.example/', 'http://a.corp.example/', 'http://192.168.0.1/'],
    )
    expect(statuses(out)).toEqual({
      'http://10.1.1.1/': 400,
      'http://evil.example/': 400,
      'http://a.corp.example/': 400,
      'http://192.168.0.1/': 200,
    })
    expect(out['http://10.1.1.1/']!.message).toContain('UPSTREAM_DENY_HOSTS')
  })

  test('UPSTREAM_ALLOW_PRIVATE=true allows loopback and link-local but never cloud metadata', async () => {
    const out = await tryUrls({ UPSTREAM_ALLOW_PRIVATE: 'true' }, [
      'http://127.0.0.1:9/',
      'http://localhost/',
      'http://[fe80::1]/',
      'http://169.254.169.254/',
      'http://metadata.google.internal/',
      'http://2130706433/',
    ])
    expect(statuses(out)).toEqual({
      'http://127.0.0.1:9/': 200,
      'http://localhost/': 200,
      'http://[fe80::1]/': 200,
      'http://169.254.169.254/': 400,
      'http://metadata.google.internal/': 400,
      // The address fetch connects to is judged: this is 127.0.0.1, allowed like it.
      'http://2130706433/': 200,
    })
  })

  test('a bad list entry stops startup with a message naming the variable', async () => {
    await expect(
      startRelay({ upstream: up, env: { UPSTREAM_ALLOW_HOSTS: '10.0.0.0/99' } }),
    ).rejects.toThrow('UPSTREAM_ALLOW_HOSTS')
  })
})

describe('SSRF: URLs and proxy hosts that other parsers read differently', () => {
  let up: FakeUpstream
  let r: TestRelay
  let canary: Server
  let canaryPort = 0
  let received = ''
  let connections = 0

  beforeAll(async () => {
    up = startFakeUpstream()
    r = await startRelay({ upstream: up, env: DEFAULT_POLICY })
    // Any connection counts: a webhook POST, a proxied request or a CONNECT tunnel.
    canary = createServer((socket) => {
      connections++
      socket.on('data', (d) => {
        received += d.toString('latin1')
        socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok')
      })
      socket.on('error', () => {})
    })
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve))
    canaryPort = (canary.address() as { port: number }).port
  })
  afterAll(async () => {
    await r.stop()
    up.stop()
    canary.close()
  })

  const spellings = () => [
    `http://x@y@127.0.0.1:${canaryPort}/`,
    `http://127.0.0.%31:${canaryPort}/`,
    `http://1\t27.0.0.1:${canaryPort}/`,
    `http://2130706433:${canaryPort}/`,
    `http://[::ffff:127.0.0.1]:${canaryPort}/`,
  ]

  test('webhook tests and saved webhooks: every spelling of loopback is refused and nothing is delivered', async () => {
    for (const url of spellings()) {
      const tested = await r.admin('POST', '/admin/webhook/test', { type: 'custom', url })
      expect({ url, status: tested.status }).toEqual({ url, status: 400 })
      expect(tested.json.error.message).toContain('outbound URL policy')
      const saved = await r.admin('POST', '/admin/webhook/platforms', { type: 'custom', url })
      expect({ url, status: saved.status }).toEqual({ url, status: 400 })
    }
    for (const apiBaseUrl of spellings()) {
      const tg = await r.admin('POST', '/admin/webhook/test', {
        type: 'telegram',
        botToken: '123:abc',
        chatId: '1',
        apiBaseUrl,
      })
      expect({ apiBaseUrl, status: tg.status }).toEqual({ apiBaseUrl, status: 400 })
    }
    expect(connections).toBe(0)
  })

  test('an account proxy host with userinfo (or anything but a hostname or IP) is refused at entry', async () => {
    for (const host of [
      'x@y@127.0.0.1',
      'a@10.0.0.1',
      '10.0.0.1:8080',
      '10.0.0.1/x',
      ' 10.0.0.1 x',
    ]) {
      const res = await r.admin('POST', '/admin/claude-console-accounts', {
        name: 'p',
        apiUrl: 'https://1.2.3.4/',
        apiKey: 'sk-test-proxy',
        proxy: { type: 'http', host, port: canaryPort },
      })
      expect({ host, status: res.status }).toEqual({ host, status: 400 })
      expect(res.json.error.message).toContain('proxy.host')
      const start = await r.admin('POST', '/admin/claude-accounts/generate-auth-url', {
        proxy: { type: 'http', host, port: canaryPort },
      })
      expect({ host, status: start.status }).toEqual({ host, status: 400 })
    }
    expect(connections).toBe(0)
  })

  test('a proxy host stored before it was refused never carries the account key anywhere', async () => {
    const account = await r.relay.services.accounts.create('claude-console', {
      name: 'legacy-proxy',
      apiUrl: 'http://1.2.3.4/',
      apiKey: 'sk-ant-legacy-proxy-key-0123456789',
      proxy: { type: 'http', host: 'x@y@127.0.0.1', port: canaryPort },
    } as never)
    const { key } = await r.createKey({ claudeConsoleAccountId: account.id })
    for (const path of ['/api/v1/messages']) {
      const res = await r.handle(
        new Request(`http://localhost${path}`, {
          method: 'POST',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: body(),
        }),
      )
      expect(res.status).toBeGreaterThanOrEqual(500)
      await res.text()
    }
    const tested = await r.handle(
      new Request(`http://localhost/admin/claude-console-accounts/${account.id}/test`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await r.adminToken()}` },
      }),
    )
    const sse = await tested.text()
    expect(sse).toContain('"success":false')
    expect(sse).toContain('not a hostname or an IP address')
    expect(connections).toBe(0)
    expect(received).not.toContain('sk-ant-legacy')
  })
})
