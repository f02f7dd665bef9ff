/**
 * @module
 * A log sink that appends JSON lines to `<dir>/relay.log` and rotates by size: when the file
 * would pass `maxBytes`, relay.log becomes relay.log.1 (relay.log.1 → .2, …) and the oldest beyond
 * `maxFiles` is deleted. Writes are synchronous appends, so lines are never interleaved or lost on
 * a crash after the call returns.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import type { LogSink } from '../core/ports.ts'

/** Options of {@link rotatingFileSink}. */
export interface RotatingFileOptions {
  dir: string
  maxBytes: number
  maxFiles: number
  /** File name (default relay.log). */
  name?: string
}

/** Creates the rotating file sink. */
export function rotatingFileSink(options: RotatingFileOptions): LogSink & { close(): void } {
  const name = options.name ?? 'relay.log'
  mkdirSync(options.dir, { recursive: true })
  const path = join(options.dir, name)
  let fd = openSync(path, 'a', 0o640)
  let size = fstatSync(fd).size
  const enc = new TextEncoder()

  function rotate(): void {
    closeSync(fd)
    const oldest = join(options.dir, `${name}.${options.maxFiles}`)
    if (existsSync(oldest)) rmSync(oldest)
    for (let i = options.maxFiles - 1; i >= 1; i--) {
      const from = join(options.dir, `${name}.${i}`)
      if (existsSync(from)) renameSync(from, join(options.dir, `${name}.${i + 1}`))
    }
    renameSync(path, join(options.dir, `${name}.1`))
    fd = openSync(path, 'a', 0o640)
    size = 0
  }

  return {
    write(line: string): void {
      const bytes = enc.encode(`${line}\n`)
      if (size > 0 && size + bytes.byteLength > options.maxBytes) rotate()
      writeSync(fd, bytes)
      size += bytes.byteLength
    },
    close(): void {
      closeSync(fd)
    },
  }
}
