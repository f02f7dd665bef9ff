/**
 * @module
 * The audit log: every admin write with who, when, what, from which IP, and the state before and
 * after — with secrets removed. Entries are written in small batches off the response path.
 */
import { newId } from '../core/ids.ts'
import type { Clock, Logger } from '../core/ports.ts'
import { serialFlush } from '../core/serial-flush.ts'
import type { AuditEntry, SettingsRepository } from '../settings/repository.ts'

const SECRET_KEY =
  /^(secret|secrets|apikey|api_key|apiKey|accesstoken|access_token|refreshtoken|refresh_token|token|password|newpassword|currentpassword|hash|proxypassword|authorization|claudeaioauth|webhooksecret|bottoken)$/i

/** A deep copy of `value` with secret-named fields replaced and long strings cut. */
export function sanitizeForAudit(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null
  if (depth > 6) return '[…]'
  if (typeof value === 'string') return value.length > 2000 ? `${value.slice(0, 2000)}…` : value
  if (Array.isArray(value)) return value.slice(0, 200).map((v) => sanitizeForAudit(v, depth + 1))
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      out[k] =
        SECRET_KEY.test(k) && v !== '' && v !== null && v !== undefined
          ? '[REDACTED]'
          : sanitizeForAudit(v, depth + 1)
    }
    return out
  }
  return value
}

/** Options of {@link createAuditLog}. */
export interface AuditLogOptions {
  settings: SettingsRepository
  clock: Clock
  logger: Logger
}

/** Creates the audit log. */
export function createAuditLog(options: AuditLogOptions) {
  const { settings, clock, logger } = options
  let queue: AuditEntry[] = []

  async function writePending(): Promise<void> {
    if (queue.length === 0) return
    const batch = queue
    queue = []
    try {
      await settings.appendAudit(batch)
    } catch (err) {
      logger.warn('audit write failed; will retry', { entries: batch.length, error: err })
      queue = batch.concat(queue).slice(-10_000)
    }
  }
  const { flush, tick } = serialFlush(writePending)
  const timer = setInterval(tick, 500)
  ;(timer as { unref?: () => void }).unref?.()

  return {
    /** Records one admin write. */
    record(e: {
      actor: string
      ip: string
      action: string
      target: string
      before?: unknown
      after?: unknown
    }): void {
      queue.push({
        id: newId(),
        at: clock.now(),
        actor: e.actor,
        ip: e.ip,
        action: e.action,
        target: e.target,
        before: sanitizeForAudit(e.before ?? null),
        after: sanitizeForAudit(e.after ?? null),
      })
      if (queue.length >= 100) tick()
    },
    flush,
    list: async (opts: { limit: number; before?: number; actor?: string; action?: string }) => {
      await flush()
      return settings.listAudit(opts)
    },
    stop: async () => {
      clearInterval(timer)
      await flush()
    },
  }
}

/** The audit log's interface. */
export type AuditLog = ReturnType<typeof createAuditLog>
