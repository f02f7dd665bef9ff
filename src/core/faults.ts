/**
 * @module
 * The port through which parts of the relay report a fault of theirs starting and ending (storage
 * unreachable, a flush that keeps failing), so that it can be announced once (webhook system
 * events) instead of once per failed attempt.
 */

/** Where faults are reported; both calls are cheap and never throw. */
export interface FaultReporter {
  /** `code` is failing now (`detail`: what failed, without secrets). Repeats are expected. */
  failed(code: string, detail: string): void
  /** `code` works again (a no-op unless it was failing). */
  recovered(code: string): void
}

/** A reporter that ignores everything (tests and tools that announce nothing). */
export const ignoreFaults: FaultReporter = { failed() {}, recovered() {} }

/** An error as one short line for a fault's detail. */
export function faultText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.replace(/\s+/g, ' ').slice(0, 200)
}
