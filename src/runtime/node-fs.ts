/**
 * @module
 * File-system and stdout adapters shared by the Bun and Deno entry points (node:fs works on both).
 */
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import type { SecretFileAccess } from '../config/secrets.ts'
import type { LogSink } from '../core/ports.ts'

/** File access for secrets.json on the local file system. */
export const localSecretFiles: SecretFileAccess = {
  read: (path) => (existsSync(path) ? readFileSync(path, 'utf8') : null),
  writePrivate: (path, content) => {
    mkdirSync(dirname(path), { recursive: true })
    const tmp = `${path}.${crypto.randomUUID()}.tmp`
    writeFileSync(tmp, content, { mode: 0o600 })
    chmodSync(tmp, 0o600)
    renameSync(tmp, path)
  },
  join,
}

/**
 * Creates a directory and its parents, the directory itself readable by this user only (0700);
 * an existing one is tightened (it holds the database with every prompt and answer, and secrets).
 */
export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 })
  tighten(path, 0o700)
}

/**
 * Creates the SQLite file `path` with mode 0600 before SQLite opens it, and tightens it and its
 * `-wal` / `-shm` files when they exist; SQLite creates those with the database file's mode.
 */
export function prepareSqliteFile(path: string): void {
  if (path === ':memory:' || path.startsWith('file:') || path === '') return
  closeSync(openSync(path, 'a', 0o600))
  for (const p of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`])
    if (existsSync(p)) tighten(p, 0o600)
}

/** chmod when the mode differs; a file this user does not own is left as it is. */
function tighten(path: string, mode: number): void {
  try {
    if ((statSync(path).mode & 0o777) !== mode) chmodSync(path, mode)
  } catch {}
}

/** Log sink writing lines to stdout. */
export const stdoutSink: LogSink = {
  write: (line) => {
    console.log(line)
  },
}

import type { PriceSource } from '../usage/pricing.ts'

/** A price override read from a local file whenever its modification time changes. */
export function filePriceSource(path: string): PriceSource {
  let seen = ''
  return {
    async read() {
      const st = statSync(path)
      const sig = `${st.mtimeMs}:${st.size}`
      if (sig === seen) return null
      seen = sig
      return readFileSync(path, 'utf8')
    },
  }
}
