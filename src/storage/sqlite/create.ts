/**
 * @module
 * Builds the SQLite {@link Stores} over a {@link SqlDatabase}: applies migrations, then wires every
 * repository to the same connection. Only the SQL port is used, so the adapter runs on Bun
 * (bun:sqlite) and Deno (node:sqlite) alike.
 */
import type { Clock, Logger } from '../../core/ports.ts'
import { systemClock } from '../../core/time.ts'
import type { Stores } from '../stores.ts'
import { createSqliteAccountRepo } from './accounts-repo.ts'
import { createSqliteCoordRepo, sweepCoord } from './coord-repo.ts'
import { createCostMirror } from './cost-mirror.ts'
import type { SqlDatabase } from './driver.ts'
import { createSqliteHistoryRepo } from './history-repo.ts'
import { createSqliteKeyRepo } from './keys-repo.ts'
import { createSqliteLimitsRepo, type LimitsState, sweepLimits } from './limits-repo.ts'
import { migrate } from './migrations.ts'
import { createSqliteSettingsRepo } from './settings-repo.ts'
import { createSqliteUsageRepo, sweepUsage } from './usage-repo.ts'

/** Options of {@link createSqliteStores}. */
export interface SqliteStoresOptions {
  /** Decides expiry for methods without a `now` argument; defaults to the system clock. */
  clock?: Clock
  logger?: Logger
  /** Store large history bodies compressed (the default; see `body-codec.ts`). */
  compressHistoryBodies?: boolean
}

/** Migrates `db` and returns every repository backed by it. */
export function createSqliteStores(db: SqlDatabase, options: SqliteStoresOptions = {}): Stores {
  const clock = options.clock ?? systemClock
  const logger = options.logger
  migrate(db, logger)
  const costs = createCostMirror(db)
  const limitsState: LimitsState = { leases: new Map(), windows: new Map(), sticky: new Map() }
  const coord = createSqliteCoordRepo(db, { clock, logger })
  let closed = false

  return {
    kind: 'sqlite',
    keys: createSqliteKeyRepo(db),
    accounts: createSqliteAccountRepo(db),
    usage: createSqliteUsageRepo(db, clock, costs),
    limits: createSqliteLimitsRepo(costs, clock, limitsState),
    history: createSqliteHistoryRepo(db, { compressBodies: options.compressHistoryBodies }),
    settings: createSqliteSettingsRepo(db),
    coord,
    async ping() {
      const started = performance.now()
      db.get('SELECT 1')
      return performance.now() - started
    },
    async sweepExpired(now) {
      costs.clear()
      return (
        sweepLimits(limitsState, now) +
        db.transaction(() => sweepUsage(db, now) + sweepCoord(db, now))
      )
    },
    async close() {
      if (closed) return
      closed = true
      coord.unsubscribeAll()
      db.close()
    },
  }
}
