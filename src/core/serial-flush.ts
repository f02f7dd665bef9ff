/**
 * @module
 * One batched write at a time, for the queues that write behind the response (usage, history,
 * audit). `flush()` resolves once everything pending when it was called is written or has failed
 * and been kept for retry: a write already in flight may have taken its batch before the caller's
 * entries arrived, so the caller waits for it and then for a write of its own (shared with other
 * callers that arrive meanwhile). `tick()` is for timers: it starts a write unless one is running,
 * so a slow storage never piles up waiting callers. `nextTurn()` is what those writers await
 * between the slices of a large batch.
 */

/**
 * Serialises `write` (which must not reject: it keeps failed batches itself). `beforeFlush` runs
 * at each `flush()` call, first: it hands over entries still on their way (the relay's finished
 * requests waiting for their turn), so that they are part of what the flush covers.
 */
export function serialFlush(
  write: () => Promise<void>,
  options: { beforeFlush?: () => void } = {},
) {
  let running: Promise<void> | null = null
  const start = (): Promise<void> => {
    const p = write().finally(() => {
      if (running === p) running = null
    })
    running = p
    return p
  }
  const flush = (): Promise<void> => (running ? running.then(flush, flush) : start())
  return {
    flush: (): Promise<void> => {
      options.beforeFlush?.()
      return flush()
    },
    tick(): void {
      if (!running) void start()
    },
  }
}

/**
 * Resolves after a turn of the event loop (a macrotask): background writes cut into slices await
 * it between slices, so requests that arrived meanwhile are served before the next slice.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0))
}
