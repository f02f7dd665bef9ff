/**
 * Secrets never leak: a relay with a known client key, console account key, OAuth access and
 * refresh tokens, admin password, JWT secret, encryption key and metrics token. Every log line
 * (debug level) is captured while successful and failing requests, admin logins, history,
 * metrics, error bodies and the OpenAPI document are exercised; none of the secrets, nor
 * recognisable pieces of them, may appear in a log line, a response of those routes, a stored
 * history record (headers and bodies included) or a metrics label.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { buildRelay, type Relay } from '../../src/bootstrap.ts'
import { loadConfig } from '../../src/config/load.ts'
import { createLogger } from '../../src/core/log.ts'
import { bunPasswordHasher, openBunSqlite } from '../../src/runtime/bun.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'

/** Unique random material per secret, so a fragment can only come from that secret. */
const rnd = (n: number) => crypto.randomUUID().replaceAll('-', '').slice(0, n)
const SECRETS = {
  consoleKey: `sk-ant-api03-${rnd(32)}${rnd(32)}-${rnd(8)}`,
  oauthAccess: `sk-ant-oat01-${rnd(32)}${rnd(32)}`,
  oauthRefresh: `sk-ant-ort01-${rnd(32)}${rnd(32)}`,
  adminPassword: `Adm1n-${rnd(24)}`,
  jwtSecret: `jwt-${rnd(32)}${rnd(16)}`,
  encryptionKey: `enc-${rnd(32)}${rnd(16)}`,
  metricsToken: `metrics-${rnd(32)}`,
}
const OK = { kind: 'ok' as const, text: 'Hello there' }

/** The secret and recognisable pieces of it (the 20 characters after a known prefix, the tail). */
function fragments(secret: string): string[] {
  const prefix = /^(cr_|sk-ant-[a-z]{3}\d\d-)/.exec(secret)?.[0] ?? ''
  const out = new Set([secret, secret.slice(prefix.length, prefix.length + 20), secret.slice(-16)])
  return [...out].filter((f) => f.length >= 12)
}

describe('secrets never leak', () => {
  let up: FakeUpstream
  let relay: Relay
  let clientKey = ''
  let clientKeyId = ''
  let adminToken = ''
  const logs: string[] = []
  /** Every response text seen, with what produced it. */
  const seen: { what: string; text: string }[] = []

  const handle = async (what: string, request: Request) => {
    const res = await relay.app.handle(request)
    const text = await res.text()
    const headers = [...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')
    seen.push({ what, text: `${headers}\n\n${text}` })
    return {
      status: res.status,
      text,
      json: (() => {
        try {
          return JSON.parse(text)
        } catch {
          return null
        }
      })() as any,
    }
  }
  const admin = (method: string, path: string, body?: unknown) =>
    handle(
      `${method} ${path}`,
      new Request(`http://localhost${path}`, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    )
  const message = (what: string, key: string, extra: Record<string, string> = {}, stream = false) =>
    handle(
      what,
      new Request('http://localhost/api/v1/messages', {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json', ...extra },
        body: JSON.stringify({
          model: 'claude-sonnet-4-6',
          max_tokens: 5,
          stream,
          messages: [{ role: 'user', content: 'hello there' }],
        }),
      }),
    )

  beforeAll(async () => {
    up = startFakeUpstream()
    const config = loadConfig({
      CLAUDE_API_URL: up.messagesUrl,
      CLAUDE_OAUTH_TOKEN_URL: up.tokenUrl,
      UPSTREAM_ALLOW_HOSTS: '127.0.0.1',
      METRICS_TOKEN: SECRETS.metricsToken,
      LOG_LEVEL: 'debug',
    })
    relay = await buildRelay({
      config,
      secrets: {
        jwtSecret: SECRETS.jwtSecret,
        encryptionKey: SECRETS.encryptionKey,
        adminUsername: 'admin',
        adminPassword: SECRETS.adminPassword,
        adminPasswordFromFile: false,
      },
      stores: createSqliteStores(openBunSqlite(':memory:')),
      logger: createLogger({ level: 'debug', sink: { write: (l) => logs.push(l) } }),
      hasher: bunPasswordHasher,
    })

    // Admin login: a near miss first, then the real password.
    const fail = await handle(
      'login (wrong password)',
      new Request('http://localhost/web/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: `${SECRETS.adminPassword}x` }),
      }),
    )
    expect(fail.status).toBe(401)
    const ok = await relay.app.handle(
      new Request('http://localhost/web/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'admin', password: SECRETS.adminPassword }),
      }),
    )
    expect(ok.status).toBe(200)
    adminToken = ((await ok.json()) as { token: string }).token

    const consoleAcct = await admin('POST', '/admin/claude-console-accounts', {
      name: 'console',
      apiUrl: up.url,
      apiKey: SECRETS.consoleKey,
      priority: 1,
    })
    expect(consoleAcct.status).toBe(200)
    const oauthAcct = await admin('POST', '/admin/claude-accounts', {
      name: 'oauth',
      claudeAiOauth: {
        accessToken: SECRETS.oauthAccess,
        refreshToken: SECRETS.oauthRefresh,
        expiresAt: Date.now() + 3_600_000,
        scopes: ['user:inference'],
      },
      priority: 2,
    })
    expect(oauthAcct.status).toBe(200)
    const key = await relay.app.handle(
      new Request('http://localhost/admin/api-keys', {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'client' }),
      }),
    )
    const keyJson = (await key.json()) as any
    clientKey = keyJson.data.apiKey
    clientKeyId = keyJson.data.id
    expect(clientKey).toMatch(/^cr_/)

    // The fake upstream echoes the credential in its default answer: answer plain text instead.
    up.script('*', OK)
    up.script(SECRETS.consoleKey, OK)
    up.script(SECRETS.oauthAccess, OK)
    // Successful requests, streamed and not, with the key in either header.
    expect((await message('ok', clientKey)).status).toBe(200)
    expect((await message('ok stream', clientKey, {}, true)).status).toBe(200)
    const bearer = await handle(
      'ok bearer',
      new Request('http://localhost/v1/messages/count_tokens', {
        method: 'POST',
        headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-6',
          messages: [{ role: 'user', content: 'x' }],
        }),
      }),
    )
    expect(bearer.status).toBe(200)
    // Failing upstreams: 401 and 500 from both accounts (error bodies echo nothing secret).
    up.script(
      SECRETS.consoleKey,
      { kind: 'error', status: 401 },
      { kind: 'error', status: 500 },
      OK,
    )
    up.script(SECRETS.oauthAccess, { kind: 'error', status: 500 }, OK)
    await message('upstream failures', clientKey)
    await message('upstream failures 2', clientKey)
    await admin('POST', `/admin/claude-console-accounts/${consoleAcct.json.data.id}/reset-status`)
    await admin('POST', `/admin/claude-accounts/${oauthAcct.json.data.id}/reset-status`)
    // Bad keys: unknown, a one-character typo of the real key, a truncated one, garbage.
    const typo = clientKey.slice(0, -1) + (clientKey.endsWith('0') ? '1' : '0')
    for (const [what, k] of [
      ['typo key', typo],
      ['truncated key', clientKey.slice(0, 30)],
      ['unknown key', `cr_${'ab'.repeat(32)}`],
      ['garbage key', 'not-a-key'],
    ] as const) {
      const res = await message(what, k)
      expect({ what, status: res.status }).toEqual({ what, status: 401 })
    }
    // Key-holder and public views.
    for (const path of [
      '/api/v1/key-info',
      '/api/v1/usage',
      '/api/v1/request-history',
      '/api/v1/request-stats',
      '/api/v1/models',
      '/claude/v1/me',
    ])
      await handle(
        path,
        new Request(`http://localhost${path}`, { headers: { 'x-api-key': clientKey } }),
      )
    await handle(
      'user-stats',
      new Request('http://localhost/apiStats/api/user-stats', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ apiKey: clientKey }),
      }),
    )
    await relay.services.history.flush()
  })
  afterAll(async () => {
    await relay.close()
    up.stop()
  })

  function allSecrets(): [string, string][] {
    return [
      ...Object.entries(SECRETS),
      ['clientKey', clientKey],
      ['clientKey (typo variant)', clientKey.slice(0, -1)],
    ]
  }

  function leaks(where: string, text: string): string[] {
    const out: string[] = []
    for (const [name, secret] of allSecrets())
      for (const f of fragments(secret))
        if (text.includes(f)) out.push(`${where}: ${name} (${f.slice(0, 8)}…)`)
    return out
  }

  test('history (admin and key-holder routes, list and detail) shows no secret', async () => {
    const list = await admin('GET', '/admin/request-history?limit=100')
    expect(list.status).toBe(200)
    const items = (list.json.data?.items ??
      list.json.data?.history ??
      list.json.data ??
      []) as any[]
    expect(Array.isArray(items) ? items.length : 0).toBeGreaterThan(4)
    for (const item of items) {
      await admin('GET', `/admin/request-history/${item.id ?? item.requestId}`)
      await handle(
        'client history detail',
        new Request(`http://localhost/api/v1/request-history/${item.id ?? item.requestId}`, {
          headers: { 'x-api-key': clientKey },
        }),
      )
    }
    await admin('GET', '/admin/request-history/export?format=json')
    await admin('GET', '/admin/request-history/export?format=csv')
    const found = seen.flatMap((s) => leaks(s.what, s.text))
    expect(found).toEqual([])
  })

  test('stored history records (request headers and bodies included) hold no secret', async () => {
    const page = await relay.services.history.query({}, { limit: 500, offset: 0 })
    expect(page.items.length).toBeGreaterThan(4)
    const found: string[] = []
    for (const item of page.items) {
      const full = await relay.services.history.get(item.id)
      found.push(...leaks(`history ${item.id}`, JSON.stringify(full)))
    }
    expect(found).toEqual([])
  })

  test('admin views, audit log, metrics and the OpenAPI document hold no secret', async () => {
    const before = seen.length
    for (const path of [
      '/admin/claude-accounts',
      '/admin/claude-console-accounts',
      '/admin/api-keys',
      `/admin/api-keys/${clientKeyId}`,
      '/admin/audit-log?limit=500',
      '/admin/dashboard',
      '/admin/webhook/config',
    ])
      await admin('GET', path)
    const metrics = await handle(
      'metrics',
      new Request('http://localhost/metrics', {
        headers: { authorization: `Bearer ${SECRETS.metricsToken}` },
      }),
    )
    expect(metrics.status).toBe(200)
    expect(metrics.text).toContain('# TYPE')
    const badMetrics = await handle(
      'metrics (wrong token)',
      new Request('http://localhost/metrics', {
        headers: { authorization: `Bearer ${SECRETS.metricsToken.slice(0, -1)}x` },
      }),
    )
    expect(badMetrics.status).toBe(401)
    await handle('openapi json', new Request('http://localhost/openapi/json'))
    await handle('openapi ui', new Request('http://localhost/openapi'))
    await handle('404', new Request(`http://localhost/nope/${clientKey.slice(0, 10)}`))
    const found = seen.slice(before).flatMap((s) => leaks(s.what, s.text))
    expect(found).toEqual([])
  })

  test('no log line contains a secret or a recognisable piece of one', () => {
    expect(logs.length).toBeGreaterThan(3)
    const found = logs.flatMap((l, i) => leaks(`log line ${i}`, l))
    expect(found).toEqual([])
  })

  test('an upstream error body that echoes the account key is not passed to the client verbatim', async () => {
    const echo = (secret: string) => ({
      type: 'error',
      error: { type: 'invalid_request_error', message: `bad request for credential ${secret}` },
    })
    up.script(SECRETS.consoleKey, { kind: 'error', status: 400, body: echo(SECRETS.consoleKey) })
    up.script(SECRETS.oauthAccess, { kind: 'error', status: 400, body: echo(SECRETS.oauthAccess) })
    const res = await message('upstream echo', clientKey)
    expect(res.status).toBe(400)
    expect(leaks('echoed error body', res.text)).toEqual([])
    await relay.services.history.flush()
    const page = await relay.services.history.query({}, { limit: 5, offset: 0 })
    const full = await relay.services.history.get(page.items[0]!.id)
    expect(leaks('echoed error history', JSON.stringify(full))).toEqual([])
    expect(logs.flatMap((l, i) => leaks(`log line ${i}`, l))).toEqual([])
  })
})
