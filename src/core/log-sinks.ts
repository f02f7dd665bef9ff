/**
 * @module
 * Combinators of log sinks.
 */
import type { LogSink } from './ports.ts'

/** A sink writing every line to several sinks. */
export function teeSink(sinks: LogSink[]): LogSink {
  return {
    write(line) {
      for (const s of sinks) s.write(line)
    },
  }
}
