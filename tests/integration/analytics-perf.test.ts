/**
 * Analytics answer from counters in under 50 ms for a 30-day range with 100 keys and 10 accounts,
 * on SQLite and on Redis.
 *
 * The bound is on the fastest of 7 warm answers: a busy CI machine moves the median (it pushed the
 * Redis top-keys answer, 12-18 ms here, past 50 ms once), but not the fastest answer, while a
 * regression to a round trip per key and day (3,000 of them) misses the bound on any machine.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeUpstream, startFakeUpstream } from '../fakes/fake-upstream.ts'
import { storeBackends } from '../helpers/backends.ts'
import { makeKey, makeOutcome } from '../helpers/fixtures.ts'
import { startRelay, type TestRelay } from '../helpers/relay.ts'

const backends = await storeBackends('analytics performance on redis')
const DAY = 86_400_000
const MODELS = ['claude-sonnet-4-6', 'claude-opus-4-6', 'claude-haiku-4-5']

for (const [name, make] of backends) {
  describe(`analytics on ${name}`, () => {
    let up: FakeUpstream
    let r: TestRelay
    let cleanup: () => Promise<void>
    beforeAll(async () => {
      up = startFakeUpstream()
      const b = await make()
      cleanup = b.cleanup
      r = await startRelay({ upstream: up, stores: b.stores })
      const now = Date.now()
      const incs = []
      for (let k = 0; k < 100; k++) {
        const key = makeKey({ id: `perf-key-${k}`, name: `perf ${k}` })
        for (let d = 0; d < 30; d++) {
          const at = now - d * DAY - (k % 24) * 3_600_000
          const o = makeOutcome({
            key,
            startTime: at,
            model: MODELS[(k + d) % 3]!,
            accountId: `perf-acct-${k % 10}`,
            usage: {
              inputTokens: 100 + k,
              outputTokens: 50,
              cacheCreate5mTokens: 10,
              cacheCreate1hTokens: 0,
              cacheReadTokens: 5,
            },
            costNanos: 1_000_000 + k,
          })
          incs.push(...r.relay.services.usage.incrementsOf(o))
        }
      }
      for (let i = 0; i < incs.length; i += 20_000)
        await r.relay.stores.usage.increment(incs.slice(i, i + 20_000))
    }, 120_000)
    afterAll(async () => {
      await r.stop()
      up.stop()
      await cleanup()
    })

    const paths = [
      '/admin/dashboard',
      '/admin/usage-trend?granularity=day&days=30',
      '/admin/model-stats?days=30',
      '/admin/api-keys-usage-trend?days=30&topN=10&metric=cost',
      '/admin/account-usage-trend?days=30&topN=10',
    ]
    for (const path of paths) {
      test(`${path} answers in under 50 ms (fastest of 7)`, async () => {
        const first = await r.admin('GET', path)
        expect(first.status).toBe(200)
        // Warm up (JIT, statement caches) as a dashboard that is open does.
        for (let i = 0; i < 3; i++) await r.admin('GET', path)
        const times: number[] = []
        for (let i = 0; i < 7; i++) {
          const t0 = performance.now()
          const res = await r.admin('GET', path)
          times.push(performance.now() - t0)
          expect(res.status).toBe(200)
        }
        times.sort((a, b) => a - b)
        console.log(
          `${name} ${path}: fastest ${times[0]!.toFixed(1)} ms, median ${times[3]!.toFixed(1)} ms, max ${times[6]!.toFixed(1)} ms`,
        )
        expect(times[0]!).toBeLessThan(50)
        if (path.includes('api-keys-usage-trend')) {
          const top = first.json.data.items
          expect(top.length).toBe(10)
          expect(top[0].id).toBe('perf-key-99')
          expect(top[0].series.length).toBeGreaterThanOrEqual(30)
        }
        if (path.startsWith('/admin/usage-trend'))
          expect(
            first.json.data.series.reduce((a: number, p: any) => a + p.requests, 0),
          ).toBeGreaterThanOrEqual(2900)
      })
    }
  })
}
