/**
 * The storage contract: the same cases run against every backend (SQLite and Redis). A backend
 * that passes this suite can serve the relay.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { initialAccountState } from '../../src/accounts/model.ts'
import { RESYNC } from '../../src/coord/repository.ts'
import type { HistoryRecord, Outcome } from '../../src/history/model.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { emptyCounters } from '../../src/usage/model.ts'
import { makeAccount, makeGroup, makeHistory, makeKey, sleep } from '../helpers/fixtures.ts'

/** How a backend under test is created, and re-created on the same data. */
export interface StoreFactory {
  /** Fresh, empty stores. */
  make(): Promise<Stores>
  /** New stores over the same data as the last `make()` (a restart of the service). */
  reopen(): Promise<Stores>
  /** Drops the data (afterAll). */
  destroy?(): Promise<void>
}

/** Registers the contract suite for one backend. */
export function describeStoreContract(name: string, factory: StoreFactory): void {
  describe(`${name} store contract`, () => {
    let s: Stores
    beforeAll(async () => {
      s = await factory.make()
    })
    afterAll(async () => {
      await s.close()
      await factory.destroy?.()
    })

    describe('keys', () => {
      test('put, get, findByHash, list and delete round-trip a key', async () => {
        const k = makeKey({
          tags: ['a', 'b'],
          dailyCostLimit: 1.5,
          restrictedModels: ['claude-opus-4'],
        })
        await s.keys.put(k)
        expect(await s.keys.get(k.id)).toEqual(k)
        expect(await s.keys.findByHash(k.hash)).toEqual(k)
        expect((await s.keys.list()).map((x) => x.id)).toContain(k.id)
        expect(await s.keys.delete(k.id)).toBe(true)
        expect(await s.keys.get(k.id)).toBeNull()
        expect(await s.keys.findByHash(k.hash)).toBeNull()
        expect(await s.keys.delete(k.id)).toBe(false)
      })

      test('changing a key hash removes the old hash mapping', async () => {
        const k = makeKey()
        await s.keys.put(k)
        const renewed = { ...k, hash: 'f'.repeat(64) }
        await s.keys.put(renewed)
        expect(await s.keys.findByHash(k.hash)).toBeNull()
        expect((await s.keys.findByHash(renewed.hash))?.id).toBe(k.id)
        await s.keys.delete(k.id)
      })

      test('recordUse raises lastUsedAt in place: later times only, edits kept, unknown ids ignored', async () => {
        const k = makeKey({ lastUsedAt: null })
        await s.keys.put(k)
        const t1 = Date.parse('2026-03-01T10:00:00.000Z')
        await s.keys.recordUse(new Map([[k.id, t1]]))
        expect((await s.keys.get(k.id))?.lastUsedAt).toBe('2026-03-01T10:00:00.000Z')
        // An admin edit made after the use was recorded is not undone by the next use.
        const edited = { ...(await s.keys.get(k.id))!, name: 'renamed' }
        await s.keys.put(edited)
        await s.keys.recordUse(
          new Map([
            [k.id, t1 + 60_000],
            ['no-such-key', t1],
          ]),
        )
        // An earlier time (another instance flushing late) does not move it back.
        await s.keys.recordUse(new Map([[k.id, t1 - 60_000]]))
        const after = await s.keys.get(k.id)
        expect(after?.name).toBe('renamed')
        expect(after?.lastUsedAt).toBe('2026-03-01T10:01:00.000Z')
        expect((await s.keys.findByHash(k.hash))?.lastUsedAt).toBe('2026-03-01T10:01:00.000Z')
        const listed = (await s.keys.list()).find((x) => x.id === k.id)
        expect(listed?.lastUsedAt).toBe('2026-03-01T10:01:00.000Z')
        expect(await s.keys.get('no-such-key')).toBeNull()
        await s.keys.delete(k.id)
      })

      test('list returns keys in creation order', async () => {
        const a = makeKey({ createdAt: '2026-01-01T00:00:00.000Z' })
        const b = makeKey({ createdAt: '2026-01-02T00:00:00.000Z' })
        await s.keys.put(b)
        await s.keys.put(a)
        const ids = (await s.keys.list()).map((x) => x.id)
        expect(ids.indexOf(a.id)).toBeLessThan(ids.indexOf(b.id))
        await s.keys.delete(a.id)
        await s.keys.delete(b.id)
      })
    })

    describe('accounts', () => {
      test('put, get, list and delete round-trip an account', async () => {
        const a = makeAccount({
          supportedModels: { 'claude-x': 'claude-y' },
          proxy: { type: 'socks5', host: 'p', port: 1080 },
        })
        await s.accounts.put(a)
        expect(await s.accounts.get(a.id)).toEqual(a)
        expect((await s.accounts.list()).map((x) => x.id)).toContain(a.id)
        expect(await s.accounts.delete(a.id)).toBe(true)
        expect(await s.accounts.get(a.id)).toBeNull()
        expect(await s.accounts.delete(a.id)).toBe(false)
      })

      test('state starts initial, patches merge, and delete clears it', async () => {
        const a = makeAccount()
        await s.accounts.put(a)
        expect(await s.accounts.getState(a.id)).toEqual(initialAccountState())
        const after = await s.accounts.patchState(a.id, {
          status: 'unauthorized',
          rateLimitedUntil: 123,
        })
        expect(after.status).toBe('unauthorized')
        expect(after.rateLimitedUntil).toBe(123)
        const again = await s.accounts.patchState(a.id, { lastUsedAt: 5, lastError: 'boom' })
        expect(again).toMatchObject({
          status: 'unauthorized',
          rateLimitedUntil: 123,
          lastUsedAt: 5,
          lastError: 'boom',
        })
        const states = await s.accounts.getStates([a.id, 'missing'])
        expect(states.get(a.id)?.lastUsedAt).toBe(5)
        expect(states.get('missing')).toEqual(initialAccountState())
        await s.accounts.delete(a.id)
        expect(await s.accounts.getState(a.id)).toEqual(initialAccountState())
      })

      test('concurrent state patches of different fields all land', async () => {
        const a = makeAccount()
        await s.accounts.put(a)
        await Promise.all([
          s.accounts.patchState(a.id, { rateLimitedUntil: 1 }),
          s.accounts.patchState(a.id, { overloadedUntil: 2 }),
          s.accounts.patchState(a.id, { coolingUntil: 3 }),
          s.accounts.patchState(a.id, { lastUsedAt: 4 }),
        ])
        expect(await s.accounts.getState(a.id)).toMatchObject({
          rateLimitedUntil: 1,
          overloadedUntil: 2,
          coolingUntil: 3,
          lastUsedAt: 4,
        })
        await s.accounts.delete(a.id)
      })

      test('groups round-trip', async () => {
        const g = makeGroup()
        await s.accounts.putGroup(g)
        expect(await s.accounts.getGroup(g.id)).toEqual(g)
        expect((await s.accounts.listGroups()).map((x) => x.id)).toContain(g.id)
        expect(await s.accounts.deleteGroup(g.id)).toBe(true)
        expect(await s.accounts.getGroup(g.id)).toBeNull()
        expect(await s.accounts.deleteGroup(g.id)).toBe(false)
      })
    })

    describe('usage', () => {
      test('exportAll yields every live counter once, with its model and expiry, in batches', async () => {
        const [k, acct] = [crypto.randomUUID(), crypto.randomUUID()]
        const later = Date.now() + 3_600_000
        await s.usage.increment([
          { scope: 'key', id: k, period: 'total', values: { requests: 2 }, expiresAt: null },
          {
            scope: 'key',
            id: k,
            period: 'd:2026-11-27',
            values: { inputTokens: 5 },
            expiresAt: later,
          },
          {
            scope: 'key-model',
            id: k,
            model: 'claude-opus-4-1',
            period: 'm:2026-11',
            values: { costNanos: 9 },
            expiresAt: later,
          },
          { scope: 'account', id: acct, period: 'total', values: { requests: 1 }, expiresAt: null },
          // Already expired: not exported.
          {
            scope: 'account',
            id: acct,
            period: 'h:2020-01-01T00',
            values: { requests: 1 },
            expiresAt: Date.now() - 1000,
          },
        ])
        const ours = []
        let batches = 0
        for await (const batch of s.usage.exportAll(2)) {
          batches++
          expect(batch.length).toBeLessThanOrEqual(2)
          ours.push(...batch.filter((c) => c.id === k || c.id === acct))
        }
        expect(batches).toBeGreaterThanOrEqual(2)
        const seen = ours
          .map((c) => `${c.scope}|${c.id === k ? 'k' : 'a'}|${c.model ?? ''}|${c.period}`)
          .sort()
        expect(seen).toEqual([
          'account|a||total',
          'key-model|k|claude-opus-4-1|m:2026-11',
          'key|k||d:2026-11-27',
          'key|k||total',
        ])
        const byPeriod = new Map(ours.map((c) => [`${c.scope}|${c.period}`, c]))
        expect(byPeriod.get('key|total')).toMatchObject({ expiresAt: null })
        expect(byPeriod.get('key|total')?.counters.requests).toBe(2)
        expect(byPeriod.get('key-model|m:2026-11')?.counters.costNanos).toBe(9)
        const exp = byPeriod.get('key|d:2026-11-27')?.expiresAt ?? 0
        expect(Math.abs(exp - later)).toBeLessThan(5000)
      })

      test('increments add up and missing counters read as zero', async () => {
        const id = crypto.randomUUID()
        await s.usage.increment([
          {
            scope: 'key',
            id,
            period: 'd:2026-11-26',
            values: { requests: 1, inputTokens: 10, costNanos: 7 },
            expiresAt: null,
          },
          {
            scope: 'key',
            id,
            period: 'd:2026-11-26',
            values: { requests: 1, outputTokens: 5, costNanos: 3 },
            expiresAt: null,
          },
        ])
        const [day, none] = await s.usage.get([
          { scope: 'key', id, period: 'd:2026-11-26' },
          { scope: 'key', id, period: 'd:2026-11-25' },
        ])
        expect(day).toEqual({
          ...emptyCounters(),
          requests: 2,
          inputTokens: 10,
          outputTokens: 5,
          costNanos: 10,
        })
        expect(none).toEqual(emptyCounters())
      })

      test('many parallel increments give the exact sum', async () => {
        const id = crypto.randomUUID()
        await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            s.usage.increment([
              {
                scope: 'account',
                id,
                period: 'total',
                values: { requests: 1, costNanos: i },
                expiresAt: null,
              },
            ]),
          ),
        )
        const [c] = await s.usage.get([{ scope: 'account', id, period: 'total' }])
        expect(c?.requests).toBe(200)
        expect(c?.costNanos).toBe((199 * 200) / 2)
      })

      test('list returns every subject of a scope and period, and models of one subject', async () => {
        const period = `d:test-${crypto.randomUUID()}`
        const k1 = crypto.randomUUID()
        const k2 = crypto.randomUUID()
        await s.usage.increment([
          { scope: 'key', id: k1, period, values: { requests: 1 }, expiresAt: null },
          { scope: 'key', id: k2, period, values: { requests: 2 }, expiresAt: null },
          {
            scope: 'key-model',
            id: k1,
            model: 'claude-a',
            period,
            values: { requests: 1 },
            expiresAt: null,
          },
          {
            scope: 'key-model',
            id: k1,
            model: 'claude-b',
            period,
            values: { requests: 3 },
            expiresAt: null,
          },
          {
            scope: 'key-model',
            id: k2,
            model: 'claude-c',
            period,
            values: { requests: 1 },
            expiresAt: null,
          },
          { scope: 'model', id: 'claude-a', period, values: { requests: 1 }, expiresAt: null },
        ])
        const keys = await s.usage.list('key', period)
        expect(keys.map((r) => [r.id, r.counters.requests]).sort()).toEqual(
          [
            [k1, 1],
            [k2, 2],
          ].sort(),
        )
        const models = await s.usage.list('key-model', period, k1)
        expect(models.map((r) => [r.model, r.counters.requests]).sort()).toEqual([
          ['claude-a', 1],
          ['claude-b', 3],
        ])
        expect((await s.usage.list('model', period)).map((r) => r.id)).toEqual(['claude-a'])
        const [km] = await s.usage.get([{ scope: 'key-model', id: k1, model: 'claude-b', period }])
        expect(km?.requests).toBe(3)
      })

      test('sumField adds one field per subject over periods, ignoring per-model counters', async () => {
        const a = `sum-${crypto.randomUUID()}`
        const b = `sum-${crypto.randomUUID()}`
        const p1 = `d:sum-${crypto.randomUUID()}`
        const p2 = `d:sum-${crypto.randomUUID()}`
        await s.usage.increment([
          {
            scope: 'key',
            id: a,
            period: p1,
            values: { costNanos: 5, requests: 1 },
            expiresAt: null,
          },
          {
            scope: 'key',
            id: a,
            period: p2,
            values: { costNanos: 7, requests: 1 },
            expiresAt: null,
          },
          {
            scope: 'key',
            id: b,
            period: p2,
            values: { costNanos: 1, requests: 3 },
            expiresAt: null,
          },
          {
            scope: 'key-model',
            id: a,
            model: 'm',
            period: p1,
            values: { costNanos: 100 },
            expiresAt: null,
          },
        ])
        const cost = await s.usage.sumField('key', [p1, p2], 'costNanos')
        expect(cost.get(a)).toBe(12)
        expect(cost.get(b)).toBe(1)
        expect((await s.usage.sumField('key', [p1, p2], 'requests')).get(b)).toBe(3)
        expect((await s.usage.sumField('key', [], 'requests')).size).toBe(0)
      })

      test('counters expire at their expiresAt', async () => {
        const id = crypto.randomUUID()
        await s.usage.increment([
          { scope: 'key', id, period: 'h:x', values: { requests: 1 }, expiresAt: Date.now() + 150 },
          { scope: 'key', id, period: 'total', values: { requests: 1 }, expiresAt: null },
        ])
        expect((await s.usage.get([{ scope: 'key', id, period: 'h:x' }]))[0]?.requests).toBe(1)
        await sleep(300)
        const [h, t] = await s.usage.get([
          { scope: 'key', id, period: 'h:x' },
          { scope: 'key', id, period: 'total' },
        ])
        expect(h?.requests).toBe(0)
        expect(t?.requests).toBe(1)
        expect((await s.usage.list('key', 'h:x')).some((r) => r.id === id)).toBe(false)
      })

      test('purgeSubject deletes a key and its per-model counters only', async () => {
        const id = crypto.randomUUID()
        const other = crypto.randomUUID()
        await s.usage.increment([
          { scope: 'key', id, period: 'total', values: { requests: 1 }, expiresAt: null },
          { scope: 'key', id, period: 'd:2026-01-01', values: { requests: 1 }, expiresAt: null },
          {
            scope: 'key-model',
            id,
            model: 'm',
            period: 'total',
            values: { requests: 1 },
            expiresAt: null,
          },
          { scope: 'key', id: other, period: 'total', values: { requests: 1 }, expiresAt: null },
        ])
        expect(await s.usage.purgeSubject('key', id)).toBeGreaterThanOrEqual(3)
        const [a, b, c] = await s.usage.get([
          { scope: 'key', id, period: 'total' },
          { scope: 'key-model', id, model: 'm', period: 'total' },
          { scope: 'key', id: other, period: 'total' },
        ])
        expect([a?.requests, b?.requests, c?.requests]).toEqual([0, 0, 1])
      })
    })

    describe('limits', () => {
      test('admit without limits always passes and reports no window or lease', async () => {
        const r = await s.limits.admit({
          keyId: crypto.randomUUID(),
          leaseId: 'l',
          now: Date.now(),
        })
        expect(r).toEqual({ ok: true, stickyAccountId: null, windowStart: 0, concurrency: 0 })
      })

      test('exactly `limit` of many parallel requests pass the rate window', async () => {
        const keyId = crypto.randomUUID()
        const now = Date.now()
        const results = await Promise.all(
          Array.from({ length: 300 }, (_, i) =>
            s.limits.admit({
              keyId,
              leaseId: `l${i}`,
              now,
              window: { lengthMs: 60_000, maxRequests: 100, maxTokens: 0, maxCostNanos: 0 },
            }),
          ),
        )
        expect(results.filter((r) => r.ok).length).toBe(100)
        const rejected = results.find((r) => !r.ok)
        expect(rejected).toEqual({
          ok: false,
          reason: 'window-requests',
          limit: 100,
          current: 100,
          resetAt: now + 60_000,
        })
        expect((await s.limits.getWindow(keyId, 60_000, now))?.requests).toBe(100)
      })

      test('a window that has passed starts over', async () => {
        const keyId = crypto.randomUUID()
        const window = { lengthMs: 1000, maxRequests: 1, maxTokens: 0, maxCostNanos: 0 }
        const t0 = Date.now()
        expect((await s.limits.admit({ keyId, leaseId: 'a', now: t0, window })).ok).toBe(true)
        expect((await s.limits.admit({ keyId, leaseId: 'b', now: t0 + 10, window })).ok).toBe(false)
        const fresh = await s.limits.admit({ keyId, leaseId: 'c', now: t0 + 1000, window })
        expect(fresh).toMatchObject({ ok: true, windowStart: t0 + 1000 })
      })

      test('a usage batch adds to a window once, even when it is written again', async () => {
        const keyId = crypto.randomUUID()
        const window = { lengthMs: 60_000, maxRequests: 0, maxTokens: 0, maxCostNanos: 0 }
        const now = Date.now()
        const r = await s.limits.admit({ keyId, leaseId: 'a', now, window })
        if (!r.ok) throw new Error('expected admission')
        const item = { keyId, windowStart: r.windowStart, tokens: 10, costNanos: 3 }
        await s.limits.addWindowUsage([item], 'batch-1')
        // Admissions in between keep what the window took.
        await s.limits.admit({ keyId, leaseId: 'b', now: now + 1, window })
        await s.limits.addWindowUsage([item], 'batch-1')
        await s.limits.addWindowUsage([item], 'batch-2')
        for (let i = 3; i <= 12; i++) await s.limits.addWindowUsage([item], `batch-${i}`)
        await s.limits.addWindowUsage([item], 'batch-12')
        expect(await s.limits.getWindow(keyId, 60_000, now + 2)).toMatchObject({
          requests: 2,
          tokens: 120,
          costNanos: 36,
        })
      })

      test('window tokens and cost count only for the window that admitted them', async () => {
        const keyId = crypto.randomUUID()
        const window = { lengthMs: 60_000, maxRequests: 0, maxTokens: 100, maxCostNanos: 0 }
        const now = Date.now()
        const r = await s.limits.admit({ keyId, leaseId: 'a', now, window })
        if (!r.ok) throw new Error('expected admission')
        await s.limits.addWindowUsage([
          { keyId, windowStart: r.windowStart, tokens: 100, costNanos: 5 },
        ])
        await s.limits.addWindowUsage([
          { keyId, windowStart: r.windowStart - 1, tokens: 1000, costNanos: 5 },
        ])
        expect(await s.limits.getWindow(keyId, 60_000, now)).toEqual({
          start: now,
          requests: 1,
          tokens: 100,
          costNanos: 5,
        })
        const second = await s.limits.admit({ keyId, leaseId: 'b', now: now + 1, window })
        expect(second).toEqual({
          ok: false,
          reason: 'window-tokens',
          limit: 100,
          current: 100,
          resetAt: now + 60_000,
        })
        const cost = await s.limits.admit({
          keyId,
          leaseId: 'c',
          now: now + 1,
          window: { lengthMs: 60_000, maxRequests: 0, maxTokens: 0, maxCostNanos: 5 },
        })
        expect(cost).toMatchObject({ ok: false, reason: 'window-cost', limit: 5, current: 5 })
      })

      test('cost caps read key usage counters and reject at the cap', async () => {
        const keyId = crypto.randomUUID()
        await s.usage.increment([
          {
            scope: 'key',
            id: keyId,
            period: 'd:2026-11-26',
            values: { costNanos: 2_000_000 },
            expiresAt: null,
          },
        ])
        const caps = [
          { name: 'total' as const, period: 'total', limitNanos: 10_000_000, resetAt: null },
          { name: 'daily' as const, period: 'd:2026-11-26', limitNanos: 2_000_000, resetAt: 42 },
        ]
        const r = await s.limits.admit({ keyId, leaseId: 'x', now: Date.now(), costCaps: caps })
        expect(r).toEqual({
          ok: false,
          reason: 'daily',
          limit: 2_000_000,
          current: 2_000_000,
          resetAt: 42,
        })
        const ok = await s.limits.admit({
          keyId,
          leaseId: 'y',
          now: Date.now(),
          costCaps: [{ name: 'weekly-opus', period: 'opus-w:2026-W48', limitNanos: 1, resetAt: 1 }],
        })
        expect(ok.ok).toBe(true)
      })

      test('concurrency leases cap in-flight requests and free on release', async () => {
        const keyId = crypto.randomUUID()
        const now = Date.now()
        const c = { limit: 2, leaseMs: 60_000 }
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            s.limits.admit({ keyId, leaseId: `l${i}`, now, concurrency: c }),
          ),
        )
        const passed = results.flatMap((r, i) => (r.ok ? [`l${i}`] : []))
        expect(passed.length).toBe(2)
        expect(results.find((r) => !r.ok)).toEqual({
          ok: false,
          reason: 'concurrency',
          limit: 2,
          current: 2,
          resetAt: null,
        })
        expect(await s.limits.countLeases(keyId, now)).toBe(2)
        expect(await s.limits.release(keyId, passed[0]!)).toBe(true)
        expect(await s.limits.release(keyId, passed[0]!)).toBe(false)
        expect(await s.limits.admit({ keyId, leaseId: 'next', now, concurrency: c })).toMatchObject(
          { ok: true, concurrency: 2 },
        )
      })

      test('a rejected admission writes nothing', async () => {
        const keyId = crypto.randomUUID()
        const now = Date.now()
        await s.usage.increment([
          { scope: 'key', id: keyId, period: 'total', values: { costNanos: 9 }, expiresAt: null },
        ])
        const r = await s.limits.admit({
          keyId,
          leaseId: 'x',
          now,
          concurrency: { limit: 5, leaseMs: 60_000 },
          window: { lengthMs: 60_000, maxRequests: 10, maxTokens: 0, maxCostNanos: 0 },
          costCaps: [{ name: 'total', period: 'total', limitNanos: 9, resetAt: null }],
        })
        expect(r.ok).toBe(false)
        expect(await s.limits.countLeases(keyId, now)).toBe(0)
        expect(await s.limits.getWindow(keyId, 60_000, now)).toBeNull()
      })

      test('leases of crashed requests expire, and renew keeps live ones', async () => {
        const keyId = crypto.randomUUID()
        const now = Date.now()
        const c = { limit: 1, leaseMs: 1000 }
        expect((await s.limits.admit({ keyId, leaseId: 'crashed', now, concurrency: c })).ok).toBe(
          true,
        )
        expect(
          (await s.limits.admit({ keyId, leaseId: 'b', now: now + 500, concurrency: c })).ok,
        ).toBe(false)
        expect(
          (await s.limits.admit({ keyId, leaseId: 'c', now: now + 1001, concurrency: c })).ok,
        ).toBe(true)
        await s.limits.renew([{ keyId, leaseId: 'c' }], 5000, now + 1500)
        expect(await s.limits.countLeases(keyId, now + 4000)).toBe(1)
        expect(await s.limits.countLeases(keyId, now + 6600)).toBe(0)
      })

      test('account leases cap an account', async () => {
        const accountId = crypto.randomUUID()
        const now = Date.now()
        const got = await Promise.all(
          Array.from({ length: 10 }, (_, i) =>
            s.limits.acquireAccountLease(accountId, `l${i}`, 3, 60_000, now),
          ),
        )
        expect(got.filter(Boolean).length).toBe(3)
        expect(await s.limits.countAccountLeases(accountId, now)).toBe(3)
        const first = got.indexOf(true)
        expect(await s.limits.releaseAccountLease(accountId, `l${first}`)).toBe(true)
        expect(await s.limits.countAccountLeases(accountId, now)).toBe(2)
        expect(await s.limits.acquireAccountLease(accountId, 'late', 3, 60_000, now + 61_000)).toBe(
          true,
        )
        expect(await s.limits.countAccountLeases(accountId, now + 61_000)).toBe(1)
      })

      test('sticky sessions are read by admit, expire and can be deleted', async () => {
        const keyId = crypto.randomUUID()
        await s.limits.setSticky(keyId, 'sess', 'acc-1', 60_000)
        expect(await s.limits.getSticky(keyId, 'sess')).toBe('acc-1')
        expect(await s.limits.getSticky(crypto.randomUUID(), 'sess')).toBeNull()
        const r = await s.limits.admit({
          keyId,
          leaseId: 'x',
          now: Date.now(),
          sessionHash: 'sess',
        })
        expect(r).toMatchObject({ ok: true, stickyAccountId: 'acc-1' })
        await s.limits.deleteSticky(keyId, 'sess')
        expect(await s.limits.getSticky(keyId, 'sess')).toBeNull()
        await s.limits.setSticky(keyId, 'short', 'acc-2', 150)
        await sleep(300)
        expect(await s.limits.getSticky(keyId, 'short')).toBeNull()
      })

      test('claimSticky: of concurrent claims of a new session one wins; an expired pin is claimable', async () => {
        const keyId = crypto.randomUUID()
        const owners = await Promise.all(
          ['acc-a', 'acc-b', 'acc-c', 'acc-d'].map((a) =>
            s.limits.claimSticky(keyId, 'new', a, 60_000),
          ),
        )
        expect(new Set(owners).size).toBe(1)
        expect(await s.limits.getSticky(keyId, 'new')).toBe(owners[0]!)
        // setSticky still replaces (a pinned account that cannot serve is replaced on purpose).
        await s.limits.setSticky(keyId, 'new', 'acc-z', 60_000)
        expect(await s.limits.claimSticky(keyId, 'new', 'acc-y', 60_000)).toBe('acc-z')
        expect(await s.limits.claimSticky(keyId, 'brief', 'acc-1', 150)).toBe('acc-1')
        await sleep(300)
        expect(await s.limits.claimSticky(keyId, 'brief', 'acc-2', 60_000)).toBe('acc-2')
      })
    })

    describe('history', () => {
      const base = Date.UTC(2026, 10, 20)
      const tag = crypto.randomUUID().slice(0, 8)
      const k = (n: number) => `hk-${tag}-${n}`
      const recs = Array.from({ length: 60 }, (_, i) =>
        makeHistory({
          startTime: base + i * 3_600_000,
          keyId: k(i % 3),
          accountId: i % 2 === 0 ? `ha-${tag}-even` : `ha-${tag}-odd`,
          model: i % 4 === 0 ? 'claude-opus-4-1' : 'claude-sonnet-4-5',
          outcome: i % 5 === 0 ? 'error' : 'success',
          status: i % 5 === 0 ? 529 : 200,
          errorMessage: i % 5 === 0 ? `Overloaded ${tag}` : '',
          platform: i % 3 === 1 ? 'claude-oauth' : 'claude-console',
          costNanos: i,
          // OpenAI answers report reasoning tokens; other records have none (field absent).
          ...(i % 6 === 2 && { reasoningTokens: 5 }),
        }),
      )
      beforeAll(async () => {
        await s.history.write(recs.slice(0, 30))
        await s.history.write(recs.slice(30))
      })

      const expected = (pred: (r: (typeof recs)[number]) => boolean) =>
        recs.filter(pred).sort((a, b) => b.startTime - a.startTime)

      test('get returns the full record and write replaces without duplicating', async () => {
        const r = recs[7]!
        expect(await s.history.get(r.id)).toEqual(r)
        const withReasoning = await s.history.get(recs[8]!.id)
        expect(withReasoning).toEqual(recs[8]!)
        expect(withReasoning?.reasoningTokens).toBe(5)
        expect(r.reasoningTokens).toBeUndefined()
        await s.history.write([{ ...r, responseBody: 'changed' }])
        expect((await s.history.get(r.id))?.responseBody).toBe('changed')
        const page = await s.history.query(
          { keyId: r.keyId, from: base, to: base + 60 * 3_600_000 },
          { limit: 100, offset: 0 },
        )
        expect(page.items.filter((x) => x.id === r.id).length).toBe(1)
        await s.history.write([r])
      })

      test('a single filter returns exact totals, newest first, paged', async () => {
        const want = expected((r) => r.keyId === k(1))
        const p1 = await s.history.query({ keyId: k(1) }, { limit: 5, offset: 0 })
        const p2 = await s.history.query({ keyId: k(1) }, { limit: 5, offset: 5 })
        expect(p1.total).toBe(want.length)
        expect([...p1.items, ...p2.items].map((x) => x.id)).toEqual(
          want.slice(0, 10).map((x) => x.id),
        )
        expect(p1.items[0]).not.toHaveProperty('requestBody')
      })

      test('combined filters intersect, with exact totals', async () => {
        const from = base + 10 * 3_600_000
        const to = base + 50 * 3_600_000
        const cases = [
          {
            filter: { keyId: k(0), model: 'claude-opus-4-1', from, to },
            pred: (r: (typeof recs)[number]) => r.keyId === k(0) && r.model === 'claude-opus-4-1',
          },
          {
            filter: { accountId: `ha-${tag}-odd`, outcome: 'error' as const },
            pred: (r: (typeof recs)[number]) =>
              r.accountId === `ha-${tag}-odd` && r.outcome === 'error',
          },
          {
            filter: {
              keyId: k(2),
              accountId: `ha-${tag}-even`,
              outcome: 'success' as const,
              from,
              to,
            },
            pred: (r: (typeof recs)[number]) =>
              r.keyId === k(2) && r.accountId === `ha-${tag}-even` && r.outcome === 'success',
          },
          {
            filter: { q: tag.toUpperCase(), from, to },
            pred: (r: (typeof recs)[number]) => r.errorMessage.includes(tag),
          },
          {
            filter: { platform: 'claude-oauth', from, to },
            pred: (r: (typeof recs)[number]) => r.platform === 'claude-oauth',
          },
          {
            filter: { accountId: `ha-${tag}-even`, platform: 'claude-console' },
            pred: (r: (typeof recs)[number]) =>
              r.accountId === `ha-${tag}-even` && r.platform === 'claude-console',
          },
        ]
        for (const c of cases) {
          const want = expected(
            (r) =>
              (c.filter.from === undefined || (r.startTime >= from && r.startTime < to)) &&
              c.pred(r),
          )
          const got = await s.history.query(c.filter, { limit: 3, offset: 1 })
          expect(got.total).toBe(want.length)
          expect(got.items.map((x) => x.id)).toEqual(want.slice(1, 4).map((x) => x.id))
        }
      })

      test('the time range is inclusive at from and exclusive at to', async () => {
        const got = await s.history.query(
          { keyId: k(0), from: base, to: base + 3 * 3_600_000 },
          { limit: 10, offset: 0 },
        )
        expect(got.items.map((x) => x.startTime)).toEqual([base])
      })

      test('stats aggregate the selection with a time series', async () => {
        const from = base
        const to = base + 24 * 3_600_000
        const sel = recs.filter((r) => r.startTime >= from && r.startTime < to && r.keyId === k(0))
        const st = await s.history.stats(
          { keyId: k(0), from, to },
          { bucketMs: 6 * 3_600_000, tzOffsetHours: 0 },
        )
        expect(st.total).toBe(sel.length)
        expect(st.costNanos).toBe(sel.reduce((a, r) => a + r.costNanos, 0))
        expect(st.byOutcome.error ?? 0).toBe(sel.filter((r) => r.outcome === 'error').length)
        expect(st.byStatus['529'] ?? 0).toBe(sel.filter((r) => r.status === 529).length)
        expect(st.byModel['claude-opus-4-1']?.requests ?? 0).toBe(
          sel.filter((r) => r.model === 'claude-opus-4-1').length,
        )
        expect(st.inputTokens).toBe(sel.length * 10)
        expect(st.avgDurationMs).toBe(100)
        expect(st.avgTtfbMs).toBe(20)
        expect(st.series?.reduce((a, b) => a + b.requests, 0)).toBe(sel.length)
        expect(st.series?.every((b) => (b.t - base) % (6 * 3_600_000) === 0)).toBe(true)
      })

      test('stats count requests apart from rejections and count_tokens calls', async () => {
        const at = base + 300 * 3_600_000
        const key = k(7)
        const mk = (i: number, outcome: Outcome, endpoint: string) =>
          makeHistory({ startTime: at + i * 60_000, keyId: key, outcome, endpoint })
        const batch = [
          mk(0, 'success', '/api/v1/messages'),
          mk(1, 'success', '/openai/v1/chat/completions'),
          mk(2, 'error', '/api/v1/messages'),
          mk(3, 'aborted', '/api/v1/messages'),
          mk(4, 'rejected', '/api/v1/messages'),
          mk(5, 'rejected', '/api/v1/messages/count_tokens'),
          mk(6, 'success', '/api/v1/messages/count_tokens'),
          mk(7, 'error', '/claude/v1/messages/count_tokens'),
        ]
        await s.history.write(batch)
        // Whole hours come from aggregates on Redis, partial ones from a scan: check both.
        for (const [from, to] of [
          [at, at + 3_600_000],
          [at + 1, at + 3_600_000],
        ] as const) {
          const st = await s.history.stats({ keyId: key, from, to }, { bucketMs: 3_600_000 })
          const skip = from === at ? 0 : 1
          expect(st.total).toBe(8 - skip)
          expect(st.billable).toBe(4 - skip)
          expect(st.billableFailed).toBe(2)
          expect(st.byOutcome.rejected).toBe(2)
          expect(st.series?.map((b) => [b.requests, b.billable, b.billableFailed])).toEqual([
            [8 - skip, 4 - skip, 2],
          ])
        }
        for (const r of batch) await s.history.delete(r.id)
      })

      test('large bodies are stored compressed and read back exactly', async () => {
        const code = (n: number) =>
          Array.from(
            { length: n },
            (_, i) =>
              `${i}: const café = "naïve ☕ ${i % 7}"; // “quoted” \\ \u0000 ${'#'.repeat(i % 13)}`,
          ).join('\n')
        const before = await s.history.size()
        const r = makeHistory({
          startTime: base + 200 * 3_600_000,
          keyId: k(8),
          requestBody: code(3000),
          responseBody: code(1500).toUpperCase(),
        })
        await s.history.write([r])
        expect(await s.history.get(r.id)).toEqual(r)
        const scanned: HistoryRecord[] = []
        for await (const b of s.history.scan({ keyId: k(8) }, 10)) scanned.push(...b)
        expect(scanned).toEqual([r])
        const textBytes = Buffer.byteLength(r.requestBody) + Buffer.byteLength(r.responseBody)
        const grew = (await s.history.size()).bytes - before.bytes
        expect(grew).toBeGreaterThan(0)
        expect(grew).toBeLessThan(textBytes / 3)
        // Written again small, and large once more: each version reads back whole.
        const small = { ...r, requestBody: 'short', responseBody: '' }
        await s.history.write([small])
        expect(await s.history.get(r.id)).toEqual(small)
        await s.history.write([r])
        expect(await s.history.get(r.id)).toEqual(r)
        expect(await s.history.delete(r.id)).toBe(true)
        expect((await s.history.size()).bytes).toBe(before.bytes)
      })

      test('scan yields every match in batches', async () => {
        const batches: string[][] = []
        for await (const b of s.history.scan({ accountId: `ha-${tag}-even` }, 7))
          batches.push(b.map((r) => r.id))
        expect(batches.every((b) => b.length <= 7)).toBe(true)
        expect(batches.flat()).toEqual(
          expected((r) => r.accountId === `ha-${tag}-even`).map((r) => r.id),
        )
      })

      test('delete and deleteBefore remove records from every index', async () => {
        const victim = recs[59]!
        expect(await s.history.delete(victim.id)).toBe(true)
        expect(await s.history.delete(victim.id)).toBe(false)
        expect(await s.history.get(victim.id)).toBeNull()
        const n = await s.history.deleteBefore(base + 5 * 3_600_000)
        expect(n).toBeGreaterThanOrEqual(5)
        const left = await s.history.query(
          { keyId: k(0), from: base, to: base + 5 * 3_600_000 },
          { limit: 10, offset: 0 },
        )
        expect(left.total).toBe(0)
        const st = await s.history.stats({ keyId: k(0), from: base, to: base + 5 * 3_600_000 })
        expect(st.total).toBe(0)
      })

      test('trimToBytes deletes the oldest records until under the cap', async () => {
        const before = await s.history.size()
        expect(before.count).toBeGreaterThan(0)
        // Random printable text: large bodies are stored compressed, and this one cannot shrink.
        const noise = String.fromCharCode(
          ...crypto.getRandomValues(new Uint8Array(50_000)).map((b) => 32 + (b % 95)),
        )
        const big = makeHistory({
          startTime: base + 100 * 3_600_000,
          keyId: k(9),
          responseBody: noise,
        })
        await s.history.write([big])
        const deleted = await s.history.trimToBytes(60_000)
        expect(deleted).toBeGreaterThan(0)
        const after = await s.history.size()
        expect(after.bytes).toBeLessThanOrEqual(60_000)
        expect(await s.history.get(big.id)).not.toBeNull()
      })
    })

    describe('settings and audit', () => {
      test('settings round-trip JSON documents', async () => {
        const name = `test-${crypto.randomUUID()}`
        expect(await s.settings.get(name)).toBeNull()
        await s.settings.put(name, { a: 1, b: ['x'] })
        expect(await s.settings.get(name)).toEqual({ a: 1, b: ['x'] })
        await s.settings.delete(name)
        expect(await s.settings.get(name)).toBeNull()
      })

      test('names lists every stored setting, sorted', async () => {
        const base = `names-${crypto.randomUUID()}`
        for (const n of [`${base}:b`, `${base}:a`, `${base}:c*[x]`]) await s.settings.put(n, 1)
        await s.settings.delete(`${base}:b`)
        const names = await s.settings.names()
        expect(names.filter((n) => n.startsWith(base))).toEqual([`${base}:a`, `${base}:c*[x]`])
        expect(names).toEqual([...names].sort())
      })

      test('audit entries list newest first with filters and prune', async () => {
        const actor = `actor-${crypto.randomUUID()}`
        const t = Date.now()
        await s.settings.appendAudit(
          Array.from({ length: 5 }, (_, i) => ({
            id: crypto.randomUUID(),
            at: t + i,
            actor,
            action: i % 2 ? 'key.update' : 'key.create',
            target: `k${i}`,
            ip: '127.0.0.1',
            before: null,
            after: { i },
          })),
        )
        const all = await s.settings.listAudit({ limit: 10, actor })
        expect(all.map((e) => e.target)).toEqual(['k4', 'k3', 'k2', 'k1', 'k0'])
        expect(
          (await s.settings.listAudit({ limit: 10, actor, action: 'key.update' })).map(
            (e) => e.target,
          ),
        ).toEqual(['k3', 'k1'])
        expect(
          (await s.settings.listAudit({ limit: 2, actor, before: t + 3 })).map((e) => e.target),
        ).toEqual(['k2', 'k1'])
        expect(await s.settings.pruneAudit(t + 2)).toBeGreaterThanOrEqual(2)
        expect((await s.settings.listAudit({ limit: 10, actor })).length).toBe(3)
      })
    })

    describe('coordination', () => {
      test('a lock has one holder and is released only by its owner', async () => {
        const name = `lock-${crypto.randomUUID()}`
        const got = await Promise.all(
          Array.from({ length: 20 }, (_, i) => s.coord.acquireLock(name, `o${i}`, 60_000)),
        )
        expect(got.filter(Boolean).length).toBe(1)
        const owner = `o${got.indexOf(true)}`
        expect(await s.coord.releaseLock(name, 'someone-else')).toBe(false)
        expect(await s.coord.releaseLock(name, owner)).toBe(true)
        expect(await s.coord.acquireLock(name, 'next', 150)).toBe(true)
        await sleep(300)
        expect(await s.coord.acquireLock(name, 'after-expiry', 1000)).toBe(true)
      })

      test('temp values expire and takeTemp reads once', async () => {
        const name = `tmp-${crypto.randomUUID()}`
        await s.coord.setTemp(name, 'v', 60_000)
        expect(await s.coord.getTemp(name)).toBe('v')
        expect(await s.coord.takeTemp(name)).toBe('v')
        expect(await s.coord.takeTemp(name)).toBeNull()
        await s.coord.setTemp(name, 'w', 150)
        await sleep(300)
        expect(await s.coord.getTemp(name)).toBeNull()
        await s.coord.setTemp(name, 'z', 60_000)
        await s.coord.deleteTemp(name)
        expect(await s.coord.getTemp(name)).toBeNull()
      })

      test('incrementTemp counts exactly under concurrency and expires', async () => {
        const name = `cnt-${crypto.randomUUID()}`
        const values = await Promise.all(
          Array.from({ length: 50 }, () => s.coord.incrementTemp(name, 300)),
        )
        expect(values.sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1))
        await sleep(500)
        expect(await s.coord.incrementTemp(name, 300)).toBe(1)
      })

      test('published messages reach subscribers until they unsubscribe', async () => {
        const channel = `ch-${crypto.randomUUID()}`
        const got: string[] = []
        // RESYNC ("re-read what you cached") may come at any time; only messages count here.
        const unsubscribe = await s.coord.subscribe(channel, (m) => m !== RESYNC && got.push(m))
        await s.coord.publish(channel, 'one')
        for (let i = 0; i < 50 && got.length < 1; i++) await sleep(10)
        expect(got).toEqual(['one'])
        await unsubscribe()
        await s.coord.publish(channel, 'two')
        await sleep(50)
        expect(got).toEqual(['one'])
      })
    })

    describe('lifecycle', () => {
      test('ping answers with a latency', async () => {
        const ms = await s.ping()
        expect(ms).toBeGreaterThanOrEqual(0)
        expect(ms).toBeLessThan(1000)
      })

      test('data survives a restart of the service', async () => {
        const key = makeKey()
        const acc = makeAccount()
        const hist = makeHistory()
        await s.keys.put(key)
        await s.accounts.put(acc)
        await s.accounts.patchState(acc.id, { status: 'blocked' })
        await s.usage.increment([
          { scope: 'key', id: key.id, period: 'total', values: { requests: 3 }, expiresAt: null },
        ])
        await s.history.write([hist])
        await s.settings.put('restart-check', { ok: true })
        await s.close()
        s = await factory.reopen()
        expect(await s.keys.findByHash(key.hash)).toEqual(key)
        expect(await s.accounts.get(acc.id)).toEqual(acc)
        expect((await s.accounts.getState(acc.id)).status).toBe('blocked')
        expect(
          (await s.usage.get([{ scope: 'key', id: key.id, period: 'total' }]))[0]?.requests,
        ).toBe(3)
        expect(await s.history.get(hist.id)).toEqual(hist)
        expect(await s.settings.get('restart-check')).toEqual({ ok: true })
      })

      test('sweepExpired removes expired rows and never live ones', async () => {
        const keyId = crypto.randomUUID()
        await s.limits.setSticky(keyId, 'live', 'a', 60_000)
        const n = await s.sweepExpired(Date.now() + 1)
        expect(n).toBeGreaterThanOrEqual(0)
        expect(await s.limits.getSticky(keyId, 'live')).toBe('a')
      })
    })
  })
}
