/**
 * Claude Console account quotas through HTTP: `dailyQuota` stops an account once its day's cost
 * reaches it (requests move to another account, a `quota_exceeded` webhook is sent), the usage
 * route shows the day, `reset-all-usage` starts the day over, and `rateLimitDuration` sets how long
 * a bare 429 keeps an account out.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { postMessages } from '../helpers/messages.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

let up: FakeUpstream
let r: TestRelay
let receiver: ReturnType<typeof Bun.serve>
const hooks: any[] = []
let key: string

async function until(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const t0 = Date.now()
  while (!(await cond()) && Date.now() - t0 < timeoutMs) await Bun.sleep(20)
}

async function ask(text: string) {
  const n = r.outcomes.length
  const res = await postMessages(r.url, key, { messages: [{ role: 'user', content: text }] })
  expect(res.status).toBe(200)
  await res.text()
  await r.waitOutcomes(n + 1)
  return r.outcomes.at(-1)!
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
  r = await startRelay({ upstream: up, listen: true })
  await r.admin('POST', '/admin/webhook/platforms', {
    type: 'custom',
    name: 'recv',
    url: `http://127.0.0.1:${receiver.port}/hook`,
  })
  key = (await r.createKey()).key
})
afterAll(async () => {
  await r.stop()
  up.stop()
  receiver.stop(true)
})

describe('console dailyQuota', () => {
  test('over its quota an account is skipped until reset; reset-all-usage starts over', async () => {
    const quota = await r.createConsoleAccount('quota-acct', {
      dailyQuota: '0.0001',
      quotaResetTime: '00:00',
      priority: 1,
    })
    await r.createConsoleAccount('spare-acct', { priority: 50 })
    const view = (await r.admin('GET', '/admin/claude-console-accounts')).json.data.find(
      (a: any) => a.id === quota,
    )
    expect(view.options).toMatchObject({ dailyQuota: 0.0001, quotaResetTime: '00:00' })

    expect((await ask('first')).accountName).toBe('quota-acct')
    await until(async () => {
      const u = await r.admin('GET', `/admin/claude-console-accounts/${quota}/usage`)
      return u.json.data.stoppedUntil !== null
    })
    const usage = (await r.admin('GET', `/admin/claude-console-accounts/${quota}/usage`)).json.data
    expect(usage).toMatchObject({ dailyQuota: 0.0001, isExceeded: true, quotaResetTime: '00:00' })
    expect(usage.dailyUsage).toBeGreaterThan(0.0001)
    expect(Date.parse(usage.stoppedUntil)).toBe(Date.parse(usage.resetAt))
    await until(() => hooks.some((h) => h.type === 'quota_exceeded'))
    expect(hooks.find((h) => h.type === 'quota_exceeded').accountName).toBe('quota-acct')
    expect((await ask('second')).accountName).toBe('spare-acct')

    const reset = await r.admin('POST', '/admin/claude-console-accounts/reset-all-usage')
    expect(reset.status).toBe(200)
    const after = (await r.admin('GET', `/admin/claude-console-accounts/${quota}/usage`)).json.data
    expect(after).toMatchObject({ dailyUsage: 0, isExceeded: false, stoppedUntil: null })
    expect((await ask('third')).accountName).toBe('quota-acct')
    expect((await r.admin('GET', '/admin/claude-console-accounts/nope/usage')).status).toBe(404)
  })

  test('bad quota fields are refused', async () => {
    const bad = await r.admin('POST', '/admin/claude-console-accounts', {
      name: 'bad',
      apiUrl: up.url,
      apiKey: 'bad',
      quotaResetTime: '25:99',
    })
    expect(bad.status).toBe(400)
    const neg = await r.admin('POST', '/admin/claude-console-accounts', {
      name: 'bad',
      apiUrl: up.url,
      apiKey: 'bad',
      dailyQuota: -1,
    })
    expect(neg.status).toBe(400)
  })

  test('rateLimitDuration: a bare 429 keeps the account out that many minutes', async () => {
    const r2 = await startRelay({ upstream: up })
    const id = await r2.createConsoleAccount('rl-acct', { rateLimitDuration: 30 })
    const k = (await r2.createKey()).key
    up.script('rl-acct', { kind: 'error', status: 429 })
    const t0 = Date.now()
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
    expect(res.status).toBe(429)
    await res.text()
    const v = (await r2.admin('GET', '/admin/claude-console-accounts')).json.data.find(
      (a: any) => a.id === id,
    )
    const back = Date.parse(v.recoversAt)
    expect(back - t0).toBeGreaterThan(29 * 60_000)
    expect(back - t0).toBeLessThan(31 * 60_000)
    await r2.stop()
  })
})
