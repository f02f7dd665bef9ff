/**
 * @module
 * Turns the faults the relay reports (a {@link FaultReporter}) into `system_error` and
 * `system_recovered` notices, rate-limited per fault code: a fault is announced when it starts
 * unless that code was announced less than `minIntervalMs` ago, and its end is announced only
 * when its start was. A flapping fault therefore sends at most two notices per interval, and the
 * next one it sends counts the failures that were not announced.
 */
import type { FaultReporter } from '../core/faults.ts'
import type { Clock } from '../core/ports.ts'
import type { SystemNotice } from './model.ts'

/** What each fault code is about, shown as the notice's source. */
const SUBJECTS: Record<string, string> = {
  storage_unreachable: 'storage',
  usage_write_failed: 'usage counters',
  history_write_failed: 'request history',
}

/** Options of {@link createFaultMonitor}. */
export interface FaultMonitorOptions {
  notify: (notice: SystemNotice) => void
  clock: Clock
  /** A code is announced at most once per this. @default 10 minutes */
  minIntervalMs?: number
}

interface FaultState {
  failing: boolean
  since: number
  /** Whether this outage's start was announced (so its end is too). */
  announced: boolean
  lastNoticeAt: number
  /** Outages since the last notice that were not announced. */
  unannounced: number
}

/** A {@link FaultReporter} that sends rate-limited system notices. */
export function createFaultMonitor(options: FaultMonitorOptions): FaultReporter {
  const { notify, clock } = options
  const minInterval = options.minIntervalMs ?? 600_000
  const states = new Map<string, FaultState>()
  const subjectOf = (code: string) => SUBJECTS[code] ?? code
  return {
    failed(code, detail) {
      const now = clock.now()
      let s = states.get(code)
      if (!s) {
        s = {
          failing: false,
          since: now,
          announced: false,
          lastNoticeAt: -Infinity,
          unannounced: 0,
        }
        states.set(code, s)
      }
      if (s.failing) return
      s.failing = true
      s.since = now
      if (now - s.lastNoticeAt < minInterval) {
        s.announced = false
        s.unannounced++
        return
      }
      const more = s.unannounced ? ` (${s.unannounced} more since the last notice)` : ''
      s.announced = true
      s.lastNoticeAt = now
      s.unannounced = 0
      notify({ type: 'system_error', code, subject: subjectOf(code), message: `${detail}${more}` })
    },
    recovered(code) {
      const s = states.get(code)
      if (!s?.failing) return
      s.failing = false
      if (!s.announced) return
      s.announced = false
      const seconds = Math.round((clock.now() - s.since) / 1000)
      notify({
        type: 'system_recovered',
        code,
        subject: subjectOf(code),
        message: `Working again after ${seconds} s`,
      })
    },
  }
}
