/**
 * @module
 * Deno adapters: SQLite through node:sqlite (`DatabaseSync`), argon2id and bcrypt through
 * hash-wasm (Bun.password is not there), files through node:fs, and `.env` loading (Deno does
 * not read it by itself).
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { extname, resolve, sep } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { argon2id, argon2Verify, bcryptVerify } from 'hash-wasm'
import type { PasswordHasher } from '../core/ports.ts'
import {
  cachedPrepare,
  OPEN_PRAGMAS,
  queryMethods,
  type SqlDatabase,
} from '../storage/sqlite/driver.ts'
import { prepareSqliteFile } from './node-fs.ts'

/** Opens a SQLite database with node:sqlite, WAL and the same pragmas as on Bun. */
export function openNodeSqlite(path: string): SqlDatabase {
  prepareSqliteFile(path)
  const db = new DatabaseSync(path)
  for (const pragma of OPEN_PRAGMAS) db.exec(pragma)
  const { prepare, clear } = cachedPrepare((sql) => db.prepare(sql))
  let depth = 0
  return {
    exec: (sql) => db.exec(sql),
    ...queryMethods(prepare),
    transaction: <T>(fn: () => T): T => {
      if (depth > 0) return fn()
      db.exec('BEGIN IMMEDIATE')
      depth++
      try {
        const out = fn()
        db.exec('COMMIT')
        return out
      } catch (err) {
        db.exec('ROLLBACK')
        throw err
      } finally {
        depth--
      }
    },
    close: () => {
      clear()
      db.close()
    },
  }
}

/** argon2id hashes (PHC strings compatible with Bun.password); verifies argon2 and bcrypt. */
export const wasmPasswordHasher: PasswordHasher = {
  hash: (password) =>
    argon2id({
      password,
      salt: crypto.getRandomValues(new Uint8Array(16)),
      parallelism: 1,
      iterations: 2,
      memorySize: 65536,
      hashLength: 32,
      outputType: 'encoded',
    }),
  verify: (password, hash) =>
    hash.startsWith('$2') ? bcryptVerify({ password, hash }) : argon2Verify({ password, hash }),
}

/** Reads KEY=VALUE lines of a `.env` file into `env` (existing variables win). */
export function loadDotEnv(path: string, env: Record<string, string>): void {
  if (!existsSync(path)) return
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line)
    if (!m || line.trim().startsWith('#')) continue
    let value = m[2]!
    if (
      (value.startsWith('"') && value.endsWith('"')) ||
      (value.startsWith("'") && value.endsWith("'"))
    )
      value = value.slice(1, -1)
    if (env[m[1]!] === undefined) env[m[1]!] = value
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
}

/** Reads built web UI files from a directory (node:fs). */
export function fsAssetReader(
  dir: string,
): (path: string) => Promise<{ body: Uint8Array; type: string } | null> {
  const root = resolve(dir)
  return async (path) => {
    const full = resolve(root, path)
    if (full !== root && !full.startsWith(root + sep)) return null
    if (!statSync(full, { throwIfNoEntry: false })?.isFile()) return null
    return {
      body: new Uint8Array(readFileSync(full)),
      type: TYPES[extname(full)] ?? 'application/octet-stream',
    }
  }
}
