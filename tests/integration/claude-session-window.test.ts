/**
 * The 5-hour session window of Claude subscription accounts through HTTP: the
 * `anthropic-ratelimit-unified-*` headers of each answer shown in the account list, a warning
 * stopping an `autoStopOnWarning` account (requests move to the other account) with a webhook,
 * and the stop ending with the window (scheduling resumes, `session_reset` webhook), sent once by
 * two relay instances sharing one Redis.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { postMessages } from '../helpers/messages.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let receiver: ReturnType<typeof Bun.serve>
const hooks: any[] = []
let key: string
let offset = 0
const clock = { now: () => Date.now() + offset }

const unified = (status: string, resetMs: number, fiveHour: number, sevenDay: number) => ({
  'anthropic-ratelimit-unified-status': 'allowed',
  'anthropic-ratelimit-unified-5h-status': status,
  'anthropic-ratelimit-unified-5h-reset': String(Math.floor(resetMs / 1000)),
  'anthropic-ratelimit-unified-5h-utilization': String(fiveHour),
  'anthropic-ratelimit-unified-7d-utilization': String(sevenDay),
})

async function until(cond: () => boolean, timeoutMs = 10_000) {
  const t0 = Date.now()
  while (!cond() && Date.now() - t0 < timeoutMs) await Bun.sleep(5)
}

async function accountsById() {
  const res = await r.admin('GET', '/admin/claude-accounts')
  expect(res.status).toBe(200)
  return new Map<string, any>(res.json.data.map((a: any) => [a.id, a]))
}

beforeAll(async () => {
  receiver = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      hooks.push(await req.json())
      return new Response('ok')
    },
  })
  up = startFakeUpstream()
  r = await startRelay({ upstream: up, listen: true, clock })
  const hook = await r.admin('POST', '/admin/webhook/platforms', {
    type: 'custom',
    name: 'recv',
    url: `http://127.0.0.1:${receiver.port}/hook`,
  })
  expect(hook.status).toBe(200)
  key = (await r.createKey()).key
})
afterAll(async () => {
  await r.stop()
  up.stop()
  receiver.stop(true)
})

describe('5-hour session window', () => {
  test('headers of every answer show in the list; a warning stops an autoStop account', async () => {
    const stopper = await r.createOAuthAccount('win-stop', { autoStopOnWarning: true, priority: 1 })
    const resetAt = clock.now() + 2 * 3_600_000
    up.script('win-stop', { kind: 'ok', headers: unified('allowed', resetAt, 0.42, 0.17) })
    let res = await postMessages(r.url, key)
    expect(res.status).toBe(200)
    await res.text()
    let view = (await accountsById()).get(stopper)
    expect(view.sessionWindow).toMatchObject({
      active: true,
      status: 'allowed',
      fiveHourUtilization: 0.42,
      sevenDayUtilization: 0.17,
      stoppedUntil: null,
      autoStopOnWarning: true,
    })
    expect(Date.parse(view.sessionWindow.windowEnd)).toBe(Math.floor(resetAt / 1000) * 1000)
    expect(view.sessionWindow.remainingMinutes).toBeGreaterThan(100)

    // The window warns: the account stops (a webhook says until when), the other one serves.
    const other = await r.createOAuthAccount('win-other', { priority: 50 })
    up.script('win-stop', { kind: 'ok', headers: unified('allowed_warning', resetAt, 0.91, 0.3) })
    res = await postMessages(r.url, key)
    expect(res.status).toBe(200)
    await res.text()
    await until(() => hooks.some((h) => h.type === 'session_warning'))
    expect(hooks.find((h) => h.type === 'session_warning')).toMatchObject({
      accountName: 'win-stop',
    })
    view = (await accountsById()).get(stopper)
    expect(view.sessionWindow.status).toBe('allowed_warning')
    expect(view.sessionWindow.stoppedUntil).not.toBeNull()
    expect(view.status).toBe('rate_limited')
    up.reset()
    res = await postMessages(r.url, key)
    expect(res.status).toBe(200)
    await res.text()
    expect(up.received.at(-1)!.account).toBe('win-other')

    // The window ends: scheduling resumes and a reset webhook is sent.
    offset += 2 * 3_600_000 + 60_000
    await r.relay.services.session.sweep()
    await until(() => hooks.some((h) => h.type === 'session_reset'))
    view = (await accountsById()).get(stopper)
    expect(view.sessionWindow.stoppedUntil).toBeNull()
    expect(view.status).toBe('active')
    up.reset()
    const n = r.outcomes.length
    // (A new conversation: the earlier one is pinned to win-other by its sticky session.)
    res = await postMessages(r.url, key, { messages: [{ role: 'user', content: 'a new one' }] })
    await res.text()
    await r.waitOutcomes(n + 1)
    expect(r.outcomes.at(-1)!.accountName).toBe('win-stop')
    expect(other).toBeTruthy()
  })

  test('an account without autoStopOnWarning keeps serving through a warning', async () => {
    const r2 = await startRelay({ upstream: up })
    const id = await r2.createOAuthAccount('win-keep')
    const k = (await r2.createKey()).key
    up.script('win-keep', {
      kind: 'ok',
      headers: unified('allowed_warning', Date.now() + 3_600_000, 0.95, 0.5),
    })
    for (let i = 0; i < 2; i++) {
      const res = await r2.handle(
        new Request('http://localhost/api/v1/messages', {
          method: 'POST',
          headers: { 'x-api-key': k, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'claude-sonnet-4-5',
            max_tokens: 5,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        }),
      )
      expect(res.status).toBe(200)
      await res.text()
    }
    const list = await r2.admin('GET', '/admin/claude-accounts')
    const v = list.json.data.find((a: any) => a.id === id)
    expect(v.sessionWindow).toMatchObject({ status: 'allowed_warning', stoppedUntil: null })
    await r2.stop()
  })
})

if (await shouldRunRedis('session window on two instances')) {
  describe('5-hour session window on two instances sharing Redis', () => {
    const prefix = `t${crypto.randomUUID().replaceAll('-', '').slice(0, 12)}`
    let a: TestRelay
    let b: TestRelay
    beforeAll(async () => {
      const open = () => createRedisStores({ url: REDIS_TEST_URL, prefix })
      a = await startRelay({ upstream: up, listen: true, clock, stores: await open() })
      b = await startRelay({ upstream: up, listen: true, clock, stores: await open() })
    })
    afterAll(async () => {
      await a.stop()
      await b.stop()
      await deletePrefix(prefix)
    })

    test('the reset of one window is sent once, whichever instances sweep', async () => {
      const hook = await a.admin('POST', '/admin/webhook/platforms', {
        type: 'custom',
        name: 'shared',
        url: `http://127.0.0.1:${receiver.port}/shared`,
      })
      expect(hook.status).toBe(200)
      // (The test clock runs ahead by now: the token must not look expired to it.)
      const id = await a.createOAuthAccount('win-shared', {
        autoStopOnWarning: true,
        claudeAiOauth: {
          accessToken: 'win-shared',
          refreshToken: 'refresh-win-shared',
          expiresAt: clock.now() + 24 * 3_600_000,
          scopes: ['user:inference'],
        },
      })
      const k = (await a.createKey()).key
      const resetAt = clock.now() + 3_600_000
      up.script('win-shared', {
        kind: 'ok',
        headers: unified('allowed_warning', resetAt, 0.9, 0.2),
      })
      const res = await postMessages(a.url, k, { messages: [{ role: 'user', content: 'shared' }] })
      expect(res.status).toBe(200)
      await res.text()
      // Both instances see the stop before the window ends.
      for (const r2 of [a, b]) {
        const t0 = Date.now()
        for (;;) {
          const list = await r2.admin('GET', '/admin/claude-accounts')
          const v = list.json.data.find((x: any) => x.id === id)
          if (v?.sessionWindow?.stoppedUntil) break
          if (Date.now() - t0 > 5000)
            throw new Error(`the stop did not reach both instances: ${JSON.stringify(v)}`)
          await Bun.sleep(20)
        }
      }
      await a.relay.services.accounts.snapshot()
      await b.relay.services.accounts.snapshot()
      offset += 3_600_000 + 60_000
      await Promise.all([a.relay.services.session.sweep(), b.relay.services.session.sweep()])
      await Promise.all([a.relay.services.webhooks.idle(), b.relay.services.webhooks.idle()])
      const resets = hooks.filter(
        (h) => h.type === 'session_reset' && h.accountName === 'win-shared',
      )
      expect(resets).toHaveLength(1)
      // A later sweep (the stop is over on both) sends nothing more.
      await Promise.all([a.relay.services.session.sweep(), b.relay.services.session.sweep()])
      await Promise.all([a.relay.services.webhooks.idle(), b.relay.services.webhooks.idle()])
      expect(
        hooks.filter((h) => h.type === 'session_reset' && h.accountName === 'win-shared'),
      ).toHaveLength(1)
    })
  })
}
