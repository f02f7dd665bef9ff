/**
 * SQLite WAL checkpoints on a thread of their own (SQLITE_CHECKPOINTS=thread): the serving
 * connection's threshold is raised to the backstop, the thread keeps the WAL small while history
 * is written in bursts, a thread that dies hands checkpoints back to the serving connection, one
 * that cannot start changes nothing, and a relay that stops leaves no WAL behind.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bootstrap } from '../../src/bootstrap.ts'
import { createLogger } from '../../src/core/log.ts'
import {
  bunPasswordHasher,
  ensureDir,
  localSecretFiles,
  openBunSqlite,
} from '../../src/runtime/bun.ts'
import {
  BACKSTOP_PAGES,
  DEFAULT_AUTOCHECKPOINT_PAGES,
  type SqliteCheckpointer,
  startSqliteCheckpointer,
} from '../../src/runtime/sqlite-checkpointer.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import type { SqlDatabase } from '../../src/storage/sqlite/driver.ts'
import { makeHistory, sleep } from '../helpers/fixtures.ts'

const MB = 1024 * 1024
const lines: string[] = []
const logger = createLogger({ level: 'info', sink: { write: (l) => lines.push(l) } })
const open: { db: SqlDatabase; checkpointer: SqliteCheckpointer | null }[] = []

afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.checkpointer?.stop()
    o.db.close()
  }
  lines.length = 0
})

/** A database file with the serving connection's stores and, unless `thread` is false, the thread. */
async function start(thread = true) {
  const path = join(mkdtempSync(join(tmpdir(), 'crs-ckpt-')), 'relay.db')
  const db = openBunSqlite(path)
  // Bodies as text, so that the volume written is what the test says whatever they hold.
  const stores = createSqliteStores(db, { compressHistoryBodies: false })
  const checkpointer = thread ? await startSqliteCheckpointer(path, db, logger) : null
  open.push({ db, checkpointer })
  return { path, db, stores, checkpointer }
}

const threshold = (db: SqlDatabase) =>
  db.get<{ wal_autocheckpoint: number }>('PRAGMA wal_autocheckpoint')!.wal_autocheckpoint
const walBytes = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0)
/** The WAL header's checkpoint sequence number: it goes up each time the WAL starts over. */
function walStarts(path: string): number {
  if (!existsSync(`${path}-wal`)) return 0
  const header = readFileSync(`${path}-wal`).subarray(0, 32)
  return header.byteLength < 32 ? 0 : new DataView(header.buffer, header.byteOffset).getUint32(12)
}

/**
 * Writes history the way the relay does: `bursts` bursts of 3 batches of 100 records (8 KB of
 * bodies each, about 2.4 MB a burst) with a turn of the event loop between batches and 250 ms
 * between bursts (about 10 MB/s, which a loaded machine's checkpoint thread keeps up with).
 * Returns the largest the WAL file grew and how often the WAL started over.
 */
async function writeBursts(
  stores: ReturnType<typeof createSqliteStores>,
  path: string,
  bursts: number,
) {
  let maxWal = 0
  let firstStart = -1
  const body = 'x'.repeat(4096)
  for (let b = 0; b < bursts; b++) {
    for (let i = 0; i < 3; i++) {
      await stores.history.write(
        Array.from({ length: 100 }, (_, j) =>
          makeHistory({ id: `req_${b}_${i}_${j}`, requestBody: body, responseBody: body }),
        ),
      )
      maxWal = Math.max(maxWal, walBytes(path))
      if (firstStart < 0) firstStart = walStarts(path)
      await sleep(0)
    }
    await sleep(250)
  }
  return { maxWal, restarts: walStarts(path) - firstStart }
}

describe('sqlite checkpoint thread', () => {
  test('takes checkpoints off the serving connection: the WAL starts over between bursts', async () => {
    const { path, db, stores, checkpointer } = await start()
    expect(checkpointer).not.toBeNull()
    expect(threshold(db)).toBe(BACKSTOP_PAGES)
    // About 60 MB of history: left to the serving connection's raised threshold, the WAL would
    // grow to 32 MB before anything were copied back.
    const { maxWal, restarts } = await writeBursts(stores, path, 25)
    expect(statSync(path).size).toBeGreaterThan(40 * MB)
    // The thread catches up in the pauses: the WAL starts over again and again (9-11 times in
    // 25 bursts on a quiet machine, 4 on a slow disk; at most twice in the control), and never
    // reaches the backstop, where the serving connection would checkpoint itself. It usually
    // stays near 9 MB; on a cold or saturated machine the first bursts can outrun the thread (up
    // to about 27 MB was seen).
    expect(restarts).toBeGreaterThanOrEqual(3)
    expect(maxWal).toBeLessThan(BACKSTOP_PAGES * 4096)
    expect(lines.join('\n')).not.toContain('checkpoint failed')
  })

  test('the same writes without the thread grow the WAL to the raised threshold (control)', async () => {
    const { path, db, stores } = await start(false)
    db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`)
    const { maxWal, restarts } = await writeBursts(stores, path, 25)
    expect(maxWal).toBeGreaterThan(24 * MB)
    expect(restarts).toBeLessThanOrEqual(2)
  })

  test('a thread that dies hands checkpoints back to the serving connection', async () => {
    const { path, db, stores, checkpointer } = await start()
    checkpointer!.terminate()
    const t0 = Date.now()
    while (threshold(db) !== DEFAULT_AUTOCHECKPOINT_PAGES && Date.now() - t0 < 3000) await sleep(10)
    expect(threshold(db)).toBe(DEFAULT_AUTOCHECKPOINT_PAGES)
    expect(lines.join('\n')).toContain('sqlite checkpoint thread ended')
    // SQLite's own checkpoints keep the WAL at about 4 MB again.
    expect((await writeBursts(stores, path, 10)).maxWal).toBeLessThan(10 * MB)
  })

  test('a thread that cannot open the file changes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crs-ckpt-'))
    const db = openBunSqlite(join(dir, 'relay.db'))
    open.push({ db, checkpointer: null })
    const c = await startSqliteCheckpointer(join(dir, 'missing/relay.db'), db, logger)
    expect(c).toBeNull()
    expect(threshold(db)).toBe(DEFAULT_AUTOCHECKPOINT_PAGES)
    expect(lines.join('\n')).toContain('sqlite checkpoint thread cannot start')
  })
})

describe('a relay started by bootstrap', () => {
  async function boot(mode: 'thread' | 'inline') {
    const dir = mkdtempSync(join(tmpdir(), 'crs-ckpt-boot-'))
    const out: string[] = []
    const relay = await bootstrap(
      {
        DATA_DIR: dir,
        LOG_LEVEL: 'info',
        SQLITE_CHECKPOINTS: mode,
        ADMIN_PASSWORD: 'checkpoint-test-password',
      },
      {
        openSqlite: openBunSqlite,
        secretFiles: localSecretFiles,
        ensureDir,
        logSink: { write: (l) => out.push(l) },
        hasher: bunPasswordHasher,
        startSqliteCheckpointer,
      },
    )
    return { dir, relay, out }
  }

  test('SQLITE_CHECKPOINTS=thread (the default) starts the thread; stopping leaves no WAL', async () => {
    const { dir, relay, out } = await boot('thread')
    expect(out.join('\n')).toContain('sqlite checkpoints run on their own thread')
    const res = await relay.app.handle(new Request('http://localhost/health'))
    expect(res.status).toBe(200)
    await relay.close()
    expect(existsSync(join(dir, 'relay.db'))).toBe(true)
    expect(existsSync(join(dir, 'relay.db-wal'))).toBe(false)
  })

  test('SQLITE_CHECKPOINTS=inline does not start it; stopping leaves no WAL either', async () => {
    const { dir, relay, out } = await boot('inline')
    expect(out.join('\n')).not.toContain('sqlite checkpoints run on their own thread')
    await relay.close()
    expect(existsSync(join(dir, 'relay.db-wal'))).toBe(false)
  })
})
