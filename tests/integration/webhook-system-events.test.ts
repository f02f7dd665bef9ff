/**
 * The seed's notification types and the system and security events, through HTTP against a real
 * webhook receiver (Bun.serve): `notificationTypes` switches (type off → nothing delivered),
 * admin sign-in and password-change lockouts and an account destination refused at send time (DNS
 * rebinding) as `security_alert`, and a Redis outage (a private
 * redis-server killed and restarted) as `system_error` / `system_recovered` for storage, usage
 * counters and history, with a flapping outage announced once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { LOGIN_LIMITS } from '../../src/http/admin-routes.ts'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { messagesRequest, postMessages } from '../helpers/messages.ts'
import { shouldRunRedis } from '../helpers/redis.ts'
import { type RedisServer, startRedisServer } from '../helpers/redis-server.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'
import { until } from '../helpers/until.ts'

let up: FakeUpstream
let receiver: ReturnType<typeof Bun.serve>
const hooks: any[] = []

/** Resolves once the relay's `/health` answers 200 (storage reachable again). */
const healthy = (r: TestRelay) =>
  until('storage to come back', async () => (await fetch(`${r.url}/health`)).status === 200, {
    everyMs: 50,
  })

const of = (type: string, code?: string) =>
  hooks.filter((h) => h.type === type && (code === undefined || h.code === code))

/** Adds the receiver as a `custom` platform with fast retries. */
async function addReceiver(r: TestRelay, name: string) {
  const cfg = await r.admin('POST', '/admin/webhook/config', {
    retry: { maxRetries: 1, retryDelayMs: 10, timeoutMs: 2000 },
  })
  expect(cfg.status).toBe(200)
  const added = await r.admin('POST', '/admin/webhook/platforms', {
    type: 'custom',
    name,
    url: `http://127.0.0.1:${receiver.port}/${name}`,
  })
  expect(added.status).toBe(200)
}

beforeAll(() => {
  receiver = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      hooks.push({ path: new URL(req.url).pathname, ...((await req.json()) as object) })
      return new Response('ok')
    },
  })
  up = startFakeUpstream()
})
afterAll(() => {
  up.stop()
  receiver.stop(true)
})

describe('notification types and security alerts', () => {
  let r: TestRelay
  beforeAll(async () => {
    r = await startRelay({ upstream: up, listen: true })
    await addReceiver(r, 'sec')
  })
  afterAll(() => r.stop())

  const signIn = (username: string) =>
    fetch(`${r.url}/web/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: 'wrong-password' }),
    })

  /** Fails sign-ins as `username` until the address + name pair is locked out (a 429). */
  async function lockOut(username: string) {
    for (let i = 0; i < LOGIN_LIMITS.perUserAndIp; i++)
      expect((await signIn(username)).status).toBe(401)
    const locked = await signIn(username)
    expect(locked.status).toBe(429)
    // The alert is queued before the 429 is sent: once the queue is idle it was sent or skipped.
    await r.relay.services.webhooks.idle()
  }

  test('the config shows and changes the seed notificationTypes; unknown names are a 400', async () => {
    const cfg = await r.admin('GET', '/admin/webhook/config')
    expect(cfg.json.data.notificationTypes).toEqual({
      accountAnomaly: true,
      quotaWarning: true,
      systemError: true,
      securityAlert: true,
      rateLimitRecovery: true,
      test: true,
    })
    const bad = await r.admin('POST', '/admin/webhook/config', {
      notificationTypes: { accountAnomalies: false },
    })
    expect(bad.status).toBe(400)
    expect(bad.json.error.message).toContain('notificationTypes.accountAnomalies')
    const notBool = await r.admin('POST', '/admin/webhook/config', {
      notificationTypes: { systemError: 'no' },
    })
    expect(notBool.status).toBe(400)
  })

  test('sign-in lockouts send security_alert; securityAlert off sends nothing', async () => {
    const off = await r.admin('POST', '/admin/webhook/config', {
      notificationTypes: { securityAlert: false },
    })
    expect(off.json.data.notificationTypes.securityAlert).toBe(false)
    await lockOut('eve')
    expect(of('security_alert')).toEqual([])

    await r.admin('POST', '/admin/webhook/config', { notificationTypes: { securityAlert: true } })
    await lockOut('mallory')
    const pair = of('security_alert', 'admin_user_login_locked')
    expect(pair).toHaveLength(1)
    expect(pair[0]).toMatchObject({
      notificationType: 'securityAlert',
      subject: 'mallory from 127.0.0.1',
      title: 'Claude Relay: Security alert',
    })
    expect(pair[0].message).toContain('"mallory" from 127.0.0.1')
    // Five failures of one user name slow its sign-ins down: said once.
    const failures = of('security_alert', 'admin_login_failures')
    expect(failures.map((h) => h.subject)).toEqual(['mallory'])
    // Further refused attempts do not repeat the alert.
    expect((await signIn('mallory')).status).toBe(429)
    await r.relay.services.webhooks.idle()
    expect(of('security_alert', 'admin_user_login_locked')).toHaveLength(1)
  })

  test('an address past the per-address limit sends one security_alert', async () => {
    let status = 0
    for (let i = 0; i <= LOGIN_LIMITS.perIp && status !== 429; i++)
      status = (await signIn(`guess-${i}`)).status
    expect(status).toBe(429)
    expect((await signIn('guess-more')).status).toBe(429)
    await r.relay.services.webhooks.idle()
    const alerts = of('security_alert', 'admin_login_locked')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]).toMatchObject({ subject: '127.0.0.1', notificationType: 'securityAlert' })
    expect(alerts[0].message).toContain(`${LOGIN_LIMITS.perIp} admin sign-in attempts`)
  })

  test('wrong current passwords on change-password send one security_alert', async () => {
    const token = await r.adminToken()
    const change = () =>
      fetch(`${r.url}/web/auth/change-password`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ currentPassword: 'not-it', newPassword: 'another-password-1' }),
      })
    for (let i = 0; i < LOGIN_LIMITS.passwordChanges; i++) expect((await change()).status).toBe(401)
    expect((await change()).status).toBe(429)
    await until(
      'the password alert',
      () => of('security_alert', 'admin_password_change_locked').length > 0,
    )
    const [alert] = of('security_alert', 'admin_password_change_locked')
    expect(alert).toMatchObject({ subject: 'admin', notificationType: 'securityAlert' })
    expect(alert.text).toContain('Code: admin_password_change_locked')
  })

  test('accountAnomaly off: an unauthorized account sends nothing; on: it is delivered', async () => {
    await r.admin('POST', '/admin/webhook/config', {
      notificationTypes: { accountAnomaly: false },
    })
    const key = (await r.createKey()).key
    await r.createConsoleAccount('anomaly-off')
    up.script('anomaly-off', { kind: 'error', status: 401 })
    await (await postMessages(r.url, key)).text()
    await r.relay.services.webhooks.idle()
    expect(of('unauthorized')).toEqual([])

    await r.admin('POST', '/admin/webhook/config', { notificationTypes: { accountAnomaly: true } })
    await r.createConsoleAccount('anomaly-on', { priority: 1 })
    up.script('anomaly-on', { kind: 'error', status: 401 })
    await (await postMessages(r.url, key)).text()
    await until('the unauthorized event', () => of('unauthorized').length > 0)
    expect(of('unauthorized').map((h) => [h.accountName, h.notificationType])).toEqual([
      ['anomaly-on', 'accountAnomaly'],
    ])
  })
})

describe('an account destination refused at send time', () => {
  const dns = new Map<string, string[]>()
  const clock = { t: Date.now(), now: () => clock.t }
  let r: TestRelay
  beforeAll(async () => {
    r = await startRelay({
      upstream: up,
      clock,
      resolveHost: async (name) => {
        const hit = dns.get(name)
        if (!hit) throw Object.assign(new Error(`ENOTFOUND ${name}`), { code: 'ENOTFOUND' })
        return hit
      },
    })
    await addReceiver(r, 'rebind')
  })
  afterAll(() => r.stop())

  test('a name that now points at cloud metadata sends a security_alert naming the account', async () => {
    dns.set('rebind.test', ['10.0.0.9'])
    const id = await r.createConsoleAccount('rebound', { apiUrl: 'http://rebind.test/' })
    const key = (await r.createKey()).key
    dns.set('rebind.test', ['169.254.169.254'])
    clock.t += 61_000
    const res = await r.handle(messagesRequest(key))
    expect(res.status).toBeGreaterThanOrEqual(500)
    await res.text()
    await until(
      'the refused-address alert',
      () => of('security_alert', 'upstream_address_refused').length > 0,
    )
    const [alert] = of('security_alert', 'upstream_address_refused')
    expect(alert).toMatchObject({ subject: `rebound (${id})`, notificationType: 'securityAlert' })
    expect(alert.message).toContain('outbound URL policy')
  })
})

if (await shouldRunRedis('webhook system events on redis')) {
  describe('system events from a Redis outage', () => {
    let redis: RedisServer
    let r: TestRelay
    let key: string
    beforeAll(async () => {
      redis = await startRedisServer({ persist: true })
      r = await startRelay({
        upstream: up,
        listen: true,
        stores: await createRedisStores({ url: redis.url, prefix: 'sysev' }),
      })
      await addReceiver(r, 'sys')
      key = (await r.createKey()).key
      await r.createConsoleAccount('sys-acct')
    })
    afterAll(async () => {
      await r.stop().catch(() => {})
      await redis.stop()
    })

    const health = async () => (await fetch(`${r.url}/health`)).status

    test('storage, usage and history failures are announced once each, then their recovery', async () => {
      // A stream that pauses after its first events: Redis dies while it is open, so its usage
      // and history can only be written after the outage.
      up.script('sys-acct', { kind: 'silence', afterEvents: 3, ms: 800 })
      const res = await postMessages(r.url, key, { stream: true })
      expect(res.status).toBe(200)
      const reader = res.body!.getReader()
      await reader.read()
      await redis.kill()
      while (!(await reader.read()).done) {}

      expect(await health()).toBe(503)
      expect(await health()).toBe(503)
      await until(
        'three system errors',
        () =>
          of('system_error', 'storage_unreachable').length > 0 &&
          of('system_error', 'usage_write_failed').length > 0 &&
          of('system_error', 'history_write_failed').length > 0,
      )
      const storage = of('system_error', 'storage_unreachable')
      expect(storage).toHaveLength(1)
      expect(storage[0]).toMatchObject({
        notificationType: 'systemError',
        subject: 'storage',
        title: 'Claude Relay: System error',
      })
      expect(storage[0].message).toContain('Redis storage is unreachable')
      expect(of('system_error', 'usage_write_failed')[0].subject).toBe('usage counters')
      expect(of('system_error', 'history_write_failed')[0].subject).toBe('request history')

      await redis.restart()
      await healthy(r)
      await until('three recoveries', () =>
        ['storage_unreachable', 'usage_write_failed', 'history_write_failed'].every(
          (c) => of('system_recovered', c).length === 1,
        ),
      )
      expect(of('system_recovered', 'storage_unreachable')[0]).toMatchObject({
        notificationType: 'systemError',
        title: 'Claude Relay: System recovered',
      })
      // The request written after the outage is in history.
      await until('the outcome', () => r.outcomes.length > 0)
      const hist = await r.admin('GET', `/admin/request-history/${r.outcomes[0]!.requestId}`)
      expect(hist.status).toBe(200)

      // It flaps: down and up again within the notice interval → nothing more is sent.
      await redis.kill()
      expect(await health()).toBe(503)
      await redis.restart()
      await healthy(r)
      await r.relay.services.webhooks.idle()
      expect(of('system_error', 'storage_unreachable')).toHaveLength(1)
      expect(of('system_recovered', 'storage_unreachable')).toHaveLength(1)
    })

    test('systemError off: an outage sends nothing', async () => {
      // A second relay (its own prefix on the same Redis) has announced nothing yet.
      const r2 = await startRelay({
        upstream: up,
        listen: true,
        stores: await createRedisStores({ url: redis.url, prefix: 'sysev2' }),
      })
      try {
        await addReceiver(r2, 'sys2')
        await r2.admin('POST', '/admin/webhook/config', {
          notificationTypes: { systemError: false },
        })
        await redis.kill()
        expect((await fetch(`${r2.url}/health`)).status).toBe(503)
        await redis.restart()
        await healthy(r2)
        await r2.relay.services.webhooks.idle()
        expect(hooks.filter((h) => h.path === '/sys2')).toEqual([])
      } finally {
        await r2.stop()
      }
    })
  })
}
