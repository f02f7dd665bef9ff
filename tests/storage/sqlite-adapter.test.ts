import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '../../src/core/ports.ts'
import type { HistoryRecord } from '../../src/history/model.ts'
import { openBunSqlite } from '../../src/runtime/bun.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import { LeaseSet } from '../../src/storage/sqlite/limits-repo.ts'
import { MIGRATIONS } from '../../src/storage/sqlite/migrations.ts'
import { makeHistory, makeKey } from '../helpers/fixtures.ts'

function fakeClock(start = Date.UTC(2026, 10, 26)): Clock & { advance(ms: number): void } {
  let t = start
  return {
    now: () => t,
    advance: (ms) => {
      t += ms
    },
  }
}

function memoryStores(clock: Clock = fakeClock()) {
  const db = openBunSqlite(':memory:')
  return { db, stores: createSqliteStores(db, { clock }) }
}

const dir = mkdtempSync(join(tmpdir(), 'crs-sqlite-adapter-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('sqlite migrations', () => {
  test('migrations set user_version and a reopen keeps the data without re-running them', async () => {
    const file = join(dir, 'reopen.db')
    const first = createSqliteStores(openBunSqlite(file))
    const key = makeKey()
    await first.keys.put(key)
    await first.close()
    const db = openBunSqlite(file)
    const second = createSqliteStores(db)
    expect(db.get<{ user_version: number }>('PRAGMA user_version')?.user_version).toBe(
      MIGRATIONS.length,
    )
    expect(await second.keys.findByHash(key.hash)).toEqual(key)
    await second.close()
  })

  test('a database from a newer build is refused', () => {
    const db = openBunSqlite(':memory:')
    db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`)
    expect(() => createSqliteStores(db)).toThrow(/newer than this build/)
    db.close()
  })

  test('documents written before a field existed read back with its default', async () => {
    const { db, stores } = memoryStores()
    const key = makeKey()
    await stores.keys.put(key)
    const { tags: _, permissions: __, ...old } = key
    db.run('UPDATE api_keys SET doc = ? WHERE id = ?', [JSON.stringify(old), key.id])
    expect(await stores.keys.get(key.id)).toEqual({ ...key, tags: [], permissions: 'all' })
  })
})

describe('sqlite limits', () => {
  test('200 parallel admissions against a concurrency limit of 7 let exactly 7 through', async () => {
    const { stores } = memoryStores()
    const now = Date.UTC(2026, 10, 26)
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        stores.limits.admit({
          keyId: 'k',
          leaseId: `l${i}`,
          now,
          concurrency: { limit: 7, leaseMs: 60_000 },
        }),
      ),
    )
    const passed = results.filter((r) => r.ok)
    expect(passed.length).toBe(7)
    expect(passed.map((r) => r.ok && r.concurrency).sort()).toEqual([1, 2, 3, 4, 5, 6, 7])
    expect(results.find((r) => !r.ok)).toEqual({
      ok: false,
      reason: 'concurrency',
      limit: 7,
      current: 7,
      resetAt: null,
    })
    expect(await stores.limits.countLeases('k', now)).toBe(7)
  })

  test('200 parallel admissions against window, concurrency and a cost cap stop at the tightest', async () => {
    const { stores } = memoryStores()
    const now = Date.UTC(2026, 10, 26)
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        stores.limits.admit({
          keyId: 'k',
          leaseId: `l${i}`,
          now,
          concurrency: { limit: 50, leaseMs: 60_000 },
          window: { lengthMs: 60_000, maxRequests: 30, maxTokens: 0, maxCostNanos: 0 },
          costCaps: [{ name: 'daily', period: 'd:2026-11-26', limitNanos: 1, resetAt: 9 }],
        }),
      ),
    )
    expect(results.filter((r) => r.ok).length).toBe(30)
    expect(await stores.limits.countLeases('k', now)).toBe(30)
    expect(await stores.limits.getWindow('k', 60_000, now)).toEqual({
      start: now,
      requests: 30,
      tokens: 0,
      costNanos: 0,
    })
  })

  test('an expired cost counter no longer blocks admission', async () => {
    const clock = fakeClock()
    const { stores } = memoryStores(clock)
    const now = clock.now()
    await stores.usage.increment([
      { scope: 'key', id: 'k', period: 'd:x', values: { costNanos: 5 }, expiresAt: now + 1000 },
    ])
    const caps = [{ name: 'daily' as const, period: 'd:x', limitNanos: 5, resetAt: now + 1000 }]
    expect((await stores.limits.admit({ keyId: 'k', leaseId: 'a', now, costCaps: caps })).ok).toBe(
      false,
    )
    expect(
      (await stores.limits.admit({ keyId: 'k', leaseId: 'b', now: now + 1000, costCaps: caps })).ok,
    ).toBe(true)
  })

  test('sticky mappings and expired leases follow the injected clock and are swept', async () => {
    const clock = fakeClock()
    const { stores } = memoryStores(clock)
    await stores.limits.setSticky('k', 's', 'acc', 1000)
    expect(await stores.limits.getSticky('k', 's')).toBe('acc')
    await stores.limits.acquireAccountLease('a', 'l', 1, 500, clock.now())
    clock.advance(1000)
    expect(await stores.limits.getSticky('k', 's')).toBeNull()
    expect(await stores.sweepExpired(clock.now())).toBe(2)
    expect(await stores.sweepExpired(clock.now())).toBe(0)
  })
})

describe('sqlite leases', () => {
  test('leases of different lengths expire, renew and count right while the count costs O(1)', async () => {
    const { stores } = memoryStores()
    const t0 = Date.UTC(2026, 10, 27)
    const admit = (leaseId: string, now: number, leaseMs: number, limit = 2) =>
      stores.limits.admit({ keyId: 'k', leaseId, now, concurrency: { limit, leaseMs } })
    expect((await admit('a', t0, 100)).ok).toBe(true)
    expect((await admit('b', t0, 1000)).ok).toBe(true)
    expect(await stores.limits.countLeases('k', t0 + 50)).toBe(2)
    expect((await admit('x', t0 + 50, 1000)).ok).toBe(false)
    // a expires at t0 + 100: its slot is free again.
    expect(await stores.limits.countLeases('k', t0 + 150)).toBe(1)
    await stores.limits.renew([{ keyId: 'k', leaseId: 'b' }], 1000, t0 + 150)
    // A lease shorter than every lease held is tracked too.
    expect((await admit('c', t0 + 200, 10)).ok).toBe(true)
    expect(await stores.limits.countLeases('k', t0 + 205)).toBe(2)
    expect((await admit('y', t0 + 205, 1000)).ok).toBe(false)
    expect(await stores.limits.countLeases('k', t0 + 215)).toBe(1)
    // b was renewed to t0 + 1150.
    expect(await stores.limits.countLeases('k', t0 + 1100)).toBe(1)
    expect(await stores.limits.countLeases('k', t0 + 1200)).toBe(0)
    expect(await stores.limits.release('k', 'b')).toBe(false)
    // A released lease frees its slot at once.
    expect((await admit('d', t0 + 1200, 1000, 1)).ok).toBe(true)
    expect((await admit('e', t0 + 1200, 1000, 1)).ok).toBe(false)
    expect(await stores.limits.release('k', 'd')).toBe(true)
    expect((await admit('e', t0 + 1200, 1000, 1)).ok).toBe(true)
  })

  test('admission does not scan the leases while none has expired (1,000 in flight)', async () => {
    const { stores } = memoryStores()
    const now = Date.UTC(2026, 10, 27)
    const concurrency = { limit: 100_000, leaseMs: 600_000 }
    for (let i = 0; i < 1000; i++)
      await stores.limits.admit({ keyId: 'k', leaseId: `open${i}`, now, concurrency })
    // Count the scans: a scan per admission made each one O(leases), ~20 µs with 1,000.
    const iterate = LeaseSet.prototype[Symbol.iterator]
    let scans = 0
    LeaseSet.prototype[Symbol.iterator] = function (this: LeaseSet) {
      scans++
      return iterate.call(this)
    }
    try {
      for (let i = 0; i < 1000; i++) {
        const r = await stores.limits.admit({ keyId: 'k', leaseId: `l${i}`, now, concurrency })
        expect(r).toMatchObject({ ok: true, concurrency: 1001 })
        await stores.limits.release('k', `l${i}`)
      }
      expect(scans).toBe(0)
      // Once one has expired, the next count scans once and drops it.
      expect(await stores.limits.countLeases('k', now + 600_000)).toBe(0)
      expect(scans).toBe(1)
    } finally {
      LeaseSet.prototype[Symbol.iterator] = iterate
    }
  })
})

describe('sqlite usage and coordination', () => {
  test('an increment after expiry restarts the counter instead of adding to it', async () => {
    const clock = fakeClock()
    const { stores } = memoryStores(clock)
    const ref = { scope: 'key' as const, id: 'k', period: 'h:1' }
    await stores.usage.increment([
      { ...ref, values: { requests: 4 }, expiresAt: clock.now() + 100 },
    ])
    clock.advance(100)
    await stores.usage.increment([
      { ...ref, values: { requests: 1 }, expiresAt: clock.now() + 100 },
    ])
    expect((await stores.usage.get([ref]))[0]?.requests).toBe(1)
  })

  test('incrementTemp keeps the expiry of the first increment', async () => {
    const clock = fakeClock()
    const { stores } = memoryStores(clock)
    expect(await stores.coord.incrementTemp('c', 1000)).toBe(1)
    clock.advance(600)
    expect(await stores.coord.incrementTemp('c', 1000)).toBe(2)
    clock.advance(400)
    expect(await stores.coord.incrementTemp('c', 1000)).toBe(1)
  })

  test('a lock is not re-entrant and can be taken once it expires', async () => {
    const clock = fakeClock()
    const { stores } = memoryStores(clock)
    expect(await stores.coord.acquireLock('l', 'a', 1000)).toBe(true)
    expect(await stores.coord.acquireLock('l', 'a', 1000)).toBe(false)
    clock.advance(1000)
    expect(await stores.coord.releaseLock('l', 'a')).toBe(false)
    expect(await stores.coord.acquireLock('l', 'b', 1000)).toBe(true)
  })
})

describe('sqlite history', () => {
  const base = Date.UTC(2026, 10, 20)
  const hour = 3_600_000
  const recs: HistoryRecord[] = Array.from({ length: 48 }, (_, i) =>
    makeHistory({
      id: `req_${String(i).padStart(3, '0')}`,
      startTime: base + i * hour,
      keyId: `k${i % 2}`,
      keyName: i % 2 ? 'Odd_Key' : 'Even%Key',
      accountId: `a${i % 3}`,
      model: i % 4 === 0 ? 'claude-opus-4-1' : 'claude-sonnet-4-5',
      outcome: i % 6 === 0 ? 'error' : 'success',
      status: i % 6 === 0 ? 500 : 200,
      ttfbMs: i % 2 ? null : 30,
      inputTokens: 1,
      outputTokens: 2,
      cacheCreate5mTokens: 3,
      cacheCreate1hTokens: 4,
      cacheReadTokens: 5,
      costNanos: 10,
    }),
  )

  async function seeded() {
    const { stores } = memoryStores()
    await stores.history.write(recs)
    return stores
  }

  test('combined filters, q and paging agree with a plain filter over the records', async () => {
    const stores = await seeded()
    const from = base + 5 * hour
    const to = base + 40 * hour
    const pred = (r: HistoryRecord) =>
      r.startTime >= from &&
      r.startTime < to &&
      r.keyId === 'k0' &&
      r.accountId === 'a0' &&
      r.outcome === 'success'
    const want = recs.filter(pred).sort((a, b) => b.startTime - a.startTime)
    const got = await stores.history.query(
      { from, to, keyId: 'k0', accountId: 'a0', outcome: 'success' },
      { limit: 2, offset: 1 },
    )
    expect(got.total).toBe(want.length)
    expect(got.items.map((x) => x.id)).toEqual(want.slice(1, 3).map((x) => x.id))
  })

  test('q treats LIKE wildcards literally and ignores case', async () => {
    const stores = await seeded()
    expect((await stores.history.query({ q: 'even%' }, { limit: 100, offset: 0 })).total).toBe(24)
    expect((await stores.history.query({ q: 'ODD_' }, { limit: 100, offset: 0 })).total).toBe(24)
    expect((await stores.history.query({ q: 'd%k' }, { limit: 100, offset: 0 })).total).toBe(0)
    expect((await stores.history.query({ q: 'REQ_04' }, { limit: 100, offset: 0 })).total).toBe(8)
  })

  test('stats sum tokens per model and bucket by local time', async () => {
    const stores = await seeded()
    const st = await stores.history.stats(
      { from: base, to: base + 24 * hour },
      { bucketMs: 86_400_000, tzOffsetHours: 8 },
    )
    expect(st.total).toBe(24)
    expect(st.byModel['claude-opus-4-1']).toEqual({ requests: 6, tokens: 6 * 15, costNanos: 60 })
    expect(st.byStatus).toEqual({ '200': 20, '500': 4 })
    expect(st.cacheCreateTokens).toBe(24 * 7)
    expect(st.avgTtfbMs).toBe(30)
    // Local midnight at UTC+8 is 16:00 UTC: hours 0–15 fall in one local day, 16–23 in the next.
    expect(st.series).toEqual([
      {
        t: base - 8 * hour,
        requests: 16,
        errors: 3,
        billable: 16,
        billableFailed: 3,
        tokens: 16 * 15,
        costNanos: 160,
      },
      {
        t: base + 16 * hour,
        requests: 8,
        errors: 1,
        billable: 8,
        billableFailed: 1,
        tokens: 8 * 15,
        costNanos: 80,
      },
    ])
  })

  test('scan pages by keyset across equal start times', async () => {
    const { stores } = memoryStores()
    const same = Array.from({ length: 10 }, (_, i) =>
      makeHistory({ id: `same_${i}`, startTime: base }),
    )
    await stores.history.write(same)
    const ids: string[] = []
    for await (const b of stores.history.scan({}, 3)) ids.push(...b.map((r) => r.id))
    expect(ids).toEqual(same.map((r) => r.id).reverse())
  })

  test('size and trimToBytes follow writes, replacements and deletes', async () => {
    const stores = await seeded()
    const before = await stores.history.size()
    expect(before.count).toBe(48)
    await stores.history.write([{ ...recs[0]!, responseBody: 'x'.repeat(1000) }])
    const after = await stores.history.size()
    expect(after.count).toBe(48)
    expect(after.bytes - before.bytes).toBe(1000 - recs[0]!.responseBody.length)
    expect(await stores.history.deleteBefore(base + 10 * hour)).toBe(10)
    expect((await stores.history.size()).count).toBe(38)
    const perRecord = (await stores.history.size()).bytes / 38
    const removed = await stores.history.trimToBytes(Math.floor(perRecord * 20))
    expect(removed).toBe(18)
    expect((await stores.history.query({}, { limit: 1, offset: 0 })).items[0]?.id).toBe('req_047')
    expect((await stores.history.size()).count).toBe(20)
  })
})
