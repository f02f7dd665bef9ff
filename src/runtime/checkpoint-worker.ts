/**
 * @module
 * Entry point of the SQLite checkpoint thread (started by `sqlite-checkpointer.ts`). It opens its
 * own connection to the relay's database file and, every `intervalMs`, copies what the WAL holds
 * back into the database with a PASSIVE checkpoint: it never waits for, nor blocks, a writer, so
 * the fsyncs of the checkpoint no longer run on the thread that serves requests.
 */
import { openBunSqlite } from './bun.ts'
import type { CheckpointReply, CheckpointRequest } from './sqlite-checkpointer.ts'

declare const self: {
  onmessage: ((event: MessageEvent<CheckpointRequest>) => void) | null
  postMessage(message: CheckpointReply): void
  close(): void
}

let db: ReturnType<typeof openBunSqlite> | null = null
let timer: ReturnType<typeof setTimeout> | null = null
let intervalMs = 100
let lastErrorAt = Number.NEGATIVE_INFINITY
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err))
/** How soon to look again while the WAL holds frames a checkpoint could not copy yet. */
const BEHIND_MS = 5

/** One PASSIVE checkpoint; true when the WAL is copied completely (or empty). */
function checkpoint(): boolean {
  if (!db) return true
  try {
    const r = db.get<{ busy: number; log: number; checkpointed: number }>(
      'PRAGMA wal_checkpoint(PASSIVE)',
    )
    return !r || r.log <= r.checkpointed
  } catch (err) {
    // At most one report a minute: a failing disk would otherwise fill the log.
    if (Date.now() - lastErrorAt >= 60_000) {
      lastErrorAt = Date.now()
      self.postMessage({ type: 'error', error: messageOf(err) })
    }
    return true
  }
}

/**
 * Checkpoints, then looks again in {@link BEHIND_MS} while frames were written meanwhile: the WAL
 * only starts over when a write begins with all of it copied, so the copy must catch up in the
 * pause between two bursts of writes.
 */
function loop(): void {
  const done = checkpoint()
  timer = setTimeout(loop, done ? intervalMs : BEHIND_MS)
}

self.onmessage = (event) => {
  const m = event.data
  if (m.type === 'init') {
    try {
      db = openBunSqlite(m.path)
      // This connection never writes, and never waits: a busy database is tried again next time.
      db.exec('PRAGMA wal_autocheckpoint = 0')
      db.exec('PRAGMA busy_timeout = 0')
      intervalMs = m.intervalMs
      loop()
      self.postMessage({ type: 'ready' })
    } catch (err) {
      self.postMessage({ type: 'failed', error: messageOf(err) })
    }
    return
  }
  if (m.type === 'stop') {
    if (timer) clearTimeout(timer)
    checkpoint()
    try {
      db?.close()
    } catch {}
    db = null
    self.postMessage({ type: 'stopped' })
    self.close()
  }
}
