/**
 * Redis adapter specifics beyond the shared contract: admission under heavy concurrency, every Lua
 * script against real Redis, Cluster-safe key shapes, history index maintenance and decoding.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { RESYNC } from '../../src/coord/repository.ts'
import { createRedisClient, scanDelete } from '../../src/storage/redis/client.ts'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { createRedisKeys } from '../../src/storage/redis/keys.ts'
import { admitArgs } from '../../src/storage/redis/limits-repo.ts'
import { SCRIPTS } from '../../src/storage/redis/scripts.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { makeHistory, makeKey, sleep } from '../helpers/fixtures.ts'
import { REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'

const prefix = `test:${crypto.randomUUID()}`
const keys = createRedisKeys(prefix)
const run = await shouldRunRedis('redis adapter tests')

/** The hash tag of a key (what Redis Cluster hashes), or the whole key without one. */
function slotOf(key: string): string {
  const m = /\{([^}]+)\}/.exec(key)
  return m?.[1] ?? key
}

describe.skipIf(!run)('redis adapter', () => {
  let s: Stores
  let raw: Redis

  beforeAll(async () => {
    s = await createRedisStores({ url: REDIS_TEST_URL, prefix })
    raw = new Redis(REDIS_TEST_URL)
  })

  afterAll(async () => {
    await s.close()
    await scanDelete(raw, `${prefix}:*`)
    raw.disconnect()
  })

  test('every script loads into real Redis', async () => {
    const client = createRedisClient({ url: REDIS_TEST_URL })
    try {
      for (const script of Object.values(SCRIPTS)) {
        const sha = await client.script('LOAD', script.lua)
        expect(String(sha)).toMatch(/^[0-9a-f]{40}$/)
      }
    } finally {
      await client.quit()
    }
  })

  test('admit declares every key it touches and they share one hash tag', () => {
    const args = admitArgs(keys, {
      keyId: 'abc',
      leaseId: 'l',
      now: 1,
      sessionHash: 'sess',
      costCaps: [
        { name: 'daily', period: 'd:2026-11-26', limitNanos: 1, resetAt: 2 },
        { name: 'total', period: 'total', limitNanos: 1, resetAt: null },
      ],
    })
    const n = Number(args[0])
    expect(n).toBe(5)
    const declared = args.slice(1, 1 + n).map(String)
    expect(new Set(declared.map(slotOf))).toEqual(new Set(['k:abc']))
    expect(declared).toContain(keys.counter('key', 'abc', 'total'))
    expect(keys.counter('key-model', 'abc', 'total', 'm')).toBe(
      `${prefix}:{k:abc}:usage:model:m:total`,
    )
    expect(slotOf(keys.accountLeases('x'))).toBe('a:x')
    expect(slotOf(keys.historyByKey('x'))).toBe(slotOf(keys.historyAll()))
  })

  test('200 parallel admits against a concurrency limit let exactly the limit pass', async () => {
    const keyId = crypto.randomUUID()
    const now = Date.now()
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        s.limits.admit({
          keyId,
          leaseId: `l${i}`,
          now,
          concurrency: { limit: 17, leaseMs: 60_000 },
        }),
      ),
    )
    const ok = results.filter((r) => r.ok)
    expect(ok.length).toBe(17)
    expect(ok.map((r) => (r.ok ? r.concurrency : 0)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 17 }, (_, i) => i + 1),
    )
    expect(results.find((r) => !r.ok)).toEqual({
      ok: false,
      reason: 'concurrency',
      limit: 17,
      current: 17,
      resetAt: null,
    })
    expect(await s.limits.countLeases(keyId, now)).toBe(17)
  })

  test('200 parallel admits with window and lease limits pass the smaller one exactly', async () => {
    const keyId = crypto.randomUUID()
    const now = Date.now()
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        s.limits.admit({
          keyId,
          leaseId: `l${i}`,
          now,
          concurrency: { limit: 150, leaseMs: 60_000 },
          window: { lengthMs: 60_000, maxRequests: 40, maxTokens: 0, maxCostNanos: 0 },
        }),
      ),
    )
    expect(results.filter((r) => r.ok).length).toBe(40)
    expect(await s.limits.countLeases(keyId, now)).toBe(40)
    expect((await s.limits.getWindow(keyId, 60_000, now))?.requests).toBe(40)
  })

  test('the window and lease keys get TTLs; a rejection leaves them untouched', async () => {
    const keyId = crypto.randomUUID()
    const now = Date.now()
    const req = {
      keyId,
      leaseId: 'a',
      now,
      concurrency: { limit: 1, leaseMs: 10_000 },
      window: { lengthMs: 30_000, maxRequests: 5, maxTokens: 0, maxCostNanos: 0 },
    }
    expect((await s.limits.admit(req)).ok).toBe(true)
    const windowTtl = await raw.pttl(keys.keyWindow(keyId))
    expect(windowTtl).toBeGreaterThan(29_000)
    expect(windowTtl).toBeLessThanOrEqual(30_000)
    expect(await raw.pttl(keys.keyLeases(keyId))).toBeGreaterThan(60_000)
    const rejected = await s.limits.admit({ ...req, leaseId: 'b' })
    expect(rejected).toMatchObject({ ok: false, reason: 'concurrency' })
    expect((await s.limits.getWindow(keyId, 30_000, now))?.requests).toBe(1)
  })

  test('renew skips expired or released leases', async () => {
    const keyId = crypto.randomUUID()
    const now = Date.now()
    await s.limits.admit({ keyId, leaseId: 'a', now, concurrency: { limit: 5, leaseMs: 1000 } })
    await s.limits.admit({ keyId, leaseId: 'b', now, concurrency: { limit: 5, leaseMs: 1000 } })
    expect(await s.limits.release(keyId, 'b')).toBe(true)
    expect(await s.limits.release(keyId, 'b')).toBe(false)
    await s.limits.renew(
      [
        { keyId, leaseId: 'a' },
        { keyId, leaseId: 'b' },
      ],
      5000,
      now + 2000,
    )
    expect(await s.limits.countLeases(keyId, now + 1000)).toBe(0)
    await s.limits.renew([{ keyId, leaseId: 'a' }], 5000, now + 500)
    expect(await s.limits.countLeases(keyId, now + 5000)).toBe(1)
    expect(await raw.zscore(keys.keyLeases(keyId), 'b')).toBeNull()
  })

  test('a stored key missing newer fields decodes with schema defaults', async () => {
    const k = makeKey()
    const { tags: _tags, permissions: _p, ...old } = k
    await raw.set(keys.key(k.id), JSON.stringify(old))
    const got = await s.keys.get(k.id)
    expect(got?.tags).toEqual([])
    expect(got?.permissions).toBe('all')
    await raw.del(keys.key(k.id))
  })

  test('usage lists account-model rows across subjects and purges accounts', async () => {
    const period = `d:${crypto.randomUUID()}`
    const a1 = crypto.randomUUID()
    const a2 = crypto.randomUUID()
    await s.usage.increment([
      {
        scope: 'account-model',
        id: a1,
        model: 'm1',
        period,
        values: { requests: 1 },
        expiresAt: null,
      },
      {
        scope: 'account-model',
        id: a2,
        model: 'm1',
        period,
        values: { requests: 2 },
        expiresAt: null,
      },
      { scope: 'account', id: a1, period, values: { costNanos: 5 }, expiresAt: null },
      { scope: 'global', id: 'all', period, values: { requests: 3 }, expiresAt: null },
    ])
    const rows = await s.usage.list('account-model', period)
    expect(rows.map((r) => [r.id, r.model, r.counters.requests]).sort()).toEqual(
      [
        [a1, 'm1', 1],
        [a2, 'm1', 2],
      ].sort(),
    )
    expect((await s.usage.list('account-model', period, a2)).map((r) => r.model)).toEqual(['m1'])
    expect((await s.usage.list('global', period)).map((r) => [r.id, r.counters.requests])).toEqual([
      ['all', 3],
    ])
    expect(await s.usage.purgeSubject('account', a1)).toBe(2)
    expect((await s.usage.list('account-model', period)).map((r) => r.id)).toEqual([a2])
    expect(await s.usage.list('account', period)).toEqual([])
  })

  test('coord scripts: lock compare-and-delete and temp counter expiry', async () => {
    const name = `lock-${crypto.randomUUID()}`
    expect(await s.coord.acquireLock(name, 'me', 60_000)).toBe(true)
    expect(await s.coord.acquireLock(name, 'you', 60_000)).toBe(false)
    expect(await s.coord.releaseLock(name, 'you')).toBe(false)
    expect(await s.coord.releaseLock(name, 'me')).toBe(true)
    expect(await s.coord.releaseLock(name, 'me')).toBe(false)
    const counter = `cnt-${crypto.randomUUID()}`
    expect(await s.coord.incrementTemp(counter, 60_000)).toBe(1)
    const ttl = await raw.pttl(keys.temp(counter))
    expect(await s.coord.incrementTemp(counter, 60_000)).toBe(2)
    expect(await raw.pttl(keys.temp(counter))).toBeLessThanOrEqual(ttl)
  })

  test('two subscribers of one channel both receive, and unsubscribing one keeps the other; the first hears RESYNC once its subscription is live', async () => {
    const channel = `ch-${crypto.randomUUID()}`
    const a: string[] = []
    const b: string[] = []
    const unA = await s.coord.subscribe(channel, (m) => a.push(m))
    const unB = await s.coord.subscribe(channel, (m) => b.push(m))
    await s.coord.publish(channel, 'x')
    for (let i = 0; i < 50 && (a.length < 1 || b.length < 1); i++) await sleep(10)
    await unA()
    await s.coord.publish(channel, 'y')
    for (let i = 0; i < 50 && b.length < 2; i++) await sleep(10)
    // Published before this instance listened would be lost: the first handler is told once.
    expect(a).toEqual([RESYNC, 'x'])
    expect(b).toEqual(['x', 'y'])
    await unB()
  })

  describe('history', () => {
    const tag = crypto.randomUUID().slice(0, 8)
    const base = Date.UTC(2026, 0, 1)
    // 90 records, 30 of them sharing one start time, so paging must not skip or repeat ties.
    const recs = Array.from({ length: 90 }, (_, i) =>
      makeHistory({
        id: `req_${tag}_${String(i).padStart(3, '0')}`,
        startTime: i < 30 ? base : base + i * 1000,
        keyId: `k-${tag}-${i % 2}`,
        accountId: `a-${tag}-${i % 3}`,
        model: i % 5 === 0 ? `opus-${tag}` : `sonnet-${tag}`,
        outcome: i % 4 === 0 ? 'error' : 'success',
        errorMessage: i % 4 === 0 ? `Upstream Boom ${i}` : '',
      }),
    )
    const newestFirst = (pred: (r: (typeof recs)[number]) => boolean) =>
      recs
        .filter(pred)
        .sort((x, y) => y.startTime - x.startTime || (x.id < y.id ? 1 : -1))
        .map((r) => r.id)

    beforeAll(async () => {
      await s.history.write(recs)
    })

    test('combined filters with a text search walk ties exactly once', async () => {
      const want = newestFirst(
        (r) =>
          r.keyId === `k-${tag}-0` &&
          r.accountId === `a-${tag}-0` &&
          r.outcome === 'error' &&
          r.errorMessage.toLowerCase().includes('boom'),
      )
      const f = {
        keyId: `k-${tag}-0`,
        accountId: `a-${tag}-0`,
        outcome: 'error' as const,
        q: 'BOOM',
      }
      const all = await s.history.query(f, { limit: 100, offset: 0 })
      expect(all.total).toBe(want.length)
      expect(all.items.map((x) => x.id)).toEqual(want)
      const scanned: string[] = []
      for await (const batch of s.history.scan(
        { keyId: `k-${tag}-1`, model: `sonnet-${tag}` },
        3,
      )) {
        scanned.push(...batch.map((r) => r.id))
      }
      expect(scanned).toEqual(
        newestFirst((r) => r.keyId === `k-${tag}-1` && r.model === `sonnet-${tag}`),
      )
    })

    test('rewriting a record with new indexed fields moves it between indexes', async () => {
      const r = recs[40]!
      await s.history.write([{ ...r, keyId: `k-${tag}-moved`, outcome: 'aborted' }])
      expect(
        (await s.history.query({ keyId: `k-${tag}-moved` }, { limit: 5, offset: 0 })).total,
      ).toBe(1)
      const old = await s.history.query({ keyId: r.keyId }, { limit: 100, offset: 0 })
      expect(old.items.some((x) => x.id === r.id)).toBe(false)
      expect(await raw.zscore(keys.historyByOutcome('aborted'), r.id)).not.toBeNull()
      await s.history.write([r])
      expect(await raw.zscore(keys.historyByKey(`k-${tag}-moved`), r.id)).toBeNull()
    })

    test('the byte total follows writes, rewrites and deletes', async () => {
      const sizes = async () => {
        let sum = 0
        for (const r of recs) sum += Number((await raw.hget(keys.history(r.id), 'z')) ?? 0)
        return sum
      }
      const before = await s.history.size()
      expect(before.bytes).toBe(await sizes())
      await s.history.write([{ ...recs[50]!, responseBody: 'é'.repeat(1000) }])
      expect((await s.history.size()).bytes).toBe(await sizes())
      expect(await s.history.delete(recs[50]!.id)).toBe(true)
      expect((await s.history.size()).bytes).toBe(await sizes())
      expect((await s.history.size()).count).toBe(before.count - 1)
      expect(await s.history.deleteBefore(base + 1)).toBe(30)
      expect((await s.history.size()).bytes).toBe(await sizes())
    })

    test('a batch mixing stored and new records counts each once in the aggregates and bytes', async () => {
      const key = `k-${tag}-mixed`
      const fresh = [0, 1, 2].map((i) =>
        makeHistory({
          id: `req_${tag}_mixed_${i}`,
          startTime: base + 7_200_000 + i,
          keyId: key,
          inputTokens: 10,
        }),
      )
      await s.history.write([fresh[0]!])
      const before = await s.history.size()
      // fresh[0] again (a retried batch, now with more tokens) among two new records.
      await s.history.write([fresh[1]!, { ...fresh[0]!, inputTokens: 30 }, fresh[2]!])
      const after = await s.history.size()
      expect(after.count).toBe(before.count + 2)
      let sum = 0
      for (const id of await raw.zrange(keys.historyAll(), 0, -1))
        sum += Number((await raw.hget(keys.history(id), 'z')) ?? 0)
      expect(after.bytes).toBe(sum)
      const hour = Math.floor((base + 7_200_000) / 3_600_000)
      const agg = await raw.hgetall(keys.historyAgg('key', key, hour))
      expect(Number(agg.n)).toBe(3)
      expect(Number(agg.in)).toBe(50)
      expect((await s.history.stats({ keyId: key })).total).toBe(3)
      for (const r of fresh) await s.history.delete(r.id)
      expect(await raw.exists(keys.historyAgg('key', key, hour))).toBe(0)
    })

    test('stats count every match, with series buckets shifted by the timezone', async () => {
      const st = await s.history.stats(
        { model: `opus-${tag}` },
        { bucketMs: 86_400_000, tzOffsetHours: 8 },
      )
      const sel = recs.filter(
        (r) => r.model === `opus-${tag}` && r.startTime > base && r.id !== recs[50]!.id,
      )
      expect(st.total).toBe(sel.length)
      expect(st.series?.map((b) => b.t)).toEqual([base - 8 * 3_600_000])
      expect(st.series?.[0]?.errors).toBe(sel.filter((r) => r.outcome !== 'success').length)
    })
  })
})
