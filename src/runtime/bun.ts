/**
 * @module
 * Bun-only adapters: the SQLite driver (bun:sqlite, WAL), file access and the HTTP server.
 */
import { Database, type Statement } from 'bun:sqlite'
import type { SqlDatabase, SqlValue } from '../storage/sqlite/driver.ts'

/** Opens (creating if needed) a SQLite database with WAL and sane pragmas. */
export function openBunSqlite(path: string): SqlDatabase {
  const db = new Database(path, { create: true, strict: true })
  db.exec('PRAGMA journal_mode = WAL')
  db.exec('PRAGMA synchronous = NORMAL')
  db.exec('PRAGMA busy_timeout = 5000')
  db.exec('PRAGMA foreign_keys = ON')
  const cache = new Map<string, Statement>()
  const prepare = (sql: string) => {
    let st = cache.get(sql)
    if (!st) {
      st = db.prepare(sql)
      if (cache.size > 500) cache.clear()
      cache.set(sql, st)
    }
    return st
  }
  return {
    exec: (sql) => {
      db.exec(sql)
    },
    get: <T>(sql: string, params: SqlValue[] = []) => (prepare(sql).get(...(params as never[])) ?? undefined) as T | undefined,
    all: <T>(sql: string, params: SqlValue[] = []) => prepare(sql).all(...(params as never[])) as T[],
    run: (sql, params = []) => ({ changes: Number(prepare(sql).run(...(params as never[])).changes) }),
    transaction: <T>(fn: () => T) => db.transaction(fn).immediate() as T,
    close: () => {
      cache.clear()
      db.close()
    },
  }
}
