/**
 * @module
 * Recording of requests whose response is complete, run on the next turn of the event loop:
 * usage, history, metrics and the lease release then follow the response's last bytes instead of
 * delaying them (about 20 µs of p50 at 1 client). `settle()` runs what is still waiting (before
 * every usage/history flush, and on stop).
 */
import type { Logger } from '../core/ports.ts'

/** The deferred-recording queue. */
export interface Deferred {
  /** Runs `record` on the next turn (or at the next `settle`, whichever comes first). */
  afterResponse(record: () => void): void
  /** Runs now a recording that must not wait; a throw is logged. */
  run(record: () => void): void
  /** Runs every waiting recording now. */
  settle(): void
}

/** Creates the queue. */
export function createDeferred(logger: Logger): Deferred {
  const waiting = new Set<() => void>()
  const onNextTurn: (fn: () => void) => void =
    typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0)
  function run(record: () => void): void {
    try {
      record()
    } catch (err) {
      logger.error('cannot record a finished request', { error: err })
    }
  }
  return {
    run,
    afterResponse(record) {
      waiting.add(record)
      onNextTurn(() => {
        if (waiting.delete(record)) run(record)
      })
    },
    settle() {
      for (const record of [...waiting]) {
        waiting.delete(record)
        run(record)
      }
    },
  }
}
