/** The storage backends an end-to-end suite runs on: SQLite always, Redis when reachable. */
import { openBunSqlite } from '../../src/runtime/bun.ts'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from './redis.ts'

/** A named backend: fresh stores and their cleanup. */
export type Backend = [
  name: string,
  make: () => Promise<{ stores: Stores; cleanup: () => Promise<void> }>,
]

/** SQLite in memory, plus Redis under a unique prefix (fails in CI when Redis is down). */
export async function storeBackends(suite: string): Promise<Backend[]> {
  const list: Backend[] = [
    [
      'sqlite',
      async () => ({
        stores: createSqliteStores(openBunSqlite(':memory:')),
        cleanup: async () => {},
      }),
    ],
  ]
  if (await shouldRunRedis(suite)) {
    list.push([
      'redis',
      async () => {
        const prefix = `test:${crypto.randomUUID()}`
        return {
          stores: await createRedisStores({ url: REDIS_TEST_URL, prefix }),
          cleanup: () => deletePrefix(prefix),
        }
      },
    ])
  }
  return list
}
