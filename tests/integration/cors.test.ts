/**
 * CORS: off by default; CORS_ORIGINS enables it for the client API routes only, echoing listed
 * origins (or `*`), answering preflights with methods and SDK headers, never with credentials.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const CLIENT_PATHS = [
  '/api/v1/messages',
  '/claude/v1/messages',
  '/v1/messages',
  '/openai/claude/v1/chat/completions',
]

function preflight(r: TestRelay, path: string, origin: string) {
  return r.handle(
    new Request(`http://localhost${path}`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers':
          'x-api-key, content-type, anthropic-version, x-stainless-os',
      },
    }),
  )
}

function corsHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of res.headers) if (k.startsWith('access-control-')) out[k] = v
  return out
}

describe('CORS', () => {
  let up: FakeUpstream
  const relays: TestRelay[] = []
  const start = async (env: Record<string, string> = {}) => {
    const r = await startRelay({ upstream: up, env })
    relays.push(r)
    return r
  }
  beforeAll(() => {
    up = startFakeUpstream()
  })
  afterAll(async () => {
    for (const r of relays) await r.stop()
    up.stop()
  })

  async function send(r: TestRelay, key: string, origin: string) {
    return r.handle(
      new Request('http://localhost/api/v1/messages', {
        method: 'POST',
        headers: { origin, 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'claude-sonnet-4-6',
          max_tokens: 5,
          messages: [{ role: 'user', content: 'hi' }],
        }),
      }),
    )
  }

  test('off by default: no Access-Control-* headers on preflights or responses', async () => {
    const r = await start()
    await r.createConsoleAccount('cors-off')
    const { key } = await r.createKey()
    for (const path of CLIENT_PATHS) {
      const res = await preflight(r, path, 'https://app.example')
      expect(corsHeaders(res)).toEqual({})
    }
    const res = await send(r, key, 'https://app.example')
    expect(res.status).toBe(200)
    expect(corsHeaders(res)).toEqual({})
  })

  test('CORS_ORIGINS list: allowed origins echoed on client routes, others not, admin never', async () => {
    const r = await start({ CORS_ORIGINS: 'https://app.example, https://other.example/' })
    await r.createConsoleAccount('cors-list')
    const { key } = await r.createKey()
    for (const path of CLIENT_PATHS) {
      const res = await preflight(r, path, 'https://app.example')
      expect(res.status).toBe(204)
      const h = corsHeaders(res)
      expect(h['access-control-allow-origin']).toBe('https://app.example')
      expect(h['access-control-allow-methods']).toContain('POST')
      for (const name of [
        'x-api-key',
        'authorization',
        'content-type',
        'anthropic-version',
        'anthropic-beta',
        'x-stainless-os',
      ])
        expect(h['access-control-allow-headers']).toContain(name)
      expect(h['access-control-allow-credentials']).toBeUndefined()
      expect(res.headers.get('vary')).toContain('Origin')
    }
    expect(
      corsHeaders(await preflight(r, '/api/v1/messages', 'https://other.example'))[
        'access-control-allow-origin'
      ],
    ).toBe('https://other.example')
    const denied = await preflight(r, '/api/v1/messages', 'https://evil.example')
    expect(corsHeaders(denied)).toEqual({})

    const ok = await send(r, key, 'https://app.example')
    expect(ok.status).toBe(200)
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example')
    expect(ok.headers.get('access-control-expose-headers')).toContain('request-id')
    const other = await send(r, key, 'https://evil.example')
    expect(other.headers.get('access-control-allow-origin')).toBeNull()
    const bad = await send(r, 'cr_wrong', 'https://app.example')
    expect(bad.status).toBe(401)
    expect(bad.headers.get('access-control-allow-origin')).toBe('https://app.example')

    for (const path of ['/admin/api-keys', '/web/auth/login', '/health', '/metrics']) {
      const res = await preflight(r, path, 'https://app.example')
      expect({ path, cors: corsHeaders(res) }).toEqual({ path, cors: {} })
    }
    const admin = await r.handle(
      new Request('http://localhost/admin/api-keys', {
        headers: { origin: 'https://app.example', authorization: `Bearer ${await r.adminToken()}` },
      }),
    )
    expect(admin.status).toBe(200)
    expect(corsHeaders(admin)).toEqual({})
  })

  test('CORS_ORIGINS=* allows any origin without credentials', async () => {
    const r = await start({ CORS_ORIGINS: '*' })
    await r.createConsoleAccount('cors-any')
    const { key } = await r.createKey()
    const res = await preflight(r, '/v1/messages', 'https://anything.example')
    expect(res.status).toBe(204)
    expect(res.headers.get('access-control-allow-origin')).toBe('*')
    expect(res.headers.get('access-control-allow-credentials')).toBeNull()
    const ok = await send(r, key, 'https://anything.example')
    expect(ok.status).toBe(200)
    expect(ok.headers.get('access-control-allow-origin')).toBe('*')
    expect(ok.headers.get('access-control-allow-credentials')).toBeNull()
    const admin = await preflight(r, '/admin/api-keys', 'https://anything.example')
    expect(corsHeaders(admin)).toEqual({})
  })
})
