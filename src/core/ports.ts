/**
 * @module
 * Small interfaces the features depend on instead of globals, so tests can swap them and the
 * core stays free of runtime-specific APIs.
 */

/** Wall-clock time in epoch milliseconds. */
export interface Clock {
  now(): number
}

/** Log levels in increasing severity. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Structured logger: one JSON object per line. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
  /** A logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger
}

/** The `fetch` signature; injected so tests and proxies can replace it. */
export type FetchFn = (
  input: string | URL | Request,
  init?: RequestInit & { proxy?: string },
) => Promise<Response>

/** A sink for log lines (stdout, a rotating file…). */
export interface LogSink {
  write(line: string): void
}

/** Password hashing (argon2id on Bun). */
export interface PasswordHasher {
  hash(password: string): Promise<string>
  verify(password: string, hash: string): Promise<boolean>
}
