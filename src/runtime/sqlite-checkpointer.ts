/**
 * @module
 * WAL checkpoints of the SQLite file on a thread of their own (Bun). By default SQLite copies the
 * WAL back into the database inside whichever commit grows it past 1,000 pages, on the thread that
 * serves requests, and the checkpoint's two fsyncs hold that thread for milliseconds: measured,
 * they were about 40% of the time of a history insert, and the 10–13 ms stalls set the p99.
 * Here a thread with its own connection checkpoints every `intervalMs`, and every 5 ms while it
 * is behind (PASSIVE: it never blocks a writer). The WAL starts over at the first write after a
 * checkpoint that copied all of it; the relay writes in bursts (batched every 250 ms), so that
 * happens in the pauses between them. The serving connection keeps a backstop threshold
 * ({@link BACKSTOP_PAGES}) for writes that never pause; if the thread cannot start or dies, it
 * goes back to SQLite's default.
 */
import type { Logger } from '../core/ports.ts'
import type { SqlDatabase } from '../storage/sqlite/driver.ts'
import { startWorkerThread } from './worker-thread.ts'

/** Messages to the checkpoint thread. */
export type CheckpointRequest =
  | { type: 'init'; path: string; intervalMs: number }
  | { type: 'stop' }

/** Messages from the checkpoint thread. */
export type CheckpointReply =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | { type: 'error'; error: string }
  | { type: 'stopped' }

/** SQLite's own threshold (pages), which the serving connection returns to without the thread. */
export const DEFAULT_AUTOCHECKPOINT_PAGES = 1000
/**
 * The serving connection's threshold while the thread runs (pages of 4 KB: 32 MB). The WAL does
 * not start over after every burst (a burst may begin while the thread is still copying), so it
 * climbs to a few bursts' worth: 17 MB at 6,000 records/s in a test. Lower, the serving
 * connection's own checkpoints come back (2,000 pages: 38 stalls over 10 ms in 10 s, against
 * none at 8,000); only writes that never pause reach it.
 */
export const BACKSTOP_PAGES = 8000

/** A running checkpoint thread. */
export interface SqliteCheckpointer {
  /** Runs a last checkpoint and ends the thread. */
  stop(): Promise<void>
  /** Ends the thread at once, as a crash would (the serving connection takes over). */
  terminate(): void
}

/**
 * Starts checkpointing `path` on a thread of its own and sets the threshold of `db` (the serving
 * connection to the same file) to the backstop. Resolves to null, leaving `db` as it was, when
 * the thread cannot start.
 */
export async function startSqliteCheckpointer(
  path: string,
  db: SqlDatabase,
  logger: Logger,
  options: { intervalMs?: number } = {},
): Promise<SqliteCheckpointer | null> {
  const started = await startWorkerThread<CheckpointRequest, CheckpointReply>({
    module: 'checkpoint-worker.ts',
    init: { type: 'init', path, intervalMs: options.intervalMs ?? 100 },
    onMessage(m) {
      if (m.type === 'error') logger.warn('sqlite checkpoint failed', { error: m.error })
    },
    onDeath(reason) {
      try {
        db.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`)
      } catch {}
      logger.error('sqlite checkpoint thread ended; checkpoints run inline again', {
        error: reason,
      })
    },
  })
  if ('error' in started) {
    logger.warn('sqlite checkpoint thread cannot start; checkpoints stay inline', {
      error: started.error,
    })
    return null
  }
  db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`)
  return started.thread
}
