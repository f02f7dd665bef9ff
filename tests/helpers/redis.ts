/**
 * Redis for tests: the machine's Redis (REDIS_TEST_URL or 127.0.0.1:6379). Outside CI a missing
 * Redis skips the Redis suites with one loud line; with CI=true it fails them.
 */
import Redis from 'ioredis'

/** URL of the Redis used by tests. */
export const REDIS_TEST_URL = process.env.REDIS_TEST_URL ?? 'redis://127.0.0.1:6379/0'

let probe: Promise<boolean> | undefined

/** True when Redis answers PING within a second. */
export function redisAvailable(): Promise<boolean> {
  probe ??= (async () => {
    const client = new Redis(REDIS_TEST_URL, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: () => null,
    })
    try {
      await client.connect()
      return (await client.ping()) === 'PONG'
    } catch {
      return false
    } finally {
      client.disconnect()
    }
  })()
  return probe
}

const announced = new Set<string>()

/** Whether a Redis suite should run; throws in CI when Redis is unreachable. */
export async function shouldRunRedis(suite: string): Promise<boolean> {
  if (await redisAvailable()) return true
  if (process.env.CI === 'true')
    throw new Error(`Redis at ${REDIS_TEST_URL} is unreachable and CI=true: ${suite} must not skip`)
  if (!announced.has(suite)) {
    announced.add(suite)
    console.warn(
      `\n!!! SKIPPING ${suite}: Redis at ${REDIS_TEST_URL} is unreachable (set CI=true to fail instead) !!!\n`,
    )
  }
  return false
}

/** Deletes every key under `prefix` with SCAN (never KEYS). */
export async function deletePrefix(prefix: string): Promise<void> {
  const client = new Redis(REDIS_TEST_URL)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length) await client.unlink(...keys)
    } while (cursor !== '0')
  } finally {
    client.disconnect()
  }
}
