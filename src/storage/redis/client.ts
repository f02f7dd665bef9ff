/**
 * @module
 * The ioredis connection of the Redis adapter: options, Lua script registration and typed script
 * commands (ioredis module augmentation, so pipelines know them too), plus small reply helpers.
 */
import type { Static, TObject } from '@sinclair/typebox'
import Redis, { type ChainableCommander, type Result } from 'ioredis'
import type { Logger } from '../../core/ports.ts'
import { SCRIPTS } from './scripts.ts'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** See scripts.ts ADMIT; numkeys comes first. */
    crsAdmit(numKeys: number, ...args: (string | number)[]): Result<unknown, Context>
    /** See scripts.ts RENEW_LEASE. */
    crsRenewLease(
      key: string,
      leaseId: string,
      now: number,
      leaseMs: number,
    ): Result<number, Context>
    /** See scripts.ts ADD_WINDOW_USAGE. */
    crsAddWindowUsage(
      key: string,
      start: number,
      tokens: number,
      costNanos: number,
      batchId: string,
    ): Result<number, Context>
    /** See scripts.ts ACQUIRE_ACCOUNT_LEASE. */
    crsAcquireAccountLease(
      key: string,
      leaseId: string,
      limit: number,
      leaseMs: number,
      now: number,
    ): Result<number, Context>
    /** See scripts.ts RELEASE_LOCK. */
    crsReleaseLock(key: string, owner: string): Result<number, Context>
    /** See scripts.ts SUM_FIELD; numkeys comes first. */
    crsSumField(numKeys: number, ...args: string[]): Result<string[], Context>
    /** See scripts.ts CLAIM_STICKY. */
    crsClaimSticky(key: string, accountId: string, ttlMs: number): Result<string, Context>
    /** See scripts.ts INCREMENT_TEMP. */
    crsIncrementTemp(key: string, ttlMs: number): Result<number, Context>
    /** See scripts.ts RAISE_LAST_USED. */
    crsRaiseLastUsed(key: string, ...idMsPairs: (string | number)[]): Result<number, Context>
  }
}

/** The ioredis client type used by the repositories. */
export type RedisClient = Redis

/** Options of {@link createRedisClient}. */
export interface RedisClientOptions {
  url: string
  logger?: Logger
}

/**
 * Reconnect delay: 100 ms doubling up to 500 ms. With `maxRetriesPerRequest: 0` a command issued
 * while Redis is unreachable fails at the next failed reconnect attempt; auto-pipelining holds a
 * command behind the pipeline already queued, so it waits at most two of these (requests answer
 * 503 within about a second instead of queueing for several seconds).
 */
export function retryDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt - 1, 3), 500)
}

/** Opens a connection (connecting immediately) with every script registered. */
export function createRedisClient(options: RedisClientOptions): RedisClient {
  const client = new Redis(options.url, {
    lazyConnect: false,
    // 0 = fail pending commands on every failed (re)connect attempt rather than every third one:
    // with 2, commands queued during an outage waited up to 3 reconnect delays (~5 s measured).
    // Commands in flight when the connection drops are failed, not resent (callers retry).
    maxRetriesPerRequest: 0,
    enableOfflineQueue: true,
    retryStrategy: retryDelay,
    // Commands issued in the same tick share one socket write: at high request rates the
    // admission script, lease releases and batched writes of many requests travel together.
    enableAutoPipelining: true,
  })
  for (const [name, script] of Object.entries(SCRIPTS)) client.defineCommand(name, script)
  attachLogging(client, options.logger, 'main')
  return client
}

/** Logs connection errors and reconnects (once per state change, not per retry storm). */
export function attachLogging(client: Redis, logger: Logger | undefined, role: string): void {
  if (!logger) {
    // ioredis prints unhandled 'error' events; an empty listener keeps tests quiet.
    client.on('error', () => {})
    return
  }
  let lastError = ''
  client.on('error', (err: Error) => {
    if (err.message === lastError) return
    lastError = err.message
    logger.warn('redis connection error', { role, error: err.message })
  })
  client.on('ready', () => {
    if (lastError) logger.info('redis connection restored', { role })
    lastError = ''
  })
}

/** Runs a pipeline or transaction and returns its replies, throwing the first command error. */
export async function execAll(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = await pipeline.exec()
  if (!results) throw new Error('redis transaction aborted')
  return results.map(([err, value]) => {
    if (err) throw err
    return value
  })
}

/** Deletes every key matching `pattern` with SCAN (never KEYS), in batches; returns how many. */
export async function scanDelete(client: Redis, pattern: string, batch = 500): Promise<number> {
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', batch)
    cursor = next
    if (keys.length > 0) {
      const pipe = client.pipeline()
      for (const key of keys) pipe.unlink(key)
      for (const n of await execAll(pipe)) deleted += Number(n)
    }
  } while (cursor !== '0')
  return deleted
}

/** Parses an integer reply field; missing or invalid → 0. */
export function toInt(value: unknown): number {
  if (value == null) return 0
  const n = Number(value)
  return Number.isFinite(n) ? n : 0
}

/**
 * Decodes a stored JSON record; top-level fields missing from it (added to the schema later) get
 * their schema default. Stored records are trusted, so nothing else is checked. TypeBox's
 * `Value.Default` is not used because it rewrites some union values (an object in an
 * `Array | Record` union becomes the array default).
 */
export function decodeRecord<S extends TObject>(schema: S, json: string): Static<S> {
  const value = JSON.parse(json) as Record<string, unknown>
  for (const [field, prop] of Object.entries(schema.properties)) {
    if (value[field] === undefined && 'default' in prop)
      value[field] = structuredClone(prop.default)
  }
  return value as Static<S>
}
