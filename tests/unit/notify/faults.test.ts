import { describe, expect, test } from 'bun:test'
import { createFaultMonitor } from '../../../src/notify/faults.ts'
import type { SystemNotice } from '../../../src/notify/model.ts'

function setup() {
  const sent: SystemNotice[] = []
  const clock = { t: 1_000_000, now: () => clock.t }
  const faults = createFaultMonitor({ clock, notify: (n) => sent.push(n), minIntervalMs: 60_000 })
  return { sent, clock, faults }
}

describe('fault monitor', () => {
  test('a fault is announced when it starts and when it ends, repeats in between are not', () => {
    const { sent, clock, faults } = setup()
    faults.recovered('storage_unreachable')
    expect(sent).toEqual([])
    faults.failed('storage_unreachable', 'Redis storage is unreachable: ECONNREFUSED')
    faults.failed('storage_unreachable', 'again')
    clock.t += 42_000
    faults.recovered('storage_unreachable')
    faults.recovered('storage_unreachable')
    expect(sent).toEqual([
      {
        type: 'system_error',
        code: 'storage_unreachable',
        subject: 'storage',
        message: 'Redis storage is unreachable: ECONNREFUSED',
      },
      {
        type: 'system_recovered',
        code: 'storage_unreachable',
        subject: 'storage',
        message: 'Working again after 42 s',
      },
    ])
  })

  test('flapping within the interval is silent; the next notice counts what was not announced', () => {
    const { sent, clock, faults } = setup()
    faults.failed('usage_write_failed', 'first')
    faults.recovered('usage_write_failed')
    for (let i = 0; i < 100; i++) {
      clock.t += 100
      faults.failed('usage_write_failed', 'flap')
      faults.recovered('usage_write_failed')
    }
    expect(sent.map((n) => n.type)).toEqual(['system_error', 'system_recovered'])
    clock.t += 60_000
    faults.failed('usage_write_failed', 'later')
    expect(sent.at(-1)).toMatchObject({
      type: 'system_error',
      subject: 'usage counters',
      message: 'later (100 more since the last notice)',
    })
    // Codes are limited separately.
    faults.failed('history_write_failed', 'history')
    expect(sent.at(-1)).toMatchObject({ code: 'history_write_failed', subject: 'request history' })
  })
})
