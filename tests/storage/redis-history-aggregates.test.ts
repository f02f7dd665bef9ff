/**
 * Redis history hourly aggregates: stats answered from them must equal a brute-force computation
 * over the live records, after writes, rewrites, deletes, deleteBefore and trimToBytes, and the
 * aggregate hashes must hold exactly the live records (and vanish when their hour empties).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Redis from 'ioredis'
import {
  emptyHistoryStats,
  type HistoryFilter,
  type HistoryRecord,
  type HistoryStats,
  type Outcome,
} from '../../src/history/model.ts'
import { scanDelete } from '../../src/storage/redis/client.ts'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { aggregateFields } from '../../src/storage/redis/history-repo.ts'
import { createRedisKeys } from '../../src/storage/redis/keys.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { makeHistory } from '../helpers/fixtures.ts'
import { REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'

const HOUR = 3_600_000
const prefix = `test:${crypto.randomUUID()}`
const keys = createRedisKeys(prefix)

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const rand = rng(20261120)
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
const int = (n: number) => Math.floor(rand() * n)

const base = Date.UTC(2026, 10, 20) + 17 * 60_000
const KEY_IDS = ['ka', 'kb', 'kc', 'k:d']
const ACCOUNTS = ['a1', 'a2', 'a3']
const MODELS = ['claude-opus-4-1', 'claude-sonnet-4-5', 'claude-haiku-4-5']
const OUTCOMES: Outcome[] = ['success', 'success', 'success', 'error', 'aborted', 'rejected']

function randomRecord(overrides: Partial<HistoryRecord> = {}): HistoryRecord {
  const outcome = pick(OUTCOMES)
  const status = outcome === 'success' ? 200 : pick([400, 429, 500, 529, 0])
  const startTime = base + int(72 * HOUR)
  const durationMs = 1 + int(30_000)
  return makeHistory({
    startTime,
    endTime: startTime + durationMs,
    durationMs,
    ttfbMs: rand() < 0.3 ? null : int(2000),
    keyId: pick(KEY_IDS),
    accountId: pick(ACCOUNTS),
    model: pick(MODELS),
    outcome,
    status,
    inputTokens: int(5000),
    outputTokens: int(2000),
    cacheCreate5mTokens: rand() < 0.5 ? 0 : int(3000),
    cacheCreate1hTokens: rand() < 0.8 ? 0 : int(3000),
    cacheReadTokens: rand() < 0.4 ? 0 : int(50_000),
    costNanos: int(2_000_000_000),
    responseBody: 'r'.repeat(int(400)),
    endpoint: rand() < 0.2 ? '/api/v1/messages/count_tokens' : '/api/v1/messages',
    ...overrides,
  })
}

/** The stats a full scan gives, computed directly over the records. */
function bruteStats(
  records: Iterable<HistoryRecord>,
  f: HistoryFilter,
  options: { bucketMs?: number; tzOffsetHours?: number } = {},
): HistoryStats {
  const st: HistoryStats = emptyHistoryStats()
  const series = new Map<number, NonNullable<HistoryStats['series']>[number]>()
  let dur = 0
  let ttfb = 0
  let ttfbN = 0
  const shift = (options.tzOffsetHours ?? 0) * HOUR
  for (const r of records) {
    if (f.from !== undefined && r.startTime < f.from) continue
    if (f.to !== undefined && r.startTime >= f.to) continue
    if (f.keyId !== undefined && r.keyId !== f.keyId) continue
    if (f.accountId !== undefined && r.accountId !== f.accountId) continue
    if (f.model !== undefined && r.model !== f.model) continue
    if (f.outcome !== undefined && r.outcome !== f.outcome) continue
    const tokens =
      r.inputTokens +
      r.outputTokens +
      r.cacheCreate5mTokens +
      r.cacheCreate1hTokens +
      r.cacheReadTokens
    const counted = r.outcome !== 'rejected' && !r.endpoint.endsWith('/count_tokens')
    st.total++
    if (counted) st.billable++
    if (counted && r.outcome !== 'success') st.billableFailed++
    st.byOutcome[r.outcome] = (st.byOutcome[r.outcome] ?? 0) + 1
    st.byStatus[String(r.status)] = (st.byStatus[String(r.status)] ?? 0) + 1
    const m = st.byModel[r.model] ?? { requests: 0, tokens: 0, costNanos: 0 }
    m.requests++
    m.tokens += tokens
    m.costNanos += r.costNanos
    st.byModel[r.model] = m
    st.inputTokens += r.inputTokens
    st.outputTokens += r.outputTokens
    st.cacheCreateTokens += r.cacheCreate5mTokens + r.cacheCreate1hTokens
    st.cacheReadTokens += r.cacheReadTokens
    st.costNanos += r.costNanos
    dur += r.durationMs
    if (r.ttfbMs != null) {
      ttfb += r.ttfbMs
      ttfbN++
    }
    if (options.bucketMs) {
      const t = Math.floor((r.startTime + shift) / options.bucketMs) * options.bucketMs - shift
      const b = series.get(t) ?? {
        t,
        requests: 0,
        errors: 0,
        billable: 0,
        billableFailed: 0,
        tokens: 0,
        costNanos: 0,
      }
      b.requests++
      if (r.outcome !== 'success') b.errors++
      if (counted) b.billable++
      if (counted && r.outcome !== 'success') b.billableFailed++
      b.tokens += tokens
      b.costNanos += r.costNanos
      series.set(t, b)
    }
  }
  st.avgDurationMs = st.total ? dur / st.total : 0
  st.avgTtfbMs = ttfbN ? ttfb / ttfbN : 0
  if (options.bucketMs) st.series = [...series.values()].sort((a, b) => a.t - b.t)
  return st
}

const FILTERS: HistoryFilter[] = [
  {},
  { keyId: 'ka' },
  { keyId: 'k:d' },
  { accountId: 'a2' },
  { model: 'claude-opus-4-1' },
  { outcome: 'error' },
  { outcome: 'success' },
  { keyId: 'nobody' },
]
const RANGES: { from?: number; to?: number }[] = [
  {},
  { from: base + 5 * HOUR + 123_456, to: base + 41 * HOUR + 7 },
  { from: Date.UTC(2026, 10, 21), to: Date.UTC(2026, 10, 22) },
  { from: base + 30 * HOUR },
  { to: base + 50 * HOUR + 999 },
  { from: base + 10 * HOUR + 1000, to: base + 10 * HOUR + 2_000_000 },
  { from: base + 10 * HOUR, to: base + 10 * HOUR },
  { from: 0, to: 8_000_000_000_000 },
]
const OPTIONS: { bucketMs?: number; tzOffsetHours?: number }[] = [
  {},
  { bucketMs: HOUR },
  { bucketMs: 86_400_000, tzOffsetHours: 8 },
  { bucketMs: 86_400_000, tzOffsetHours: -5 },
  { bucketMs: 6 * HOUR, tzOffsetHours: 1 },
  { bucketMs: 30 * 60_000 },
  { bucketMs: 86_400_000, tzOffsetHours: 5.5 },
]

if (await shouldRunRedis('redis history aggregates')) {
  describe('redis history aggregates', () => {
    let s: Stores
    let raw: Redis
    const live = new Map<string, HistoryRecord>()

    beforeAll(async () => {
      s = await createRedisStores({ url: REDIS_TEST_URL, prefix })
      raw = new Redis(REDIS_TEST_URL)
    })
    afterAll(async () => {
      await s.close()
      await scanDelete(raw, `${prefix}:*`)
      raw.disconnect()
    })

    async function write(records: HistoryRecord[]) {
      await s.history.write(records)
      for (const r of records) live.set(r.id, r)
    }

    /** Every agg key under the prefix (SCAN). */
    async function aggKeys(): Promise<string[]> {
      const out: string[] = []
      let cursor = '0'
      do {
        const [next, found] = await raw.scan(cursor, 'MATCH', `${prefix}:{h}:agg:*`, 'COUNT', 1000)
        cursor = next
        out.push(...found)
      } while (cursor !== '0')
      return out
    }

    /** The aggregate hashes must hold exactly the live records. */
    async function expectAggregatesExact() {
      const want = new Map<string, Map<string, number>>()
      for (const r of live.values()) {
        const hour = Math.floor(r.startTime / HOUR)
        const targets = [
          keys.historyAgg('all', '', hour),
          keys.historyAgg('key', r.keyId, hour),
          keys.historyAgg('account', r.accountId, hour),
          keys.historyAgg('model', r.model, hour),
          keys.historyAgg('outcome', r.outcome, hour),
        ]
        for (const key of targets) {
          const fields = want.get(key) ?? new Map<string, number>()
          for (const [field, v] of aggregateFields(r))
            fields.set(field, (fields.get(field) ?? 0) + v)
          want.set(key, fields)
        }
      }
      const found = await aggKeys()
      expect(found.sort()).toEqual([...want.keys()].sort())
      const pipe = raw.pipeline()
      for (const key of want.keys()) pipe.hgetall(key)
      const replies = (await pipe.exec()) ?? []
      let i = 0
      for (const fields of want.values()) {
        const got = replies[i++]?.[1] as Record<string, string>
        const expected: Record<string, string> = {}
        for (const [field, v] of fields) if (v !== 0) expected[field] = String(v)
        expect(got).toEqual(expected)
      }
    }

    /** Every filter × range × bucket option must equal the brute-force stats. */
    async function expectStatsExact() {
      for (const filter of FILTERS) {
        for (const range of RANGES) {
          for (const options of OPTIONS) {
            const f = { ...filter, ...range }
            const got = await s.history.stats(f, options)
            expect({ f, options, got }).toEqual({
              f,
              options,
              got: bruteStats(live.values(), f, options),
            })
          }
        }
      }
      const combined = { keyId: 'kb', model: 'claude-sonnet-4-5', from: base + HOUR }
      expect(await s.history.stats(combined, { bucketMs: HOUR })).toEqual(
        bruteStats(live.values(), combined, { bucketMs: HOUR }),
      )
    }

    test('after batched writes', async () => {
      const recs = Array.from({ length: 1500 }, () => randomRecord())
      // A few records on exact hour boundaries.
      for (let h = 0; h < 10; h++) recs.push(randomRecord({ startTime: Date.UTC(2026, 10, 21, h) }))
      await write(recs.slice(0, 700))
      await write(recs.slice(700))
      await expectAggregatesExact()
      await expectStatsExact()
    })

    test('the whole hours really come from the aggregates', async () => {
      const from = Date.UTC(2026, 10, 21)
      const to = from + 24 * HOUR
      const key = keys.historyAgg('all', '', from / HOUR + 3)
      const before = await s.history.stats({ from, to })
      await raw.hincrby(key, 'cost', 7)
      try {
        expect((await s.history.stats({ from, to })).costNanos).toBe(before.costNanos + 7)
      } finally {
        await raw.hincrby(key, 'cost', -7)
      }
    })

    test('after rewrites that move records between hours and indexes', async () => {
      const ids = [...live.keys()]
      const rewrites: HistoryRecord[] = []
      for (let i = 0; i < 300; i++) {
        const old = live.get(ids[int(ids.length)] as string) as HistoryRecord
        const fresh = randomRecord({ id: old.id })
        rewrites.push(i % 3 === 0 ? { ...old, responseBody: 'changed' } : fresh)
      }
      // The same id twice in one batch: the last one wins.
      const dup = live.get(ids[0] as string) as HistoryRecord
      rewrites.push({ ...dup, keyId: 'kb' }, { ...dup, keyId: 'kc', outcome: 'error' })
      await s.history.write(rewrites)
      for (const r of rewrites) live.set(r.id, r)
      await expectAggregatesExact()
      await expectStatsExact()
    })

    test('after concurrent rewrites and deletes of the same records', async () => {
      const ids = [...live.keys()].slice(0, 40)
      const variants = ids.map((id) => [randomRecord({ id }), randomRecord({ id })] as const)
      await Promise.all([
        s.history.write(variants.map((v) => v[0])),
        s.history.write(variants.map((v) => v[1])),
        ...ids.slice(0, 10).map((id) => s.history.delete(id)),
        ...ids.slice(0, 10).map((id) => s.history.delete(id)),
      ])
      // Sync the model with whatever won each race.
      for (const id of ids) {
        const stored = await s.history.get(id)
        if (stored) live.set(id, stored)
        else live.delete(id)
      }
      await expectAggregatesExact()
    })

    test('after deletes, deleteBefore and trimToBytes', async () => {
      const ids = [...live.keys()]
      let deleted = 0
      for (let i = 0; i < 100; i++) {
        const id = ids[i * 7] as string
        if (await s.history.delete(id)) deleted++
        live.delete(id)
      }
      expect(deleted).toBe(100)
      const cut = base + 20 * HOUR + 1234
      const n = await s.history.deleteBefore(cut)
      let expected = 0
      for (const [id, r] of live) {
        if (r.startTime < cut) {
          live.delete(id)
          expected++
        }
      }
      expect(n).toBe(expected)
      await expectAggregatesExact()
      await expectStatsExact()

      const size = await s.history.size()
      const trimmed = await s.history.trimToBytes(Math.floor(size.bytes / 2))
      expect(trimmed).toBeGreaterThan(0)
      const left = new Set<string>()
      for await (const batch of s.history.scan({}, 500)) for (const r of batch) left.add(r.id)
      for (const id of [...live.keys()]) if (!left.has(id)) live.delete(id)
      expect(live.size).toBe(left.size)
      await expectAggregatesExact()
      await expectStatsExact()
    })

    test('the aggregates disappear when every record is deleted', async () => {
      await s.history.deleteBefore(Number.MAX_SAFE_INTEGER)
      live.clear()
      expect(await aggKeys()).toEqual([])
      expect(await s.history.stats({}, { bucketMs: HOUR })).toEqual(
        bruteStats([], {}, { bucketMs: HOUR }),
      )
    })
  })
} else {
  describe.skip('redis history aggregates (Redis unreachable)', () => {})
}
