/**
 * The history service's queue: finished requests are handed to the writer after the response
 * (never inside `record`), in slices of at most 64, in order; a slice the writer rejects is
 * kept and written by the next flush; and the queue is bounded by count and captured size,
 * dropping the oldest with an error log.
 */
import { expect, test } from 'bun:test'
import { createMemoryLogger } from '../../../src/core/log.ts'
import { createHistoryService } from '../../../src/history/service.ts'
import type { HistoryWriter } from '../../../src/history/writer.ts'
import type { RequestOutcome } from '../../../src/relay/recorder.ts'
import { openBunSqlite } from '../../../src/runtime/bun.ts'
import { createSqliteStores } from '../../../src/storage/sqlite/create.ts'
import { makeKey, makeOutcome } from '../../helpers/fixtures.ts'

const key = makeKey()
const outcome = (i: number, body = ''): RequestOutcome =>
  makeOutcome({
    key,
    requestId: `req_${i}`,
    startTime: i,
    requestBody: body,
    requestBodyBytes: body.length,
  })

function setup(writer: HistoryWriter) {
  const stores = createSqliteStores(openBunSqlite(':memory:'))
  const logger = createMemoryLogger()
  const history = createHistoryService({
    repo: stores.history,
    settings: stores.settings,
    coord: stores.coord,
    clock: { now: () => Date.now() },
    logger,
    defaults: {
      enabled: true,
      captureBodies: true,
      maxRequestBodySize: 1000,
      maxResponseBodySize: 1000,
      retentionDays: 1,
      maxTotalBytes: 1e9,
    },
    knownSecrets: () => [],
    flushMs: 60_000,
    writer,
  })
  return { history, logger }
}

/** A writer that fails while `storage.down` and otherwise records the request ids it wrote. */
function flakyWriter(storage: { down: boolean; written: string[] }): HistoryWriter {
  return {
    kind: 'test',
    write: async (os) => {
      if (storage.down) throw new Error('storage down')
      storage.written.push(...os.map((o) => o.requestId))
    },
  }
}

test('requests reach the writer after record() returns, in order, in slices of at most 64', async () => {
  const slices: string[][] = []
  const { history } = setup({
    kind: 'test',
    write: async (os) => {
      slices.push(os.map((o) => o.requestId))
    },
  })
  await history.ready
  for (let i = 0; i < 200; i++) history.recorder.record(outcome(i))
  expect(slices).toEqual([])
  await history.flush()
  // The first slice is 16; a writer that holds this thread for almost no time gets larger ones
  // (64 unless a pause of the machine fell into the measurement).
  const sizes = slices.map((s) => s.length)
  expect(sizes[0]).toBe(16)
  expect(Math.max(...sizes)).toBe(64)
  expect(sizes.every((n) => n >= 4 && n <= 64)).toBe(true)
  expect(slices.flat()).toEqual(Array.from({ length: 200 }, (_, i) => `req_${i}`))
  await history.stop()
})

/** A writer that holds this thread for `ms` per request before its first wait, then waits `waitMs`. */
function busyWriter(sizes: number[], ms: number, waitMs = 0): HistoryWriter {
  return {
    kind: 'test',
    write: async (os) => {
      sizes.push(os.length)
      const until = performance.now() + ms * os.length
      while (performance.now() < until) {}
      if (waitMs) await Bun.sleep(waitMs)
    },
  }
}

test('slices shrink to about 1 ms of this thread, and not for time spent waiting', async () => {
  const slow: number[] = []
  const a = setup(busyWriter(slow, 0.25))
  await a.history.ready
  for (let i = 0; i < 40; i++) a.history.recorder.record(outcome(i))
  await a.history.flush()
  // 16 requests took at least 4 ms: the next slices hold 4 (1 ms / 0.25 ms).
  expect(slow).toEqual([16, 4, 4, 4, 4, 4, 4])
  await a.history.stop()

  const waiting: number[] = []
  const b = setup(busyWriter(waiting, 0, 5))
  await b.history.ready
  for (let i = 0; i < 150; i++) b.history.recorder.record(outcome(i))
  await b.history.flush()
  // Had the 5 ms waits counted, the slices would hold 4 at most.
  expect(waiting[0]).toBe(16)
  expect(Math.max(...waiting.slice(1))).toBeGreaterThanOrEqual(32)
  expect(waiting.reduce((x, y) => x + y, 0)).toBe(150)
  await b.history.stop()
})

test('past 500 pending requests, slices are 64 however long they take', async () => {
  const sizes: number[] = []
  const { history } = setup(busyWriter(sizes, 0.05))
  await history.ready
  for (let i = 0; i < 700; i++) history.recorder.record(outcome(i))
  await history.flush()
  // 700, 636, 572 and 508 are past 500; then 1 ms of 0.05 ms records is 20 at most.
  expect(sizes.slice(0, 4)).toEqual([64, 64, 64, 64])
  expect(sizes.reduce((a, b) => a + b, 0)).toBe(700)
  expect(Math.max(...sizes.slice(4))).toBeLessThanOrEqual(20)
})

test('a slice the writer rejects is written by the next flush; nothing is lost', async () => {
  const storage = { down: true, written: [] as string[] }
  const { history, logger } = setup(flakyWriter(storage))
  await history.ready
  for (let i = 0; i < 100; i++) history.recorder.record(outcome(i))
  await history.flush()
  expect(storage.written).toEqual([])
  expect(logger.lines.join('\n')).toContain('history write failed; will retry')
  storage.down = false
  await history.flush()
  expect(storage.written).toEqual(Array.from({ length: 100 }, (_, i) => `req_${i}`))
  await history.stop()
})

test('at stop, a slice the writer refused is tried again after the writer stopped', async () => {
  const storage = { down: true, written: [] as string[] }
  const writer = flakyWriter(storage)
  // Like the writer thread: once stopped, writes go to a fallback (here the store is back).
  writer.stop = async () => {
    storage.down = false
  }
  const { history, logger } = setup(writer)
  await history.ready
  for (let i = 0; i < 10; i++) history.recorder.record(outcome(i))
  await history.stop()
  expect(logger.lines.join('\n')).toContain('history write failed; will retry')
  expect(storage.written).toEqual(Array.from({ length: 10 }, (_, i) => `req_${i}`))
  expect(logger.lines.join('\n')).not.toContain('not written at shutdown')
})

test('records still refused at stop are counted in an error line', async () => {
  const storage = { down: true, written: [] as string[] }
  const { history, logger } = setup(flakyWriter(storage))
  await history.ready
  for (let i = 0; i < 3; i++) history.recorder.record(outcome(i))
  await history.stop()
  expect(storage.written).toEqual([])
  expect(logger.lines.join('\n')).toMatch(/history records not written at shutdown.*"records":3/)
})

test('while storage fails, the queue keeps at most 128 MB of captured bodies (oldest dropped)', async () => {
  const storage = { down: true, written: [] as string[] }
  const { history, logger } = setup(flakyWriter(storage))
  await history.ready
  const body = 'x'.repeat(1024 * 1024)
  for (let i = 0; i < 130; i++) history.recorder.record(outcome(i, body))
  expect(logger.lines.join('\n')).toContain('history queue is full')
  storage.down = false
  await history.flush()
  expect(storage.written.length).toBe(128)
  expect(storage.written[0]).toBe('req_2')
  expect(storage.written.at(-1)).toBe('req_129')
  await history.stop()
})
