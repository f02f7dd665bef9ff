import { describe } from 'bun:test'
import { createRedisStores } from '../../src/storage/redis/create.ts'
import { deletePrefix, REDIS_TEST_URL, shouldRunRedis } from '../helpers/redis.ts'
import { describeStoreContract } from './store-contract.ts'

const prefix = `test:${crypto.randomUUID()}`

if (await shouldRunRedis('redis store contract')) {
  describeStoreContract('redis', {
    make: () => createRedisStores({ url: REDIS_TEST_URL, prefix }),
    reopen: () => createRedisStores({ url: REDIS_TEST_URL, prefix }),
    destroy: () => deletePrefix(prefix),
  })
} else {
  describe.skip('redis store contract (Redis unreachable)', () => {})
}
