/**
 * @module
 * Wires the Redis adapter: one command connection (to one node or a cluster) with the Lua scripts
 * registered, a connection for pub/sub (see createSubscriber), and every repository over the
 * configured key prefix. Lease releases that fail while Redis is unreachable are retried in the
 * background (see {@link retryReleases}).
 */
import type { Logger } from '../../core/ports.ts'
import type { LimitsRepository } from '../../limits/repository.ts'
import type { Stores } from '../stores.ts'
import { createAccountsRepo } from './accounts-repo.ts'
import { attachLogging, createRedisClient, createSubscriber } from './client.ts'
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
  /** A Redis Cluster: `url` is one seed node, `nodes` (`host:port`) more. */
  cluster?: { nodes: string[] }
  logger?: Logger
}

/** How often failed lease releases are retried, and for how long (a lease expires by then). */
const RELEASE_RETRY_MS = 500
const RELEASE_RETRY_FOR_MS = 3_600_000
const RELEASE_RETRY_MAX = 50_000

/**
 * Wraps the limits repository so that a lease release that fails (Redis down or the reply lost)
 * is retried every {@link RELEASE_RETRY_MS} until it passes: without it, each request that ended
 * during an outage kept its key's concurrency slot until the lease expired (CONCURRENCY_LEASE_MS,
 * 5 min by default). Releasing is idempotent (ZREM), so retrying one that did apply is harmless.
 * The failed call still rejects (the caller logs it). `drain` retries once more (on close).
 */
export function retryReleases(limits: LimitsRepository, logger?: Logger) {
  const pending = new Map<string, { since: number; run: () => Promise<unknown> }>()
  let timer: ReturnType<typeof setInterval> | null = null
  let draining: Promise<void> | null = null

  const drain = (): Promise<void> => {
    draining ??= (async () => {
      const all = [...pending]
      // 200 at a time (auto-pipelined together); stop at the first chunk that still fails.
      for (let i = 0; i < all.length; i += 200) {
        const chunk = all.slice(i, i + 200)
        const results = await Promise.allSettled(
          chunk.map(([id, item]) =>
            Date.now() - item.since > RELEASE_RETRY_FOR_MS ? Promise.resolve(id) : item.run(),
          ),
        )
        results.forEach((r, j) => {
          if (r.status === 'fulfilled') pending.delete(chunk[j]![0])
        })
        if (results.some((r) => r.status === 'rejected')) break
      }
      if (pending.size === 0 && timer) {
        clearInterval(timer)
        timer = null
        logger?.info('lease releases that failed during a storage outage went through')
      }
    })().finally(() => {
      draining = null
    })
    return draining
  }

  const retried = <T>(id: string, run: () => Promise<T>): Promise<T> =>
    run().catch((err) => {
      if (pending.size < RELEASE_RETRY_MAX) pending.set(id, { since: Date.now(), run })
      if (!timer) {
        timer = setInterval(() => void drain(), RELEASE_RETRY_MS)
        ;(timer as { unref?: () => void }).unref?.()
      }
      throw err
    })

  const repo: LimitsRepository = {
    ...limits,
    release: (keyId, leaseId) =>
      retried(`k\u0000${keyId}\u0000${leaseId}`, () => limits.release(keyId, leaseId)),
    releaseAccountLease: (accountId, leaseId) =>
      retried(`a\u0000${accountId}\u0000${leaseId}`, () =>
        limits.releaseAccountLease(accountId, leaseId),
      ),
  }
  return {
    repo,
    /** Releases still waiting for Redis. */
    pending: () => pending.size,
    /** Retries the pending releases once and stops the timer. */
    async stop() {
      if (timer) clearInterval(timer)
      timer = null
      if (pending.size) await drain().catch(() => {})
    },
  }
}

/** Connects to Redis and returns every repository backed by it. */
export async function createRedisStores(options: RedisStoresOptions): Promise<Stores> {
  const client = createRedisClient(options)
  const subscriber = createSubscriber(client, options)
  attachLogging(subscriber, options.logger, 'subscriber')
  const keys = createRedisKeys(options.prefix, { cluster: options.cluster !== undefined })
  const limits = retryReleases(createLimitsRepo(client, keys), options.logger)

  return {
    kind: 'redis',
    keys: createKeysRepo(client, keys),
    accounts: createAccountsRepo(client, keys),
    usage: createUsageRepo(client, keys),
    limits: limits.repo,
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
      await limits.stop()
      await Promise.allSettled([client.quit(), subscriber.quit()])
    },
  }
}
