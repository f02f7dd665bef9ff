/**
 * @module
 * A recorder that writes one access-log line per finished request (key id, never the key).
 */
import type { Logger } from '../core/ports.ts'
import type { RequestRecorder } from './recorder.ts'

/** Logs every finished request at info level (errors at warn). */
export function accessLogRecorder(logger: Logger): RequestRecorder {
  return {
    record(o) {
      const line = {
        requestId: o.requestId,
        keyId: o.key.id,
        accountId: o.accountId || undefined,
        model: o.model,
        endpoint: o.endpoint,
        stream: o.stream,
        status: o.status,
        outcome: o.outcome,
        durationMs: o.endTime - o.startTime,
        ttfbMs: o.ttfbMs ?? undefined,
        tries: o.attempts.length,
        inputTokens: o.usage?.inputTokens,
        outputTokens: o.usage?.outputTokens,
        error: o.errorMessage || undefined,
      }
      if (o.outcome === 'success') logger.info('request', line)
      else logger.warn('request', line)
    },
  }
}
