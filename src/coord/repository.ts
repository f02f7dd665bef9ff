/**
 * @module
 * Storage port for coordination between relay instances: locks, short-lived values, fixed-window
 * counters and a broadcast channel for cache invalidation. On SQLite (one process) the channel is
 * in-process.
 */

/** Cross-instance coordination primitives. */
/** The message a subscriber receives after broadcasts may have been missed (see `subscribe`). */
export const RESYNC = '*'

export interface CoordRepository {
  /** Takes `name` for `owner` unless someone else holds it; true on success. */
  acquireLock(name: string, owner: string, ttlMs: number): Promise<boolean>
  /** Releases `name` only if `owner` still holds it; true when released. */
  releaseLock(name: string, owner: string): Promise<boolean>
  /** Stores a value that disappears after `ttlMs`. */
  setTemp(name: string, value: string, ttlMs: number): Promise<void>
  getTemp(name: string): Promise<string | null>
  /** Reads and deletes in one step (one-time values such as OAuth sessions). */
  takeTemp(name: string): Promise<string | null>
  deleteTemp(name: string): Promise<void>
  /** Increments a counter that expires `ttlMs` after its first increment; returns the new value. */
  incrementTemp(name: string, ttlMs: number): Promise<number>
  /** Sends `message` to every subscriber of `channel` on every instance (including this one). */
  publish(channel: string, message: string): Promise<void>
  /**
   * Calls `handler` for every message on `channel`; resolves to an unsubscribe function. When the
   * broadcast connection was lost and is back, every handler receives {@link RESYNC}: messages
   * may have been missed meanwhile, so whatever they would have invalidated must be re-read. A
   * shared broadcast (Redis) also sends RESYNC once when a channel's subscription goes live:
   * what a handler cached while it was being set up may be stale.
   */
  subscribe(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>
}
