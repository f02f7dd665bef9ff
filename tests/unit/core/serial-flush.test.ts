/**
 * serialFlush: one write at a time; flush() covers everything pending when it was called, even
 * when a write that took its batch earlier is still in flight; tick() never queues behind one.
 */
import { expect, test } from 'bun:test'
import { serialFlush } from '../../../src/core/serial-flush.ts'

function queueWriter() {
  let pending: number[] = []
  const written: number[][] = []
  let release: (() => void) | null = null
  let inFlight = 0
  let maxInFlight = 0
  const gate = { closed: false }
  const s = serialFlush(async () => {
    if (pending.length === 0) return
    const batch = pending
    pending = []
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    if (gate.closed) await new Promise<void>((r) => (release = r))
    written.push(batch)
    inFlight--
  })
  return {
    ...s,
    add: (n: number) => pending.push(n),
    written,
    gate,
    open: () => {
      gate.closed = false
      release?.()
    },
    maxInFlight: () => maxInFlight,
  }
}

test('a flush called while a write is in flight also writes what arrived after it started', async () => {
  const q = queueWriter()
  q.gate.closed = true
  q.add(1)
  q.tick() // a timer's write takes [1] and stalls
  q.add(2)
  const done = q.flush()
  q.open()
  await done
  expect(q.written).toEqual([[1], [2]])
  expect(q.maxInFlight()).toBe(1)
})

test('tick() does not start a second write while one runs; callers arriving together share one', async () => {
  const q = queueWriter()
  q.gate.closed = true
  q.add(1)
  q.tick()
  q.tick()
  q.add(2)
  q.add(3)
  const all = Promise.all([q.flush(), q.flush(), q.flush()])
  q.open()
  await all
  expect(q.written).toEqual([[1], [2, 3]])
  expect(q.maxInFlight()).toBe(1)
})
