/**
 * @module
 * One shared timer that aborts upstream requests idle for longer than a timeout: no bytes (or no
 * headers) within `timeoutMs` aborts the request with a `TimeoutError`. Streams touch their watch
 * on every chunk, so a long answer with steady output never times out.
 */

/** A watch on one upstream request. */
export interface Watch {
  /** Marks activity now. */
  touch(): void
  /** Stops watching (the request ended). */
  stop(): void
  /** Whether this watch fired. */
  readonly timedOut: boolean
}

/** The shared watchdog. */
export interface IdleWatchdog {
  watch(abort: AbortController): Watch
  stop(): void
}

/** Creates a watchdog aborting requests idle for longer than `timeoutMs`. */
export function createIdleWatchdog(timeoutMs: number): IdleWatchdog {
  interface Entry {
    last: number
    abort: AbortController
    timedOut: boolean
  }
  const entries = new Set<Entry>()
  let timer: ReturnType<typeof setInterval> | null = null
  const tick = () => {
    const now = performance.now()
    for (const w of entries) {
      if (now - w.last > timeoutMs) {
        w.timedOut = true
        entries.delete(w)
        w.abort.abort(new DOMException('upstream idle timeout', 'TimeoutError'))
      }
    }
    if (entries.size === 0 && timer) {
      clearInterval(timer)
      timer = null
    }
  }
  return {
    watch(abort) {
      const w: Entry = { last: performance.now(), abort, timedOut: false }
      entries.add(w)
      if (!timer) {
        timer = setInterval(tick, Math.min(1000, Math.max(50, timeoutMs / 4)))
        ;(timer as { unref?: () => void }).unref?.()
      }
      return {
        touch: () => {
          w.last = performance.now()
        },
        stop: () => {
          entries.delete(w)
        },
        get timedOut() {
          return w.timedOut
        },
      }
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
      entries.clear()
    },
  }
}
