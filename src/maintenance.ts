/**
 * @module
 * The relay's periodic work outside requests: every 5 s, last-use times of accounts and keys are
 * stored (they change on every request and are written lazily); every CLEANUP_INTERVAL, history
 * retention runs (by age and by total size) and SQLite rows past their TTL are swept.
 */
import type { AccountService } from './accounts/service.ts'
import type { Clock, Logger } from './core/ports.ts'
import type { HistoryService } from './history/service.ts'
import type { KeyService } from './keys/service.ts'
import type { Stores } from './storage/stores.ts'

/** Starts the timers; `cleanup()` runs the periodic maintenance now. */
export function startMaintenance(deps: {
  accounts: AccountService
  keys: KeyService
  history: HistoryService
  stores: Stores
  clock: Clock
  logger: Logger
  cleanupIntervalMs: number
}) {
  const { accounts, keys, history, stores, clock, logger } = deps
  const storeLastUse = async () => {
    await accounts.flushLastUsed().catch(() => {})
    await keys
      .flushTouches()
      .catch((err) => logger.warn('cannot store key last-use times', { error: err }))
  }
  const cleanup = async () => {
    try {
      await history.cleanup()
      const swept = await stores.sweepExpired(clock.now())
      if (swept) logger.debug('expired rows swept', { swept })
    } catch (err) {
      logger.warn('cleanup failed', { error: err })
    }
  }
  const lastUseTimer = setInterval(() => void storeLastUse(), 5000)
  const cleanupTimer = setInterval(() => void cleanup(), deps.cleanupIntervalMs)
  ;(lastUseTimer as { unref?: () => void }).unref?.()
  ;(cleanupTimer as { unref?: () => void }).unref?.()
  return {
    cleanup,
    /** Stops the timers and stores the last-use times still pending. */
    async stop() {
      clearInterval(lastUseTimer)
      clearInterval(cleanupTimer)
      await storeLastUse()
    },
  }
}
