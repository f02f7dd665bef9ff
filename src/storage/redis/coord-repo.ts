/**
 * @module
 * Redis adapter of the CoordRepository: locks (SET NX PX, compare-and-delete release), temp
 * values and counters with TTLs, and pub/sub on a dedicated subscriber connection.
 */
import { type CoordRepository, RESYNC } from '../../coord/repository.ts'
import type { Logger } from '../../core/ports.ts'
import type { RedisClient } from './client.ts'
import type { RedisKeys } from './keys.ts'

/** Creates the Redis CoordRepository; `subscriber` is a connection used only for SUBSCRIBE. */
export function createCoordRepo(
  client: RedisClient,
  keys: RedisKeys,
  options: { subscriber: RedisClient; logger?: Logger },
): CoordRepository {
  const { subscriber, logger } = options
  // Each subscription gets its own entry, so one handler subscribed twice needs two unsubscribes.
  const handlers = new Map<string, Set<{ handler: (message: string) => void }>>()
  const subscribed = new Map<string, Promise<unknown>>()

  /**
   * Resolves once the subscriber connection is ready. A SUBSCRIBE sent while ioredis still runs
   * its ready check (status `connect`) switches the connection to subscriber mode, the check's
   * INFO is then refused, ioredis drops the connection and does not restore that subscription:
   * the instance silently stopped hearing invalidations.
   */
  const whenReady = (): Promise<void> =>
    subscriber.status === 'ready'
      ? Promise.resolve()
      : new Promise((resolve) => subscriber.once('ready', () => resolve()))
  let readyBefore = subscriber.status === 'ready'
  subscriber.on('ready', () => {
    // After a reconnect, subscribe again to every channel in use (a no-op for those ioredis
    // already restored), so no channel stays silent; then tell every handler that messages
    // published while the connection was down are lost (RESYNC), so caches re-read.
    if (readyBefore)
      for (const [channel, set] of handlers) {
        subscriber
          .subscribe(keys.channel(channel))
          .then(() => deliver(channel, set, RESYNC))
          .catch((err: unknown) => {
            logger?.warn('cannot subscribe again after a reconnect', { channel, error: err })
          })
      }
    readyBefore = true
  })

  function deliver(
    name: string,
    set: Set<{ handler: (message: string) => void }>,
    message: string,
  ): void {
    for (const entry of [...set]) {
      try {
        entry.handler(message)
      } catch (err) {
        logger?.error('bus handler failed', { channel: name, error: err })
      }
    }
  }

  subscriber.on('message', (redisChannel: string, message: string) => {
    const name = keys.channelName(redisChannel)
    const set = name == null ? undefined : handlers.get(name)
    if (name != null && set) deliver(name, set, message)
  })

  return {
    async acquireLock(name, owner, ttlMs) {
      const reply = await client.set(keys.lock(name), owner, 'PX', Math.max(1, ttlMs), 'NX')
      return reply === 'OK'
    },

    async releaseLock(name, owner) {
      return (await client.crsReleaseLock(keys.lock(name), owner)) === 1
    },

    async setTemp(name, value, ttlMs) {
      await client.set(keys.temp(name), value, 'PX', Math.max(1, ttlMs))
    },

    async getTemp(name) {
      return client.get(keys.temp(name))
    },

    async takeTemp(name) {
      return client.getdel(keys.temp(name))
    },

    async deleteTemp(name) {
      await client.del(keys.temp(name))
    },

    async incrementTemp(name, ttlMs) {
      return client.crsIncrementTemp(keys.temp(name), Math.max(1, ttlMs))
    },

    async publish(channel, message) {
      await client.publish(keys.channel(channel), message)
    },

    async subscribe(channel, handler) {
      let set = handlers.get(channel)
      if (!set) {
        set = new Set()
        handlers.set(channel, set)
        const fresh = set
        // Until SUBSCRIBE is answered, messages published on the channel do not reach this
        // instance; what a handler cached meanwhile may be stale, so it hears RESYNC once.
        subscribed.set(
          channel,
          whenReady()
            .then(() => subscriber.subscribe(keys.channel(channel)))
            .then(() => deliver(channel, fresh, RESYNC)),
        )
      }
      const entry = { handler }
      set.add(entry)
      try {
        await subscribed.get(channel)
      } catch (err) {
        set.delete(entry)
        if (set.size === 0 && handlers.get(channel) === set) {
          handlers.delete(channel)
          subscribed.delete(channel)
        }
        throw err
      }
      let active = true
      return async () => {
        if (!active) return
        active = false
        const current = handlers.get(channel)
        if (!current) return
        current.delete(entry)
        if (current.size === 0) {
          handlers.delete(channel)
          subscribed.delete(channel)
          await subscriber.unsubscribe(keys.channel(channel))
        }
      }
    },
  }
}
