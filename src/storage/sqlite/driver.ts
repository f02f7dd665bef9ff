/**
 * @module
 * The five-method SQL port the SQLite adapters use. runtime/bun.ts implements it with bun:sqlite,
 * runtime/deno.ts with node:sqlite, so no adapter touches a runtime API.
 */

/** A bound parameter. */
export type SqlValue = string | number | bigint | null | Uint8Array

/** Minimal synchronous SQLite API. */
export interface SqlDatabase {
  /** Runs one or more statements without parameters (migrations). */
  exec(sql: string): void
  /** First row or undefined. */
  get<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): T | undefined
  all<T = Record<string, unknown>>(sql: string, params?: SqlValue[]): T[]
  /** Runs a statement; returns the number of changed rows. */
  run(sql: string, params?: SqlValue[]): { changes: number }
  /** Runs `fn` inside BEGIN IMMEDIATE … COMMIT (ROLLBACK on throw). */
  transaction<T>(fn: () => T): T
  close(): void
}

/** A prepared statement, as bun:sqlite and node:sqlite both have it. */
export interface PreparedStatement {
  get(...params: never[]): unknown
  all(...params: never[]): unknown[]
  run(...params: never[]): { changes: number | bigint }
}

/** The query methods of {@link SqlDatabase} over a driver's (cached) `prepare`. */
export function queryMethods(
  prepare: (sql: string) => PreparedStatement,
): Pick<SqlDatabase, 'get' | 'all' | 'run'> {
  return {
    get: <T>(sql: string, params: SqlValue[] = []) =>
      (prepare(sql).get(...(params as never[])) ?? undefined) as T | undefined,
    all: <T>(sql: string, params: SqlValue[] = []) =>
      prepare(sql).all(...(params as never[])) as T[],
    run: (sql, params = []) => ({
      changes: Number(prepare(sql).run(...(params as never[])).changes),
    }),
  }
}

/**
 * Pragmas every driver applies on open: WAL, NORMAL sync, a 5 s busy wait, foreign keys, and
 * statement journals in memory (opened for every insert into `history`, whose triggers keep its
 * totals; as temp files on disk they made bulk history writes about 3x slower).
 */
export const OPEN_PRAGMAS = [
  'PRAGMA journal_mode = WAL',
  'PRAGMA synchronous = NORMAL',
  'PRAGMA busy_timeout = 5000',
  'PRAGMA foreign_keys = ON',
  'PRAGMA temp_store = MEMORY',
]

/**
 * Wraps a driver's `prepare` in a cache of prepared statements by SQL text (at most ~500).
 * `dispose` releases a statement dropped from the cache: SQLite closes a connection (checkpoints
 * and removes the WAL) only once all its statements are finalized.
 */
export function cachedPrepare<S>(
  prepare: (sql: string) => S,
  dispose: (statement: S) => void = () => {},
): {
  prepare: (sql: string) => S
  clear: () => void
} {
  const cache = new Map<string, S>()
  const clear = () => {
    for (const st of cache.values()) dispose(st)
    cache.clear()
  }
  return {
    prepare(sql) {
      let st = cache.get(sql)
      if (!st) {
        st = prepare(sql)
        if (cache.size > 500) clear()
        cache.set(sql, st)
      }
      return st
    },
    clear,
  }
}

/**
 * A WHERE clause (with leading `WHERE`, or empty) joining with AND the conditions whose value is
 * set, and their parameters; each condition holds one `?`.
 */
export function whereOf(conditions: readonly (readonly [string, SqlValue | undefined])[]): {
  sql: string
  params: SqlValue[]
} {
  const parts: string[] = []
  const params: SqlValue[] = []
  for (const [sql, value] of conditions)
    if (value !== undefined) {
      parts.push(sql)
      params.push(value)
    }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params }
}
