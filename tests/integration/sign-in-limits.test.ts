/**
 * Sign-in throttling under attack: concurrent guesses cannot slip past the count, a stranger's
 * failures never lock the admin out from another address, a user name's failures slow its
 * sign-ins down by a growing delay, and a session cannot guess the current password at full speed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { LOGIN_LIMITS, loginDelayMs } from '../../src/http/admin-routes.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { ADMIN, startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
beforeAll(async () => {
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, env: { TRUST_PROXY: 'true' } })
})
afterAll(async () => {
  await r.stop()
  up.stop()
})

const login = (username: string, password: string, ip: string) =>
  r.handle(
    new Request('http://localhost/web/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ username, password }),
    }),
  )

const statuses = async (responses: Promise<Response>[]) => {
  const all = await Promise.all(responses)
  const count: Record<number, number> = {}
  for (const res of all) {
    count[res.status] = (count[res.status] ?? 0) + 1
    await res.arrayBuffer()
  }
  return count
}

describe('sign-in limits', () => {
  test('40 concurrent wrong passwords from one address: at most the limit are checked, the rest get 429', async () => {
    const ip = '10.40.0.1'
    const count = await statuses(
      Array.from({ length: 40 }, (_, i) => login(`guess-${i}`, 'wrong-password', ip)),
    )
    expect(count[401] ?? 0).toBeLessThanOrEqual(LOGIN_LIMITS.perIp)
    expect(count[429] ?? 0).toBeGreaterThanOrEqual(40 - LOGIN_LIMITS.perIp)
    expect((count[401] ?? 0) + (count[429] ?? 0)).toBe(40)
  }, 60_000)

  test('40 concurrent wrong passwords for one user from one address: at most 5 are checked', async () => {
    const count = await statuses(
      Array.from({ length: 40 }, () => login('concurrent-user', 'wrong-password', '10.41.0.1')),
    )
    expect(count[401] ?? 0).toBeLessThanOrEqual(LOGIN_LIMITS.perUserAndIp)
    expect(count[429] ?? 0).toBeGreaterThanOrEqual(40 - LOGIN_LIMITS.perUserAndIp)
  }, 60_000)

  test('a stranger cannot lock the admin out: 5 failures from one address, then the right password from another', async () => {
    for (let i = 0; i < 5; i++)
      expect((await login(ADMIN.username, 'wrong-password', '203.0.113.5')).status).toBe(401)
    expect((await login(ADMIN.username, 'wrong-password', '203.0.113.5')).status).toBe(429)
    const ok = await login(ADMIN.username, ADMIN.password, '198.51.100.7')
    expect(ok.status).toBe(200)
    expect(ok.headers.get('retry-after')).toBeNull()
  }, 60_000)

  test('failures of a user name from many addresses slow its sign-ins down more each time, without a lock', async () => {
    const user = 'slowed-user'
    for (let i = 0; i < LOGIN_LIMITS.delayAfter; i++) {
      const t0 = performance.now()
      expect((await login(user, 'wrong', `10.50.0.${i}`)).status).toBe(401)
      expect(performance.now() - t0).toBeLessThan(LOGIN_LIMITS.delayBaseMs * 4)
    }
    const waits: number[] = []
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now()
      const res = await login(user, 'wrong', `10.51.0.${i}`)
      waits.push(performance.now() - t0)
      expect(res.status).toBe(401)
    }
    // At least the planned delay (a loaded machine only makes it longer).
    for (const [i, w] of waits.entries())
      expect(w).toBeGreaterThanOrEqual(loginDelayMs(LOGIN_LIMITS.delayAfter + i) - 5)
    expect(loginDelayMs(LOGIN_LIMITS.delayAfter + 2)).toBe(
      4 * loginDelayMs(LOGIN_LIMITS.delayAfter),
    )
    expect(loginDelayMs(1000)).toBe(LOGIN_LIMITS.delayMaxMs)
  }, 60_000)

  test('change-password is limited: a session cannot guess the current password at full speed', async () => {
    const res = await login(ADMIN.username, ADMIN.password, '198.51.100.8')
    const token = ((await res.json()) as { token: string }).token
    const change = (currentPassword: string) =>
      r.handle(
        new Request('http://localhost/web/auth/change-password', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ currentPassword, newPassword: 'a-brand-new-password' }),
        }),
      )
    const count = await statuses(Array.from({ length: 12 }, (_, i) => change(`guess-${i}`)))
    expect(count[401] ?? 0).toBeLessThanOrEqual(LOGIN_LIMITS.passwordChanges)
    expect(count[429] ?? 0).toBeGreaterThanOrEqual(12 - LOGIN_LIMITS.passwordChanges)
    const blocked = await change(ADMIN.password)
    expect(blocked.status).toBe(429)
    expect(((await blocked.json()) as any).error.type).toBe('rate_limit_error')
  }, 60_000)
})
