/**
 * @module
 * File-system and stdout adapters shared by the Bun and Deno entry points (node:fs works on both).
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
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

/** Creates a directory and its parents. */
export function ensureDir(path: string): void {
  mkdirSync(path, { recursive: true })
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
