/**
 * Work done before authentication: admin routes check the session before reading a body, and
 * every route Elysia parses has its own body limit (sign-in 8 KB, admin writes 1 MB, key-holder
 * statistics 16 KB) and a nesting limit, declared or streamed. The memory test runs the real
 * service: 16 concurrent 31 MB POSTs without a token used to take its RSS from ~70 MB to ~660 MB.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { BODY_LIMITS, jsonDepth, MAX_JSON_DEPTH } from '../../src/http/body-limit.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { type RelayProcess, rssOf, spawnRelay } from '../helpers/process.ts'
import { ADMIN, startRelay, type TestRelay } from '../helpers/relay.ts'

/** A streamed body (no content-length) that records whether anyone read it. */
function watchedBody(bytes: number) {
  const state = { pulled: 0 }
  const chunk = new Uint8Array(64 * 1024).fill(0x20)
  let sent = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulled++
      if (sent >= bytes) return controller.close()
      sent += chunk.byteLength
      controller.enqueue(chunk)
    },
  })
  return { stream, state }
}

const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`

describe('body limits and the session before the body (in process)', () => {
  let up: FakeUpstream
  let r: TestRelay
  beforeAll(async () => {
    up = startFakeUpstream()
    r = await startRelay({ upstream: up })
  })
  afterAll(async () => {
    await r.stop()
    up.stop()
  })

  const post = (path: string, body: RequestInit['body'], headers: Record<string, string> = {}) =>
    r.handle(
      new Request(`http://localhost${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
        duplex: 'half',
      } as RequestInit),
    )

  test('an admin write without a valid session is refused before its body is read', async () => {
    for (const auth of [undefined, 'Bearer nope', 'Bearer a.b.c']) {
      const { stream, state } = watchedBody(4 * 1024 * 1024)
      const res = await post('/admin/api-keys', stream, auth ? { authorization: auth } : {})
      expect({ auth, status: res.status }).toEqual({ auth, status: 401 })
      expect(((await res.json()) as any).error.type).toBe('authentication_error')
      // A ReadableStream pulls once to fill its queue when created; nothing read past that.
      expect(state.pulled).toBeLessThanOrEqual(1)
    }
    const { stream, state } = watchedBody(1024)
    const pw = await post('/web/auth/change-password', stream)
    expect(pw.status).toBe(401)
    expect(state.pulled).toBeLessThanOrEqual(1)
  })

  test('sign-in bodies are limited to a few KB, declared or streamed', async () => {
    const big = JSON.stringify({ username: 'admin', password: 'x'.repeat(BODY_LIMITS.signIn) })
    const declared = await post('/web/auth/login', big)
    expect(declared.status).toBe(413)
    expect(((await declared.json()) as any).error.type).toBe('request_too_large')
    const { stream } = watchedBody(256 * 1024)
    expect((await post('/web/auth/login', stream)).status).toBe(413)
    const ok = await post('/web/auth/login', JSON.stringify(ADMIN))
    expect(ok.status).toBe(200)
  })

  test('admin writes are limited to 1 MB; a body just under it is read', async () => {
    const token = await r.adminToken()
    const auth = { authorization: `Bearer ${token}` }
    const over = JSON.stringify({ name: 'big', description: 'x'.repeat(BODY_LIMITS.admin) })
    const res = await post('/admin/api-keys', over, auth)
    expect(res.status).toBe(413)
    expect(((await res.json()) as any).error.message).toContain(String(BODY_LIMITS.admin))
    const { stream } = watchedBody(BODY_LIMITS.admin + 128 * 1024)
    expect((await post('/admin/api-keys', stream, auth)).status).toBe(413)
    const under = JSON.stringify({
      name: 'under',
      description: 'x'.repeat(BODY_LIMITS.admin - 100),
    })
    const made = await post('/admin/api-keys', under, auth)
    expect(made.status).toBe(200)
  })

  test('key-holder statistics bodies are limited too', async () => {
    const res = await post(
      '/apiStats/api/user-stats',
      JSON.stringify({ apiKey: 'x'.repeat(BODY_LIMITS.public) }),
    )
    expect(res.status).toBe(413)
  })

  test('deeply nested JSON is a 4xx, never a stack overflow', async () => {
    const token = await r.adminToken()
    const deepLogin = `{"username":${nested(200_000)},"password":"x"}`
    expect((await post('/web/auth/login', deepLogin)).status).toBe(413)
    const smallDeep = `{"username":${nested(2000)},"password":"x"}`
    const login = await post('/web/auth/login', smallDeep)
    expect(login.status).toBe(400)
    expect(((await login.json()) as any).error.message).toContain('nested deeper')
    const admin = await post('/admin/api-keys', `{"name":"d","tags":${nested(200_000)}}`, {
      authorization: `Bearer ${token}`,
    })
    expect(admin.status).toBe(400)
    const ok = `{"name":"shallow","tags":["a"],"x":${nested(MAX_JSON_DEPTH - 1)}}`
    expect(
      (await post('/admin/api-keys', ok, { authorization: `Bearer ${token}` })).status,
    ).toBeLessThan(500)
  })

  test('a body type the admin API does not read is a 415; no content type means no body', async () => {
    const token = await r.adminToken()
    const res = await post('/admin/api-keys', 'a=b', {
      authorization: `Bearer ${token}`,
      'content-type': 'multipart/form-data; boundary=x',
    })
    expect(res.status).toBe(415)
    const none = await r.handle(
      new Request('http://localhost/admin/api-keys', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: '{"name":"n"}',
      }),
    )
    expect(none.status).toBe(400)
  })

  test('jsonDepth skips strings and escapes', () => {
    expect(jsonDepth('{"a":"[[[[","b":[1,[2]]}')).toBe(3)
    expect(jsonDepth('"\\"[[["')).toBe(0)
    expect(jsonDepth(nested(10))).toBe(10)
  })
})

describe('body limits in the real service: memory under unauthenticated large bodies', () => {
  let proc: RelayProcess
  beforeAll(async () => {
    proc = await spawnRelay({})
  })
  afterAll(async () => {
    await proc.stop()
  })

  test('16 concurrent 31 MB POSTs without a token add under 50 MB of RSS', async () => {
    const body = new Uint8Array(31 * 1024 * 1024).fill(0x20)
    // Warm up the routes once so first-use compilation is not counted.
    for (const path of ['/admin/api-keys', '/web/auth/login'])
      await fetch(`${proc.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
    const before = rssOf(proc.proc.pid)
    let peak = before
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(proc.proc.pid))
    }, 20)
    const statuses = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        fetch(`${proc.url}${i % 2 ? '/admin/api-keys' : '/web/auth/login'}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }).then(
          async (res) => {
            await res.arrayBuffer()
            return res.status
          },
          // The server may answer and close before the client finished sending.
          () => 0,
        ),
      ),
    )
    clearInterval(sampler)
    peak = Math.max(peak, rssOf(proc.proc.pid))
    for (const s of statuses) expect([0, 401, 413]).toContain(s)
    expect(statuses.filter((s) => s !== 0).length).toBeGreaterThan(0)
    const grown = (peak - before) / 1024 / 1024
    console.log(`RSS before ${(before / 2 ** 20).toFixed(0)} MB, peak +${grown.toFixed(1)} MB`)
    expect(grown).toBeLessThan(50)
    expect((await fetch(`${proc.url}/health`)).status).toBe(200)
  }, 120_000)
})
