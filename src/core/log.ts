/**
 * @module
 * JSON-lines logger. Known secret-bearing fields are redacted before a line is written, so a
 * careless `log.info('x', { headers })` can never leak a key or token.
 */
import type { Logger, LogLevel, LogSink } from './ports.ts'

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }
const SECRET_FIELD =
  /^(authorization|x-api-key|api[-_]?key|apikey|password|secret|token|access[-_]?token|refresh[-_]?token|cookie|set-cookie|proxy-authorization|jwt|encryption[-_]?key|credentials)$/i
const SECRET_VALUE = /(cr_[0-9a-f]{16,}|sk-ant-[A-Za-z0-9_-]{8,}|Bearer\s+[A-Za-z0-9._~+/=-]{8,})/g

/** Replaces secret-looking values in any JSON-able value; returns a new value. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[depth]'
  if (typeof value === 'string') return value.replace(SECRET_VALUE, '[REDACTED]')
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1))
  if (value instanceof Error) return { name: value.name, message: redactSecrets(value.message) }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        SECRET_FIELD.test(k) && v !== '' && v != null ? '[REDACTED]' : redactSecrets(v, depth + 1)
    }
    return out
  }
  return value
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  level: LogLevel
  sink: LogSink
  now?: () => number
  fields?: Record<string, unknown>
}

/** Creates a JSON-lines logger writing to `sink`. */
export function createLogger(options: LoggerOptions): Logger {
  const min = LEVELS[options.level]
  const base = options.fields ?? {}
  const now = options.now ?? Date.now
  const write = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return
    const line = { time: new Date(now()).toISOString(), level, msg, ...base, ...fields }
    let text: string
    try {
      text = JSON.stringify(redactSecrets(line))
    } catch {
      text = JSON.stringify({ time: line.time, level, msg, note: 'unserialisable fields dropped' })
    }
    options.sink.write(text)
  }
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (fields) => createLogger({ ...options, fields: { ...base, ...fields } }),
  }
}

/** A logger that drops everything (tests). */
export function createNullLogger(): Logger {
  const noop = () => {}
  const self: Logger = { debug: noop, info: noop, warn: noop, error: noop, child: () => self }
  return self
}

/** A logger that keeps lines in memory (tests assert on them). */
export function createMemoryLogger(level: LogLevel = 'debug'): Logger & { lines: string[] } {
  const lines: string[] = []
  const logger = createLogger({ level, sink: { write: (l) => lines.push(l) } })
  return Object.assign(logger, { lines })
}
