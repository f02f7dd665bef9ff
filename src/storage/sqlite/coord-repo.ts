/**
 * @module
 * SQLite adapter of {@link CoordRepository}. Locks and temp values are rows with `expires_at`
 * that reads ignore once passed. A SQLite store serves one process, so publish/subscribe is an
 * in-process map of channel → handlers, called asynchronously like a Redis subscriber would be.
 */
import type { CoordRepository } from '../../coord/repository.ts'
import type { Clock, Logger } from '../../core/ports.ts'
import type { SqlDatabase } from './driver.ts'

/** Dependencies of {@link createSqliteCoordRepo}. */
export interface SqliteCoordOptions {
  clock: Clock
  logger?: Logger
}

/** The coordination repository plus a hook to drop every subscriber on close. */
export interface SqliteCoordRepo extends CoordRepository {
  /** Removes every subscription (called by the store's close()). */
  unsubscribeAll(): void
}

/** Creates the coordination repository over `db` (migrations already applied). */
export function createSqliteCoordRepo(
  db: SqlDatabase,
  options: SqliteCoordOptions,
): SqliteCoordRepo {
  const { clock, logger } = options
  const channels = new Map<string, Set<(message: string) => void>>()

  const liveTemp = (name: string, now: number) =>
    db.get<{ value: string; expires_at: number }>(
      'SELECT value, expires_at FROM temp WHERE name = ? AND expires_at > ?',
      [name, now],
    )

  return {
    async acquireLock(name, owner, ttlMs) {
      const now = clock.now()
      return db.transaction(() => {
        const held = db.get('SELECT 1 FROM locks WHERE name = ? AND expires_at > ?', [name, now])
        if (held) return false
        db.run(
          `INSERT INTO locks (name, owner, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`,
          [name, owner, now + ttlMs],
        )
        return true
      })
    },
    async releaseLock(name, owner) {
      return (
        db.run('DELETE FROM locks WHERE name = ? AND owner = ? AND expires_at > ?', [
          name,
          owner,
          clock.now(),
        ]).changes > 0
      )
    },
    async setTemp(name, value, ttlMs) {
      db.run(
        `INSERT INTO temp (name, value, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
        [name, value, clock.now() + ttlMs],
      )
    },
    async getTemp(name) {
      return liveTemp(name, clock.now())?.value ?? null
    },
    async takeTemp(name) {
      const now = clock.now()
      return db.transaction(() => {
        const row = liveTemp(name, now)
        db.run('DELETE FROM temp WHERE name = ?', [name])
        return row?.value ?? null
      })
    },
    async deleteTemp(name) {
      db.run('DELETE FROM temp WHERE name = ?', [name])
    },
    async incrementTemp(name, ttlMs) {
      const now = clock.now()
      return db.transaction(() => {
        const row = liveTemp(name, now)
        const value = row ? Math.trunc(Number(row.value) || 0) + 1 : 1
        db.run(
          `INSERT INTO temp (name, value, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
          [name, String(value), row ? Number(row.expires_at) : now + ttlMs],
        )
        return value
      })
    },
    async publish(channel, message) {
      const handlers = channels.get(channel)
      if (!handlers) return
      for (const handler of [...handlers]) {
        queueMicrotask(() => {
          // A handler unsubscribed before delivery no longer receives the message.
          if (!channels.get(channel)?.has(handler)) return
          try {
            handler(message)
          } catch (err) {
            logger?.error('coord subscriber failed', { channel, error: String(err) })
          }
        })
      }
    },
    async subscribe(channel, handler) {
      // Wrapped so subscribing the same function twice gives two independent subscriptions.
      const entry = (message: string) => handler(message)
      let handlers = channels.get(channel)
      if (!handlers) {
        handlers = new Set()
        channels.set(channel, handlers)
      }
      handlers.add(entry)
      return async () => {
        const set = channels.get(channel)
        if (!set) return
        set.delete(entry)
        if (set.size === 0) channels.delete(channel)
      }
    },
    unsubscribeAll() {
      channels.clear()
    },
  }
}

/** Deletes locks and temp values expired at `now`; returns how many. */
export function sweepCoord(db: SqlDatabase, now: number): number {
  return (
    db.run('DELETE FROM locks WHERE expires_at <= ?', [now]).changes +
    db.run('DELETE FROM temp WHERE expires_at <= ?', [now]).changes
  )
}
