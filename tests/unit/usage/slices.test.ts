/**
 * The usage service cuts a large flush (many distinct keys) into batches of at most `sliceSize`
 * counter increments, each under its own batch id, with a turn of the event loop between them;
 * a batch that fails is retried first, under the same id, and nothing is counted twice or lost.
 */
import { expect, test } from 'bun:test'
import { createMemoryLogger } from '../../../src/core/log.ts'
import { openBunSqlite } from '../../../src/runtime/bun.ts'
import { createSqliteStores } from '../../../src/storage/sqlite/create.ts'
import type { CounterIncrement } from '../../../src/usage/model.ts'
import { createUsageService } from '../../../src/usage/service.ts'
import { makeKey, makeOutcome } from '../../helpers/fixtures.ts'

function setup(fail: (call: number) => boolean) {
  const stores = createSqliteStores(openBunSqlite(':memory:'))
  const calls: { size: number; batchId: string | undefined; ok: boolean }[] = []
  const usage = createUsageService({
    repo: {
      ...stores.usage,
      async increment(increments: CounterIncrement[], batchId?: string) {
        const ok = !fail(calls.length)
        calls.push({ size: increments.length, batchId, ok })
        if (!ok) throw new Error('storage down')
        await stores.usage.increment(increments, batchId)
      },
    },
    limits: stores.limits,
    clock: { now: () => Date.now() },
    logger: createMemoryLogger(),
    tzOffsetHours: 0,
    retentionMs: 86_400_000,
    flushMs: 60_000,
    sliceSize: 100,
  })
  const keys = Array.from({ length: 100 }, () => makeKey())
  const now = Date.now()
  for (const key of keys) usage.recorder.record(makeOutcome({ key, startTime: now }))
  return { stores, usage, calls, keys }
}

async function expectEachCountedOnce(
  usage: ReturnType<typeof createUsageService>,
  keys: ReturnType<typeof makeKey>[],
) {
  for (const key of keys) expect((await usage.keySummary(key.id)).total.requests).toBe(1)
}

test('a flush of 100 keys is written in batches of at most 100 increments', async () => {
  const { stores, usage, calls, keys } = setup(() => false)
  let turns = 0
  const counting = setInterval(() => turns++, 0)
  await usage.flush()
  clearInterval(counting)
  expect(calls.length).toBeGreaterThan(3)
  expect(Math.max(...calls.map((c) => c.size))).toBeLessThanOrEqual(100)
  expect(new Set(calls.map((c) => c.batchId)).size).toBe(calls.length)
  // The event loop ran between batches (a timer fired while the flush was under way).
  expect(turns).toBeGreaterThan(0)
  expect(usage.pendingCount()).toBe(0)
  await expectEachCountedOnce(usage, keys)
  await usage.stop()
  await stores.close()
})

test('a batch that fails midway is retried first under its id; nothing is lost or doubled', async () => {
  const { stores, usage, calls, keys } = setup((call) => call === 2)
  await usage.flush()
  expect(calls.map((c) => c.ok)).toEqual([true, true, false])
  expect(usage.pendingCount()).toBeGreaterThan(0)
  // Requests that finish during the outage merge into pending, behind the backlog.
  const late = makeKey()
  usage.recorder.record(makeOutcome({ key: late, startTime: Date.now() }))
  await usage.flush()
  expect(calls[3]?.batchId).toBe(calls[2]?.batchId)
  expect(usage.pendingCount()).toBe(0)
  await expectEachCountedOnce(usage, [...keys, late])
  const global = await usage.keySummary(keys[0]!.id)
  expect(global.total.inputTokens).toBe(100)
  await usage.stop()
  await stores.close()
})
