/**
 * @module
 * Opens the store a storage choice names: Redis (or a Redis Cluster) through ioredis, loaded only
 * when chosen (it costs an SQLite-mode process ~3 MB of RSS), else the SQLite file, its folder
 * created first. The service, the importer and the store copy all open storage here.
 */
import type { StorageChoice } from '../config/load.ts'
import type { Clock, Logger } from '../core/ports.ts'
import { createSqliteStores } from './sqlite/create.ts'
import type { SqlDatabase } from './sqlite/driver.ts'
import type { Stores } from './stores.ts'

/** What opening storage needs from the runtime. */
export interface StoreRuntime {
  openSqlite(path: string): SqlDatabase
  ensureDir(path: string): void
  fileExists?(path: string): boolean
}

/** Opened storage; `sqlite` is the serving connection when the choice is SQLite. */
export interface OpenedStores {
  stores: Stores
  sqlite?: SqlDatabase
}

/**
 * Opens `choice`. With `dryRun`, an SQLite file that does not exist yet is not created: an empty
 * in-memory database stands in for it.
 */
export async function openStores(
  choice: StorageChoice,
  runtime: StoreRuntime,
  options: { logger: Logger; clock?: Clock; dryRun?: boolean },
): Promise<OpenedStores> {
  const { logger, clock } = options
  if (choice.kind === 'redis') {
    const { createRedisStores } = await import('./redis/create.ts')
    return {
      stores: await createRedisStores({
        url: choice.url,
        prefix: choice.prefix,
        cluster: choice.cluster,
        logger,
      }),
    }
  }
  if (options.dryRun && choice.path !== ':memory:' && !runtime.fileExists?.(choice.path)) {
    return { stores: createSqliteStores(runtime.openSqlite(':memory:'), { clock, logger }) }
  }
  const slash = choice.path.lastIndexOf('/')
  if (choice.path !== ':memory:' && slash > 0) runtime.ensureDir(choice.path.slice(0, slash))
  const sqlite = runtime.openSqlite(choice.path)
  return { stores: createSqliteStores(sqlite, { clock, logger }), sqlite }
}
