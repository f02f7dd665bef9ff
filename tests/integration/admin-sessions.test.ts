/**
 * Admin session tokens: both `exp` and `jti` are required (a token without `exp` never expired, one
 * without `jti` survived sign-out), and a session has an absolute lifetime
 * (ADMIN_SESSION_MAX_AGE) that refreshing cannot extend.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { jwt } from '@elysiajs/jwt'
import { Elysia } from 'elysia'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { ADMIN, startRelay, type TestRelay } from '../helpers/relay.ts'

const JWT_SECRET = 'test-jwt-secret-0123456789abcdef0123456789'
const HOUR = 3_600_000

/** Signs claims with the relay's secret, as someone holding it (or an old build) would. */
const signer = new Elysia().use(jwt({ name: 'j', secret: JWT_SECRET, exp: '24h' })).decorator.j

let up: FakeUpstream
beforeAll(() => {
  up = startFakeUpstream()
})
afterAll(() => up.stop())

const call = (r: TestRelay, method: string, path: string, token: string) =>
  r.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    }),
  )

const signIn = async (r: TestRelay) => {
  const res = await r.handle(
    new Request('http://localhost/web/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ADMIN),
    }),
  )
  expect(res.status).toBe(200)
  return (await res.json()) as { token: string; expiresIn: number }
}

const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, number>

describe('admin tokens need exp and jti', () => {
  let r: TestRelay
  beforeAll(async () => {
    r = await startRelay({ upstream: up })
  })
  afterAll(() => r.stop())

  test('a correctly signed token without exp is refused', async () => {
    const now = Math.floor(Date.now() / 1000)
    const token = await signer.sign({
      sub: ADMIN.username,
      epoch: 1,
      jti: 'no-exp',
      auth_time: now,
      exp: undefined,
    } as never)
    expect(claimsOf(token).exp).toBeUndefined()
    const res = await call(r, 'GET', '/admin/api-keys', token)
    expect(res.status).toBe(401)
  })

  test('a token without jti is refused (it could not be signed out)', async () => {
    const token = await signer.sign({
      sub: ADMIN.username,
      epoch: 1,
      auth_time: Math.floor(Date.now() / 1000),
    } as never)
    expect(claimsOf(token).exp).toBeNumber()
    expect((await call(r, 'GET', '/admin/api-keys', token)).status).toBe(401)
  })

  test('tokens the relay issues carry exp, jti and auth_time, and sign-out ends them', async () => {
    const { token } = await signIn(r)
    const c = claimsOf(token)
    expect(c.exp).toBeNumber()
    expect(typeof c.jti).toBe('string')
    expect(c.auth_time).toBeNumber()
    expect((await call(r, 'GET', '/admin/api-keys', token)).status).toBe(200)
    expect((await call(r, 'POST', '/web/auth/logout', token)).status).toBe(200)
    expect((await call(r, 'GET', '/admin/api-keys', token)).status).toBe(401)
  })
})

describe('absolute session lifetime', () => {
  let r: TestRelay
  const clock = { t: Date.now(), now: () => clock.t }
  beforeAll(async () => {
    r = await startRelay({ upstream: up, clock, env: { ADMIN_SESSION_MAX_AGE: String(2 * HOUR) } })
  })
  afterAll(() => r.stop())

  test('refreshing keeps the first sign-in time; past the lifetime the session ends', async () => {
    const first = await signIn(r)
    const signedInAt = claimsOf(first.token).auth_time!
    let token = first.token
    for (let i = 0; i < 3; i++) {
      clock.t += 30 * 60_000
      const res = await call(r, 'POST', '/web/auth/refresh', token)
      expect(res.status).toBe(200)
      const next = (await res.json()) as { token: string; expiresIn: number }
      const c = claimsOf(next.token)
      expect(c.auth_time).toBe(signedInAt)
      // Never valid past the lifetime, whatever the usual 24 hours would say.
      expect(c.exp! * 1000).toBeLessThanOrEqual(signedInAt * 1000 + 2 * HOUR)
      expect(next.expiresIn).toBeLessThanOrEqual(2 * HOUR)
      token = next.token
    }
    clock.t += 31 * 60_000
    expect((await call(r, 'GET', '/admin/api-keys', token)).status).toBe(401)
    const refused = await call(r, 'POST', '/web/auth/refresh', token)
    expect(refused.status).toBe(401)
    // Signing in again starts a new session.
    const again = await signIn(r)
    expect((await call(r, 'GET', '/admin/api-keys', again.token)).status).toBe(200)
  })
})
