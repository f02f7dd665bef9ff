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
  /**
   * Runs `fn` inside BEGIN IMMEDIATE … COMMIT (ROLLBACK on throw). `deferred` suits transactions
   * that only write the in-memory `live` schema: the main file is then only read, never locked
   * for writing, which keeps the per-request admission off the file system.
   */
  transaction<T>(fn: () => T, mode?: 'immediate' | 'deferred'): T
  close(): void
}
