/**
 * Account admin API end to end: OAuth onboarding (PKCE, bare code and callback URL, one-time
 * sessions, through an HTTP proxy), setup tokens, forced refresh, profile and usage snapshots,
 * toggle and the streamed account test, groups with their delete guards and routing, the list
 * view, and the audit trail of every write.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import net from 'node:net'
import { pkceChallenge } from '../../src/accounts/onboarding.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let offset = 0
const clock = { now: () => Date.now() + offset }
const proxyStats = { requests: 0, connects: 0, unauthorized: 0 }
let proxy: http.Server
let proxyPort = 0
const PROXY_USER = 'px-user'
const PROXY_PASS = 'px:p@ss'

/** A counting HTTP forward proxy (absolute-form and CONNECT) with Basic auth. */
function startProxy(): http.Server {
  const ok = (h: string | undefined) =>
    h === `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASS}`).toString('base64')}`
  const server = http.createServer((req, res) => {
    proxyStats.requests++
    if (!ok(req.headers['proxy-authorization'])) {
      proxyStats.unauthorized++
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="t"', 'content-length': '0' })
      return void res.end()
    }
    const url = new URL(req.url ?? '')
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const upstream = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: req.method,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      },
    )
    upstream.on('error', () => res.destroy())
    req.pipe(upstream)
  })
  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    proxyStats.connects++
    if (!ok(req.headers['proxy-authorization'])) {
      proxyStats.unauthorized++
      return void client.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n',
      )
    }
    const [host, port] = (req.url ?? '').split(':')
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  return server
}

beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, clock })
  proxy = startProxy()
  await new Promise<void>((res) => proxy.listen(0, '127.0.0.1', () => res()))
  proxyPort = (proxy.address() as AddressInfo).port
})
afterAll(async () => {
  await r.stop()
  up.stop()
  proxy.closeAllConnections()
  proxy.close()
})
beforeEach(() => {
  up.reset()
  offset = 0
})

const ask = (model = 'claude-sonnet-4-5') => ({
  model,
  max_tokens: 32,
  messages: [{ role: 'user', content: 'Hi' }],
})

async function relay(key: string, body: unknown = ask()) {
  const res = await r.handle(
    new Request('http://localhost/api/v1/messages', {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  )
  return { status: res.status, json: (await res.json()) as any }
}

async function adminRaw(method: string, path: string, body?: unknown): Promise<Response> {
  return r.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await r.adminToken()}`,
        'content-type': 'application/json',
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    }),
  )
}

async function generate(path = 'generate-auth-url', body: unknown = {}) {
  const g = await r.admin('POST', `/admin/claude-accounts/${path}`, body)
  expect(g.status).toBe(200)
  expect(g.json.success).toBe(true)
  const url = new URL(g.json.data.authUrl)
  return { sessionId: g.json.data.sessionId as string, url, data: g.json.data }
}

function parseSse(text: string): { event: string; data: any }[] {
  return text
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? ''
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null'
      return { event, data: JSON.parse(data) }
    })
}

const TOKEN_RE = /code-access-|code-refresh-|fresh-access-|rotated-refresh-/

describe('OAuth onboarding', () => {
  test('full flow: URL → exchange (bare code, callback URL) → account relays → forced refresh rotates', async () => {
    const a = await generate()
    expect(a.url.origin + a.url.pathname).toBe('https://claude.ai/oauth/authorize')
    const p = a.url.searchParams
    expect(p.get('code')).toBe('true')
    expect(p.get('client_id')).toBe('9d1c250a-e61b-44d9-88ed-5944d1962f5e')
    expect(p.get('response_type')).toBe('code')
    expect(p.get('redirect_uri')).toBe('https://platform.claude.com/oauth/code/callback')
    expect(p.get('scope')!.split(' ')).toContain('user:profile')
    expect(p.get('code_challenge_method')).toBe('S256')
    expect(p.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(a.data.instructions.length).toBeGreaterThan(0)

    // Bare code, with the fragment and trailing params the callback page shows.
    const ex = await r.admin('POST', '/admin/claude-accounts/exchange-code', {
      sessionId: a.sessionId,
      authorizationCode: 'abcDEF123_-xyz#state-junk&foo=bar',
    })
    expect(ex.status).toBe(200)
    const oauth = ex.json.data.claudeAiOauth
    expect(oauth.accessToken).toMatch(/^code-access-/)
    expect(oauth.refreshToken).toMatch(/^code-refresh-/)
    expect(oauth.scopes).toContain('user:profile')
    expect(Math.abs(oauth.expiresAt - (Date.now() + 28_800_000))).toBeLessThan(5000)
    expect(oauth.extInfo).toEqual({ org_uuid: 'org-uuid-1', account_uuid: 'acct-uuid-1' })
    expect(typeof oauth.isMax).toBe('boolean')
    const sent = up.tokenRequests.at(-1)!
    expect(sent.grant_type).toBe('authorization_code')
    expect(sent.code).toBe('abcDEF123_-xyz')
    expect(sent.client_id).toBe('9d1c250a-e61b-44d9-88ed-5944d1962f5e')
    expect(sent.redirect_uri).toBe('https://platform.claude.com/oauth/code/callback')
    expect(sent.state).toBe(p.get('state'))
    expect(await pkceChallenge(String(sent.code_verifier))).toBe(p.get('code_challenge')!)
    expect(sent.expires_in).toBeUndefined()

    // The session is one-time.
    const again = await r.admin('POST', '/admin/claude-accounts/exchange-code', {
      sessionId: a.sessionId,
      authorizationCode: 'abcDEF123_-xyz',
    })
    expect(again.status).toBe(400)
    expect(again.json.error.message).toMatch(/unknown, expired or already used/)

    // Full callback URL, creating the account directly.
    const b = await generate()
    const cb = `https://platform.claude.com/oauth/code/callback?code=callbackCode12345&state=${b.url.searchParams.get('state')}`
    const ex2 = await r.admin('POST', '/admin/claude-accounts/exchange-code', {
      sessionId: b.sessionId,
      callbackUrl: cb,
      createAccount: true,
      name: 'onboarded',
      priority: 1,
    })
    expect(ex2.status).toBe(200)
    expect(up.tokenRequests.at(-1)!.code).toBe('callbackCode12345')
    expect(await pkceChallenge(String(up.tokenRequests.at(-1)!.code_verifier))).toBe(
      b.url.searchParams.get('code_challenge')!,
    )
    const access = ex2.json.data.claudeAiOauth.accessToken as string
    const refresh = ex2.json.data.claudeAiOauth.refreshToken as string
    const acct = ex2.json.data.account
    expect(acct.name).toBe('onboarded')
    expect(acct.hasRefreshToken).toBe(true)
    expect(acct.scopes).toContain('user:profile')
    expect(acct.subscriptionInfo.accountType).toBe('claude_max')
    expect(acct.extInfo.org_uuid).toBe('org-uuid-1')
    expect(JSON.stringify(acct)).not.toMatch(TOKEN_RE)

    const key = await r.createKey({ claudeAccountId: acct.id })
    const res = await relay(key.key)
    expect(res.status).toBe(200)
    expect(up.received.at(-1)!.account).toBe(access)

    const before = up.tokenRequests.length
    const rf = await r.admin('POST', `/admin/claude-accounts/${acct.id}/refresh`)
    expect(rf.status).toBe(200)
    expect(JSON.stringify(rf.json)).not.toMatch(TOKEN_RE)
    const refreshReq = up.tokenRequests[before]!
    expect(refreshReq.grant_type).toBe('refresh_token')
    expect(refreshReq.refresh_token).toBe(refresh)
    const stored = await r.relay.services.accounts.readEntry(acct.id)
    expect(stored!.secrets.refreshToken).toMatch(/^rotated-refresh-/)
    expect(stored!.secrets.accessToken).toMatch(/^fresh-access-/)
    const res2 = await relay(key.key)
    expect(res2.status).toBe(200)
    expect(up.received.at(-1)!.account).toBe(stored!.secrets.accessToken!)
    expect((await r.admin('DELETE', `/admin/claude-accounts/${acct.id}`)).status).toBe(200)
    const unbound = await r.admin('GET', `/admin/api-keys/${key.id}`)
    expect(unbound.json.data.claudeAccountId).toBe('')
  })

  test('bad input, state mismatch, upstream errors and expired sessions are refused', async () => {
    const a = await generate()
    const short = await r.admin('POST', '/admin/claude-accounts/exchange-code', {
      sessionId: a.sessionId,
      authorizationCode: 'short',
    })
    expect(short.status).toBe(400)
    // A malformed paste does not burn the session; a wrong state does.
    const wrong = await r.admin('POST', '/admin/claude-accounts/exchange-code', {
      sessionId: a.sessionId,
      callbackUrl: 'https://platform.claude.com/oauth/code/callback?code=abcdefghijkl&state=nope',
    })
    expect(wrong.status).toBe(400)
    expect(wrong.json.error.message).toMatch(/state does not match/)
    expect(up.tokenRequests.length).toBe(0)

    const b = await generate()
    const bad = await r.admin('POST', '/admin/claude-accounts/exchange-code', {
      sessionId: b.sessionId,
      authorizationCode: 'bad-code-123456',
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.message).toMatch(/^Cannot exchange code: token endpoint answered 400/)
    expect(bad.json.error.message).toMatch(/Invalid authorization code/)

    const c = await generate()
    offset = 11 * 60_000
    const late = await r.admin('POST', '/admin/claude-accounts/exchange-code', {
      sessionId: c.sessionId,
      authorizationCode: 'abcdefghijkl',
    })
    expect(late.status).toBe(400)
    expect(late.json.error.message).toMatch(/expired/)

    const unknown = await r.admin('POST', '/admin/claude-accounts/exchange-code', {
      sessionId: crypto.randomUUID(),
      authorizationCode: 'abcdefghijkl',
    })
    expect(unknown.status).toBe(400)
  })

  test("the exchange goes through the session's proxy", async () => {
    const before = proxyStats.requests + proxyStats.connects
    const a = await generate('generate-auth-url', {
      proxy: {
        type: 'http',
        host: '127.0.0.1',
        port: proxyPort,
        username: PROXY_USER,
        password: PROXY_PASS,
      },
    })
    const ex = await r.admin('POST', '/admin/claude-accounts/exchange-code', {
      sessionId: a.sessionId,
      authorizationCode: 'viaProxyCode123',
      createAccount: true,
      name: 'proxied',
    })
    expect(ex.status).toBe(200)
    expect(up.tokenRequests.at(-1)!.code).toBe('viaProxyCode123')
    expect(proxyStats.requests + proxyStats.connects).toBeGreaterThan(before)
    expect(proxyStats.unauthorized).toBe(0)
    // The created account keeps the session's proxy, shown without its password.
    const acct = ex.json.data.account
    expect(acct.proxy).toEqual({
      type: 'http',
      host: '127.0.0.1',
      port: proxyPort,
      username: PROXY_USER,
      hasPassword: true,
    })
    expect(JSON.stringify(acct)).not.toContain(PROXY_PASS)
    // Profile fetched at creation went through the proxy too.
    expect(up.oauthRequests.some((x) => x.path === '/api/oauth/profile')).toBe(true)
    await r.admin('DELETE', `/admin/claude-accounts/${acct.id}`)
  })

  test('setup token: inference scope, one-year expiry, no refresh token', async () => {
    const a = await generate('generate-setup-token-url')
    expect(a.url.searchParams.get('scope')).toBe('user:inference')
    // The normal exchange refuses a setup-token session.
    const mixed = await r.admin('POST', '/admin/claude-accounts/exchange-code', {
      sessionId: a.sessionId,
      authorizationCode: 'setupCode12345',
    })
    expect(mixed.status).toBe(400)
    const b = await generate('generate-setup-token-url')
    const ex = await r.admin('POST', '/admin/claude-accounts/exchange-setup-token-code', {
      sessionId: b.sessionId,
      authorizationCode: 'setupCode12345',
      createAccount: true,
      name: 'setup',
    })
    expect(ex.status).toBe(200)
    const sent = up.tokenRequests.at(-1)!
    expect(sent.expires_in).toBe(31_536_000)
    expect(sent.grant_type).toBe('authorization_code')
    const oauth = ex.json.data.claudeAiOauth
    expect(oauth.refreshToken).toBe('')
    expect(oauth.scopes).toEqual(['user:inference'])
    expect(Math.abs(oauth.expiresAt - (Date.now() + 31_536_000_000))).toBeLessThan(5000)
    const id = ex.json.data.account.id
    expect(ex.json.data.account.hasRefreshToken).toBe(false)
    expect(up.oauthRequests.length).toBe(0)

    const rf = await r.admin('POST', `/admin/claude-accounts/${id}/refresh`)
    expect(rf.status).toBe(400)
    expect(rf.json.error.message).toMatch(/no refresh token/)
    const prof = await r.admin('POST', `/admin/claude-accounts/${id}/update-profile`)
    expect(prof.status).toBe(400)
    expect(prof.json.error.message).toMatch(/user:profile/)
    const usage = await r.admin('GET', '/admin/claude-accounts/usage')
    expect(usage.json.data[id].status).toBe('skipped')
    expect(usage.json.data[id].reason).toMatch(/user:profile/)
    expect(up.oauthRequests.filter((x) => x.account === oauth.accessToken)).toEqual([])
    await r.admin('DELETE', `/admin/claude-accounts/${id}`)
  })
})

describe('profile and usage', () => {
  test('update-profile stores subscriptionInfo; usage stores windows shown in the list', async () => {
    const id = await r.createOAuthAccount('profiled', {
      claudeAiOauth: {
        accessToken: 'profiled',
        refreshToken: 'refresh-profiled',
        expiresAt: Date.now() + 3_600_000,
        scopes: ['user:inference', 'user:profile'],
      },
    })
    up.setProfile('profiled', {
      account: { email: 'pro@example.com', has_claude_max: false, has_claude_pro: true },
      organization: { organization_type: 'claude_pro', rate_limit_tier: 'default_claude_pro' },
    })
    const p = await r.admin('POST', `/admin/claude-accounts/${id}/update-profile`)
    expect(p.status).toBe(200)
    const info = p.json.data.subscriptionInfo
    expect(info).toMatchObject({
      email: 'pro@example.com',
      hasClaudeMax: false,
      hasClaudePro: true,
      accountType: 'claude_pro',
      organizationType: 'claude_pro',
      rateLimitTier: 'default_claude_pro',
    })
    const call = up.oauthRequests.at(-1)!
    expect(call.path).toBe('/api/oauth/profile')
    expect(call.headers.authorization).toBe('Bearer profiled')
    expect(call.headers['anthropic-beta']).toBe('oauth-2025-04-20')

    const u = await r.admin('GET', '/admin/claude-accounts/usage')
    expect(u.status).toBe(200)
    expect(u.json.data[id].status).toBe('updated')
    expect(up.oauthRequests.at(-1)!.path).toBe('/api/oauth/usage')

    const list = await r.admin('GET', '/admin/claude-accounts')
    const mine = list.json.data.find((a: any) => a.id === id)
    expect(mine.subscriptionInfo.accountType).toBe('claude_pro')
    expect(mine.usageWindows.fiveHour).toEqual({
      utilization: 42,
      resetsAt: '2030-01-01T05:00:00.000Z',
    })
    expect(mine.usageWindows.sevenDay.utilization).toBe(17.5)
    expect(mine.usageWindows.sevenDayOpus.utilization).toBe(3)
    expect(typeof mine.usageWindows.updatedAt).toBe('string')
    await r.admin('DELETE', `/admin/claude-accounts/${id}`)
  })
})

describe('toggle and test', () => {
  test('toggle flips schedulable on both platforms', async () => {
    const c = await r.createConsoleAccount('toggle-console')
    const o = await r.createOAuthAccount('toggle-oauth')
    for (const [path, id] of [
      ['claude-console-accounts', c],
      ['claude-accounts', o],
    ] as const) {
      const t1 = await r.admin('PUT', `/admin/${path}/${id}/toggle`)
      expect(t1.status).toBe(200)
      expect(t1.json.data.schedulable).toBe(false)
      const one = await r.admin('GET', `/admin/${path}/${id}`)
      expect(one.json.data.schedulable).toBe(false)
      const t2 = await r.admin('PUT', `/admin/${path}/${id}/toggle`)
      expect(t2.json.data.schedulable).toBe(true)
    }
    await r.admin('DELETE', `/admin/claude-console-accounts/${c}`)
    await r.admin('DELETE', `/admin/claude-accounts/${o}`)
  })

  test('test streams the upstream events and a final test_complete, to that account only', async () => {
    await r.createConsoleAccount('other-console', { priority: 1 })
    const c = await r.createConsoleAccount('tested-console', { priority: 50 })
    const res = await adminRaw('POST', `/admin/claude-console-accounts/${c}/test`, {})
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/event-stream')
    const events = parseSse(await res.text())
    expect(events[0]!.event).toBe('message_start')
    expect(events.some((e) => e.event === 'content_block_delta')).toBe(true)
    const done = events.at(-1)!
    expect(done.event).toBe('test_complete')
    expect(done.data.success).toBe(true)
    expect(done.data.status).toBe(200)
    expect(done.data.text).toContain('Hello from tested-console')
    expect(typeof done.data.latencyMs).toBe('number')
    expect(up.received.map((x) => x.account)).toEqual(['tested-console'])
    const sent = up.received[0]!
    expect(sent.body.model).toBe('claude-haiku-4-5')
    expect(sent.body.max_tokens).toBe(20)
    expect(sent.body.stream).toBe(true)

    up.script('tested-console', { kind: 'error', status: 500 })
    const bad = await adminRaw('POST', `/admin/claude-console-accounts/${c}/test`, {
      model: 'claude-sonnet-4-5',
    })
    const badEvents = parseSse(await bad.text())
    const fail = badEvents.at(-1)!
    expect(fail.event).toBe('test_complete')
    expect(fail.data.success).toBe(false)
    expect(fail.data.status).toBe(500)
    expect(fail.data.error).toBe('scripted 500')
    expect(up.received.at(-1)!.body.model).toBe('claude-sonnet-4-5')
    for (const a of await r.relay.services.accounts.list())
      if (a.platform === 'claude-console') await r.relay.services.accounts.remove(a.id)
  })

  test('OAuth test uses the Bearer token, OAuth beta and Claude Code system prompt', async () => {
    const o = await r.createOAuthAccount('tested-oauth')
    const res = await adminRaw('POST', `/admin/claude-accounts/${o}/test`)
    const events = parseSse(await res.text())
    expect(events.at(-1)!.data.success).toBe(true)
    const sent = up.received.at(-1)!
    expect(sent.account).toBe('tested-oauth')
    expect(sent.headers['anthropic-beta']).toContain('oauth-2025-04-20')
    expect(JSON.stringify(sent.body.system)).toContain('Claude Code')
    await r.admin('DELETE', `/admin/claude-accounts/${o}`)
  })
})

describe('groups', () => {
  test('CRUD, membership, delete guards, binding counts and group routing', async () => {
    const g = await r.admin('POST', '/admin/account-groups', {
      name: 'team-a',
      platform: 'claude',
      description: 'A team',
    })
    expect(g.status).toBe(200)
    const gid = g.json.data.id as string
    expect(
      (await r.admin('POST', '/admin/account-groups', { name: 'x', platform: 'nope' })).status,
    ).toBe(400)
    expect(
      (await r.admin('GET', '/admin/account-groups?platform=claude')).json.data.map(
        (x: any) => x.id,
      ),
    ).toContain(gid)
    expect((await r.admin('GET', '/admin/account-groups?platform=gemini')).json.data).toEqual([])
    const put = await r.admin('PUT', `/admin/account-groups/${gid}`, { description: 'Team A' })
    expect(put.json.data.description).toBe('Team A')
    expect(put.json.data.name).toBe('team-a')

    const a1 = await r.createConsoleAccount('grp-a1', { groupIds: [gid], priority: 50 })
    const a2 = await r.createConsoleAccount('grp-a2', { priority: 50 })
    const outside = await r.createConsoleAccount('grp-outside', { priority: 1 })
    const badGroup = await r.admin('POST', '/admin/claude-console-accounts', {
      name: 'x',
      apiUrl: up.url,
      apiKey: 'x',
      groupId: 'no-such-group',
    })
    expect(badGroup.status).toBe(400)
    // A group of another platform is refused on create and on edit, as by the members route.
    const gemini = (
      await r.admin('POST', '/admin/account-groups', { name: 'g', platform: 'gemini' })
    ).json.data.id
    const crossCreate = await r.admin('POST', '/admin/claude-console-accounts', {
      name: 'cross',
      apiUrl: up.url,
      apiKey: 'x',
      groupIds: [gemini],
    })
    expect(crossCreate.status).toBe(400)
    expect(crossCreate.json.error.message).toContain('gemini group')
    const crossEdit = await r.admin('PUT', `/admin/claude-console-accounts/${a2}`, {
      groupIds: [gemini],
    })
    expect(crossEdit.status).toBe(400)
    await r.admin('DELETE', `/admin/account-groups/${gemini}`)

    const set = await r.admin('PUT', `/admin/account-groups/${gid}/members`, {
      accountIds: [a1, a2],
    })
    expect(set.status).toBe(200)
    expect(set.json.data.accountIds.sort()).toEqual([a1, a2].sort())
    const members = await r.admin('GET', `/admin/account-groups/${gid}/members`)
    expect(members.json.data.map((a: any) => a.name).sort()).toEqual(['grp-a1', 'grp-a2'])
    expect(members.json.data[0].groupInfos).toEqual([{ id: gid, name: 'team-a' }])

    const key = await r.createKey({ claudeAccountId: `group:${gid}` })
    for (let i = 0; i < 4; i++) {
      const body = { ...ask(), messages: [{ role: 'user', content: `Hi ${i}` }] }
      expect((await relay(key.key, body)).status).toBe(200)
    }
    const seen = new Set(up.received.map((x) => x.account))
    expect([...seen].sort()).toEqual(['grp-a1', 'grp-a2'])
    const plain = await r.createKey()
    await relay(plain.key)
    expect(up.received.at(-1)!.account).toBe('grp-outside')

    const counts = await r.admin('GET', '/admin/accounts/binding-counts')
    expect(counts.json.data[gid]).toBe(1)

    const del1 = await r.admin('DELETE', `/admin/account-groups/${gid}`)
    expect(del1.status).toBe(409)
    expect(del1.json.error.message).toMatch(/member account/)
    await r.admin('PUT', `/admin/account-groups/${gid}/members`, { accountIds: [] })
    const del2 = await r.admin('DELETE', `/admin/account-groups/${gid}`)
    expect(del2.status).toBe(409)
    expect(del2.json.error.message).toMatch(/API key/)
    await r.admin('PUT', `/admin/api-keys/${key.id}`, { claudeAccountId: '' })
    const del3 = await r.admin('DELETE', `/admin/account-groups/${gid}`)
    expect(del3.status).toBe(200)
    expect((await r.admin('GET', `/admin/account-groups/${gid}`)).status).toBe(404)
    for (const id of [a1, a2, outside])
      await r.admin('DELETE', `/admin/claude-console-accounts/${id}`)
  })
})

describe('account list', () => {
  test('health, recoversAt, bound keys and no secrets', async () => {
    const o = await r.createOAuthAccount('listed-oauth', {
      proxy: {
        type: 'socks5',
        host: '127.0.0.1',
        port: 1,
        username: 'u',
        password: 'proxy-secret-pw',
      },
    })
    const c = await r.createConsoleAccount('listed-console', { apiKey: 'sk-ant-console-secret' })
    const key = await r.createKey({ claudeConsoleAccountId: c })
    up.script('sk-ant-console-secret', {
      kind: 'error',
      status: 429,
      headers: { 'retry-after': '120' },
    })
    const res = await relay(key.key)
    expect(res.status).toBe(429)

    const list = await r.admin('GET', '/admin/claude-console-accounts')
    const mine = list.json.data.find((a: any) => a.id === c)
    expect(mine.boundKeys).toBe(1)
    expect(mine.hasApiKey).toBe(true)
    expect(mine.state.rateLimitedUntil).toBeGreaterThan(Date.now())
    expect(Math.abs(Date.parse(mine.recoversAt) - (Date.now() + 120_000))).toBeLessThan(5000)
    expect(mine.secret).toBeUndefined()
    const oauthList = await r.admin('GET', '/admin/claude-accounts')
    const oa = oauthList.json.data.find((a: any) => a.id === o)
    expect(oa.recoversAt).toBeNull()
    expect(oa.state.status).toBe('active')
    expect(oa.hasRefreshToken).toBe(true)
    expect(oa.proxy).toEqual({
      type: 'socks5',
      host: '127.0.0.1',
      port: 1,
      username: 'u',
      hasPassword: true,
    })
    const text = JSON.stringify([list.json, oauthList.json])
    for (const s of ['sk-ant-console-secret', 'refresh-listed-oauth', 'proxy-secret-pw'])
      expect(text).not.toContain(s)
    await r.admin('DELETE', `/admin/claude-console-accounts/${c}`)
    await r.admin('DELETE', `/admin/claude-accounts/${o}`)
    const counts = await r.admin('GET', '/admin/accounts/binding-counts')
    expect(counts.json.data[c]).toBeUndefined()
  })
})

describe('audit', () => {
  test('every write route left an audit entry without tokens', async () => {
    const o = await r.createOAuthAccount('audited')
    await r.admin('PUT', `/admin/claude-accounts/${o}`, { description: 'x' })
    await r.admin('POST', `/admin/claude-accounts/${o}/reset-status`)
    await r.admin('DELETE', `/admin/claude-accounts/${o}`)
    await r.relay.services.audit.flush()
    const entries = await r.relay.stores.settings.listAudit({ limit: 1000 })
    const actions = new Set(entries.map((e) => e.action))
    for (const a of [
      'account.oauth.start',
      'account.oauth.exchange',
      'account.setup_token.start',
      'account.setup_token.exchange',
      'account.create',
      'account.update',
      'account.delete',
      'account.reset_status',
      'account.refresh',
      'account.toggle',
      'account.test',
      'account.profile.update',
      'account.usage.sync',
      'group.create',
      'group.update',
      'group.members',
      'group.delete',
    ])
      expect(actions).toContain(a)
    expect(
      [...actions]
        .filter((a) => a.startsWith('POST ') || a.startsWith('PUT ') || a.startsWith('DELETE '))
        .filter((a) => a.includes('account')),
    ).toEqual([])
    const text = JSON.stringify(entries.map((e) => [e.before, e.after]))
    expect(text).not.toMatch(TOKEN_RE)
    expect(text).not.toContain('refresh-audited')
    expect(text).not.toContain(PROXY_PASS)
    expect(text).not.toContain('proxy-secret-pw')
  })
})
