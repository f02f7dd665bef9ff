/**
 * Usage, cost and per-key limits end to end, on SQLite and on Redis.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { usagePeriods } from '../../src/usage/cost-caps.ts'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { storeBackends } from '../helpers/backends.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

// The fake's usage: 25 in, 12 out, 10 5m writes, 20 1h writes, 40 reads. Sonnet 4.6: $3 / $15 /
// $3.75 / $6 / $0.30 per million → nano-dollars per token 3000 / 15000 / 3750 / 6000 / 300.
const COST = 25 * 3000 + 12 * 15000 + 10 * 3750 + 20 * 6000 + 40 * 300 // 424,500 n$ = $0.0004245
const model = 'claude-sonnet-4-6'
const ask = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    model,
    max_tokens: 16,
    messages: [{ role: 'user', content: `q ${crypto.randomUUID()}` }],
    ...extra,
  })

const backends = await storeBackends('usage and limits on redis')

for (const [name, make] of backends) {
  describe(`usage and limits on ${name}`, () => {
    let up: FakeUpstream
    let r: TestRelay
    let cleanup: () => Promise<void>
    const post = (key: string, body = ask()) =>
      r.handle(
        new Request('http://localhost/api/v1/messages', {
          method: 'POST',
          headers: { 'x-api-key': key },
          body,
        }),
      )

    beforeAll(async () => {
      up = startFakeUpstream()
      const b = await make()
      cleanup = b.cleanup
      r = await startRelay({ upstream: up, stores: b.stores, env: { USAGE_FLUSH_INTERVAL: '20' } })
      await r.createConsoleAccount('acct')
    })
    afterAll(async () => {
      await r.stop()
      up.stop()
      await cleanup()
    })
    beforeEach(() => up.reset())

    test('N requests give N times the usage per key, account, model and day, and the exact cost', async () => {
      const { id, key } = await r.createKey()
      const N = 6
      for (let i = 0; i < N; i++) {
        const res = await post(key, ask({ stream: i % 2 === 0 }))
        expect(res.status).toBe(200)
        await res.arrayBuffer()
      }
      await r.waitOutcomes(r.outcomes.length)
      const streamed = r.outcomes.filter((o) => o.key.id === id && o.stream)
      const plain = r.outcomes.filter((o) => o.key.id === id && !o.stream)
      expect(streamed.map((o) => o.costNanos)).toEqual([COST, COST, COST])
      expect(plain.map((o) => o.costNanos)).toEqual([COST, COST, COST])
      expect(streamed[0]!.usage).toEqual(plain[0]!.usage)
      await r.relay.services.usage.flush()
      const accountId = (await r.relay.services.accounts.list())[0]!.id
      const p = usagePeriods(Date.now(), r.relay.config.TIMEZONE_OFFSET)
      const refs = [
        { scope: 'key' as const, id, period: p.day },
        { scope: 'key' as const, id, period: 'total' },
        { scope: 'key' as const, id, period: p.hour },
        { scope: 'key-model' as const, id, model, period: p.day },
      ]
      for (const c of await r.relay.stores.usage.get(refs)) {
        expect(c).toMatchObject({
          requests: N,
          inputTokens: 25 * N,
          outputTokens: 12 * N,
          cacheCreate5mTokens: 10 * N,
          cacheCreate1hTokens: 20 * N,
          cacheReadTokens: 40 * N,
          costNanos: COST * N,
          unpricedRequests: 0,
        })
      }
      const [acct] = await r.relay.stores.usage.get([
        { scope: 'account', id: accountId, period: p.day },
      ])
      expect(acct!.requests).toBeGreaterThanOrEqual(N)
      const modelRows = await r.relay.stores.usage.list('key-model', p.day, id)
      expect(modelRows).toEqual([
        { id, model, counters: expect.objectContaining({ costNanos: COST * N }) },
      ])
      // The key holder sees the same numbers.
      const stats = await r.handle(
        new Request('http://localhost/apiStats/api/user-stats', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apiKey: key }),
        }),
      )
      const data = ((await stats.json()) as any).data
      expect(data.usage.total).toMatchObject({
        requests: N,
        cost: (COST * N) / 1e9,
        allTokens: 107 * N,
      })
      const info = (await (
        await r.handle(
          new Request('http://localhost/api/v1/key-info', { headers: { 'x-api-key': key } }),
        )
      ).json()) as any
      expect(info.keyInfo).toMatchObject({ id, usage: { requests: N } })
      const usage = (await (
        await r.handle(
          new Request('http://localhost/api/v1/usage', { headers: { 'x-api-key': key } }),
        )
      ).json()) as any
      expect(usage.usage.daily.cost).toBe((COST * N) / 1e9)
      const models = (await (
        await r.handle(
          new Request('http://localhost/apiStats/api/user-model-stats', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ apiKey: key, period: 'daily' }),
          }),
        )
      ).json()) as any
      expect(models.data[0]).toMatchObject({ model, requests: N })
    })

    test('an unknown model is counted as unpriced with cost 0', async () => {
      const { id, key } = await r.createKey()
      await (
        await post(
          key,
          JSON.stringify({
            model: 'claude-unreleased-9',
            max_tokens: 5,
            messages: [{ role: 'user', content: 'x' }],
          }),
        )
      ).arrayBuffer()
      await r.waitOutcomes(r.outcomes.length)
      await r.relay.services.usage.flush()
      const [c] = await r.relay.stores.usage.get([{ scope: 'key', id, period: 'total' }])
      expect(c).toMatchObject({ requests: 1, costNanos: 0, unpricedRequests: 1, inputTokens: 25 })
    })

    test('1,000 concurrent requests against a limit of 100 per window: exactly 100 pass', async () => {
      const { key } = await r.createKey({ rateLimitWindow: 1, rateLimitRequests: 100 })
      const results = await Promise.all(Array.from({ length: 1000 }, () => post(key)))
      const statuses = results.map((x) => x.status)
      expect(statuses.filter((s) => s === 200).length).toBe(100)
      expect(statuses.filter((s) => s === 429).length).toBe(900)
      const rejected = (await results.find((x) => x.status === 429)!.json()) as any
      expect(rejected.error).toMatchObject({
        type: 'rate_limit_error',
        limit_type: 'window-requests',
        limit: 100,
        current: 100,
      })
      expect(rejected.error.reset_at).toBeString()
      expect(
        Number(results.find((x) => x.status === 429)!.headers.get('retry-after')),
      ).toBeGreaterThan(0)
    })

    test('a concurrency limit of 2 keeps at most 2 of 10 parallel slow streams in flight', async () => {
      const acct = await r.createConsoleAccount('conc-acct', { accountType: 'dedicated' })
      const { key, id } = await r.createKey({ concurrencyLimit: 2, claudeConsoleAccountId: acct })
      up.script('conc-acct', { kind: 'silence', afterEvents: 2, ms: 300 })
      const results = await Promise.all(
        Array.from({ length: 10 }, () => post(key, ask({ stream: true }))),
      )
      const bodies = await Promise.all(results.map((x) => x.text()))
      expect(up.maxInFlightOf('conc-acct')).toBe(2)
      expect(results.filter((x) => x.status === 200).length).toBe(2)
      expect(results.filter((x) => x.status === 429).length).toBe(8)
      expect(bodies.find((b) => b.includes('concurrency'))).toBeDefined()
      await r.settle()
      expect(await r.relay.stores.limits.countLeases(id, Date.now())).toBe(0)
    })

    test('token and cost windows, daily, total and weekly Opus caps reject with limit, current and reset', async () => {
      const tokenKey = await r.createKey({ rateLimitWindow: 10, tokenLimit: 100 })
      expect((await post(tokenKey.key)).status).toBe(200)
      await r.relay.services.usage.flush()
      const tok = await post(tokenKey.key)
      expect(tok.status).toBe(429)
      expect(((await tok.json()) as any).error).toMatchObject({
        limit_type: 'window-tokens',
        limit: 100,
        current: 107,
      })

      const daily = await r.createKey({ dailyCostLimit: 0.0008 })
      expect((await post(daily.key)).status).toBe(200)
      await r.relay.services.usage.flush()
      expect((await post(daily.key)).status).toBe(200)
      await r.relay.services.usage.flush()
      const d = await post(daily.key)
      expect(d.status).toBe(429)
      const body = ((await d.json()) as any).error
      expect(body).toMatchObject({
        type: 'rate_limit_error',
        limit_type: 'daily',
        limit: 0.0008,
        current: (2 * COST) / 1e9,
      })
      expect(Date.parse(body.reset_at)).toBeGreaterThan(Date.now())

      const total = await r.createKey({ totalCostLimit: 0.0004 })
      expect((await post(total.key)).status).toBe(200)
      await r.relay.services.usage.flush()
      expect(((await (await post(total.key)).json()) as any).error.limit_type).toBe('total')

      const opus = await r.createKey({ weeklyOpusCostLimit: 0.000001 })
      const opusAsk = JSON.stringify({
        model: 'claude-opus-4-6',
        max_tokens: 5,
        messages: [{ role: 'user', content: 'x' }],
      })
      expect((await post(opus.key, opusAsk)).status).toBe(200)
      await r.relay.services.usage.flush()
      const o = await post(opus.key, opusAsk)
      expect(o.status).toBe(429)
      expect(((await o.json()) as any).error.limit_type).toBe('weekly-opus')
      expect((await post(opus.key)).status).toBe(200) // other models are not capped
    })

    test('client restriction, permissions and activation-on-first-use expiry', async () => {
      const cc = await r.createKey({
        enableClientRestriction: true,
        allowedClients: ['claude_code'],
      })
      const denied = await post(cc.key)
      expect(denied.status).toBe(403)
      expect(((await denied.json()) as any).error.type).toBe('permission_error')
      const allowed = await r.handle(
        new Request('http://localhost/api/v1/messages', {
          method: 'POST',
          headers: { 'x-api-key': cc.key, 'user-agent': 'claude-cli/2.0.14 (external, cli)' },
          body: ask(),
        }),
      )
      expect(allowed.status).toBe(200)

      const openaiOnly = await r.createKey({ permissions: 'openai' })
      expect((await post(openaiOnly.key)).status).toBe(403)

      const act = await r.createKey({
        expirationMode: 'activation',
        activationDays: 2,
        activationUnit: 'hours',
      })
      const stats1 = (
        (await (
          await r.handle(
            new Request('http://localhost/apiStats/api/user-stats', {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ apiKey: act.key }),
            }),
          )
        ).json()) as any
      ).data
      expect(stats1.isActivated).toBe(false)
      expect((await post(act.key)).status).toBe(200)
      const k = await r.relay.services.keys.get(act.id)
      expect(k?.isActivated).toBe(true)
      const left = Date.parse(k!.expiresAt!) - Date.now()
      expect(left).toBeGreaterThan(2 * 3_600_000 - 60_000)
      expect(left).toBeLessThanOrEqual(2 * 3_600_000)
    })

    test('public lookups need the key itself; a key id alone reveals nothing', async () => {
      const { id, key } = await r.createKey()
      for (const path of [
        '/apiStats/api/user-stats',
        '/apiStats/api/get-key-id',
        '/apiStats/api/user-model-stats',
      ]) {
        const res = await r.handle(
          new Request(`http://localhost${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ apiId: id }),
          }),
        )
        expect(res.status).toBe(401)
        const text = await res.text()
        expect(text).not.toContain(id)
      }
      const ok = await r.handle(
        new Request('http://localhost/apiStats/api/get-key-id', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apiKey: key }),
        }),
      )
      expect(((await ok.json()) as any).data.id).toBe(id)
      await r.admin('PUT', `/admin/api-keys/${id}`, { isActive: false })
      const disabled = await r.handle(
        new Request('http://localhost/apiStats/api/user-stats', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ apiKey: key }),
        }),
      )
      expect(disabled.status).toBe(403)
    })
  })

  test(`on ${name}, a relay stopped right after its last responses still records them`, async () => {
    // Finished requests are recorded on the event loop's next turn; stopping first runs them.
    const upstream = startFakeUpstream()
    const b = await make()
    const kept = { ...b.stores, close: async () => {} }
    const own = await startRelay({ upstream, stores: kept })
    try {
      await own.createConsoleAccount('stop-acct')
      const { id, key } = await own.createKey({ concurrencyLimit: 5 })
      const send = (body: string) =>
        own.handle(
          new Request('http://localhost/api/v1/messages', {
            method: 'POST',
            headers: { 'x-api-key': key },
            body,
          }),
        )
      const [plain, streamed] = await Promise.all([send(ask()), send(ask({ stream: true }))])
      await Promise.all([plain!.text(), streamed!.text()])
      await own.stop()
      const p = usagePeriods(Date.now(), own.relay.config.TIMEZONE_OFFSET)
      const [day] = await b.stores.usage.get([{ scope: 'key', id, period: p.day }])
      expect(day).toMatchObject({ requests: 2, costNanos: 2 * COST })
      expect((await b.stores.history.query({ keyId: id }, { limit: 10, offset: 0 })).total).toBe(2)
      expect(await b.stores.limits.countLeases(id, Date.now())).toBe(0)
    } finally {
      upstream.stop()
      await b.stores.close()
      await b.cleanup()
    }
  })
}
