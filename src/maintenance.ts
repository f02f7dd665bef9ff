/**
 * @module
 * The relay's periodic work outside requests: every 5 s, last-use times of accounts and keys are
 * stored (they change on every request and are written lazily); every CLEANUP_INTERVAL, history
 * retention runs (by age and by total size) and SQLite rows past their TTL are swept; every
 * `storageCheckMs` storage is pinged, so that an outage is reported (webhook system events) even
 * when nothing else notices it.
 */
import type { AccountService } from './accounts/service.ts'
import type { FaultReporter } from './core/faults.ts'
import type { Clock, Logger } from './core/ports.ts'
import type { HistoryService } from './history/service.ts'
import type { KeyService } from './keys/service.ts'
import { pingWithin, type Stores, storageDownText } from './storage/stores.ts'

/** Starts the timers; `cleanup()` runs the periodic maintenance now. */
export function startMaintenance(deps: {
  accounts: AccountService
  keys: KeyService
  history: HistoryService
  stores: Stores
  clock: Clock
  logger: Logger
  cleanupIntervalMs: number
  /** Told whether the periodic storage check reached storage. */
  faults?: FaultReporter
  /** How often storage is pinged. @default 15000 */
  storageCheckMs?: number
}) {
  const { accounts, keys, history, stores, clock, logger } = deps
  const checkStorage = async () => {
    try {
      await pingWithin(stores, 2000)
      deps.faults?.recovered('storage_unreachable')
    } catch (err) {
      deps.faults?.failed('storage_unreachable', storageDownText(stores.kind, err))
    }
  }
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
  const storageTimer = setInterval(() => void checkStorage(), deps.storageCheckMs ?? 15_000)
  for (const t of [lastUseTimer, cleanupTimer, storageTimer])
    (t as { unref?: () => void }).unref?.()
  return {
    cleanup,
    /** Stops the timers and stores the last-use times still pending. */
    async stop() {
      clearInterval(lastUseTimer)
      clearInterval(cleanupTimer)
      clearInterval(storageTimer)
      await storeLastUse()
    },
  }
}
