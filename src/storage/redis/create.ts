/**
 * @module
 * Wires the Redis adapter: one command connection with the Lua scripts registered, a duplicate
 * connection for pub/sub, and every repository over the configured key prefix.
 */
import type { Logger } from '../../core/ports.ts'
import type { Stores } from '../stores.ts'
import { createAccountsRepo } from './accounts-repo.ts'
import { attachLogging, createRedisClient } from './client.ts'
import { createCoordRepo } from './coord-repo.ts'
import { createHistoryRepo } from './history-repo.ts'
import { createRedisKeys } from './keys.ts'
import { createKeysRepo } from './keys-repo.ts'
import { createLimitsRepo } from './limits-repo.ts'
import { createSettingsRepo } from './settings-repo.ts'
import { createUsageRepo } from './usage-repo.ts'

/** Options of {@link createRedisStores}. */
export interface RedisStoresOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string
  /** Prefix of every key and channel, e.g. `crs`. */
  prefix: string
  logger?: Logger
}

/** Connects to Redis and returns every repository backed by it. */
export async function createRedisStores(options: RedisStoresOptions): Promise<Stores> {
  const client = createRedisClient({ url: options.url, logger: options.logger })
  const subscriber = client.duplicate()
  attachLogging(subscriber, options.logger, 'subscriber')
  const keys = createRedisKeys(options.prefix)

  return {
    kind: 'redis',
    keys: createKeysRepo(client, keys),
    accounts: createAccountsRepo(client, keys),
    usage: createUsageRepo(client, keys),
    limits: createLimitsRepo(client, keys),
    history: createHistoryRepo(client, keys),
    settings: createSettingsRepo(client, keys),
    coord: createCoordRepo(client, keys, { subscriber, logger: options.logger }),

    async ping() {
      const started = performance.now()
      await client.ping()
      return performance.now() - started
    },

    async sweepExpired() {
      return 0
    },

    async close() {
      await Promise.allSettled([client.quit(), subscriber.quit()])
    },
  }
}
