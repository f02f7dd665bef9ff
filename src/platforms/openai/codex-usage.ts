/**
 * @module
 * The Codex usage windows of ChatGPT-login accounts (used percent and reset of the 5-hour and
 * weekly windows), read from the `x-codex-*` headers of every answer and kept per account in the
 * coordination store, so every instance's admin list shows the latest. A write happens only when
 * a value changed or the last one is half a minute old; it never waits on the response path.
 */
import type { CoordRepository } from '../../coord/repository.ts'
import type { Clock, Logger } from '../../core/ports.ts'
import { type CodexUsage, codexUsageOf } from './protocol.ts'

const PREFIX = 'codex-usage:'
const TTL_MS = 8 * 24 * 3_600_000
const REWRITE_MS = 30_000

/** Creates the store. */
export function createCodexUsageStore(deps: {
  coord: CoordRepository
  clock: Clock
  logger: Logger
}) {
  const last = new Map<string, { key: string; at: number }>()
  return {
    /** Reads the windows of an answer's headers (no-op when there are none). */
    observe(accountId: string, headers: Headers): void {
      const now = deps.clock.now()
      const usage = codexUsageOf(headers, now)
      if (!usage) return
      const key = JSON.stringify([usage.primary?.usedPercent, usage.secondary?.usedPercent])
      const prev = last.get(accountId)
      if (prev && prev.key === key && now - prev.at < REWRITE_MS) return
      last.set(accountId, { key, at: now })
      void deps.coord
        .setTemp(PREFIX + accountId, JSON.stringify(usage), TTL_MS)
        .catch((err) => deps.logger.warn('cannot store codex usage', { accountId, error: err }))
    },
    /** The latest windows of `accountId`, or null. */
    async get(accountId: string): Promise<CodexUsage | null> {
      const raw = await deps.coord.getTemp(PREFIX + accountId).catch(() => null)
      return raw ? (JSON.parse(raw) as CodexUsage) : null
    },
  }
}

/** The store's interface. */
export type CodexUsageStore = ReturnType<typeof createCodexUsageStore>
