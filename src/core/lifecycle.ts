/**
 * @module
 * An ordered list of things to stop. Parts are added in the order they are built and stopped in
 * the reverse order of when their dependents need them gone: the composition root declares the
 * order once, instead of patching `close()` functions.
 */

/** One part to stop. */
export interface Stoppable {
  name: string
  stop(): void | Promise<void>
}

/** The list; `stopAll()` runs each `stop` once, in the declared order, logging failures. */
export function createLifecycle(onError: (name: string, err: unknown) => void) {
  const parts: Stoppable[] = []
  let stopping: Promise<void> | null = null
  return {
    /** Adds a part at the end of the stop order. */
    add(name: string, stop: Stoppable['stop']): void {
      parts.push({ name, stop })
    },
    /** Names in stop order (for docs and tests). */
    order: () => parts.map((p) => p.name),
    /** Stops every part in order (again: the same promise). */
    stopAll(): Promise<void> {
      stopping ??= (async () => {
        for (const p of parts) {
          try {
            await p.stop()
          } catch (err) {
            onError(p.name, err)
          }
        }
      })()
      return stopping
    },
  }
}
