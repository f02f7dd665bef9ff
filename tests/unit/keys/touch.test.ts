/**
 * Key last-use times: `touch` records a use in memory (at most once per 5 minutes per key) and
 * `flushTouches` stores the pending times without rewriting the key, so an admin's edit made
 * between a request and the flush survives it; a failed store keeps the times for the next flush.
 */
import { expect, test } from 'bun:test'
import { createMemoryLogger } from '../../../src/core/log.ts'
import type { Clock } from '../../../src/core/ports.ts'
import { createKeyService } from '../../../src/keys/service.ts'
import { openBunSqlite } from '../../../src/runtime/bun.ts'
import { createSqliteStores } from '../../../src/storage/sqlite/create.ts'

function setup() {
  const stores = createSqliteStores(openBunSqlite(':memory:'))
  let now = Date.parse('2026-05-01T12:00:00.000Z')
  const clock: Clock = { now: () => now }
  const keys = createKeyService({
    repo: stores.keys,
    coord: stores.coord,
    clock,
    logger: createMemoryLogger(),
    encryptionKey: 'test-encryption-key-0123456789',
    prefix: 'cr_',
  })
  return { stores, keys, advance: (ms: number) => (now += ms) }
}

test('a flushed use keeps an edit made after the request', async () => {
  const { stores, keys, advance } = setup()
  const { key } = await keys.create({ name: 'alpha' })
  const used = await keys.get(key.id)
  await keys.touch(used!)
  advance(1000)
  await keys.update(key.id, { name: 'renamed', dailyCostLimit: 5 })
  await keys.flushTouches()
  const stored = await stores.keys.get(key.id)
  expect(stored?.name).toBe('renamed')
  expect(stored?.dailyCostLimit).toBe(5)
  expect(stored?.lastUsedAt).toBe('2026-05-01T12:00:00.000Z')
  await stores.close()
})

test('uses within 5 minutes are recorded once; a later one moves the time', async () => {
  const { stores, keys, advance } = setup()
  const { key } = await keys.create({ name: 'beta' })
  await keys.touch(key)
  advance(60_000)
  await keys.touch(key)
  await keys.flushTouches()
  expect((await stores.keys.get(key.id))?.lastUsedAt).toBe('2026-05-01T12:00:00.000Z')
  advance(5 * 60_000)
  await keys.touch(key)
  await keys.flushTouches()
  expect((await stores.keys.get(key.id))?.lastUsedAt).toBe('2026-05-01T12:06:00.000Z')
  await stores.close()
})

test('a store that fails keeps the pending times for the next flush', async () => {
  const { stores, keys } = setup()
  const { key } = await keys.create({ name: 'gamma' })
  await keys.touch(key)
  const real = stores.keys.recordUse
  stores.keys.recordUse = async () => {
    throw new Error('storage down')
  }
  await expect(keys.flushTouches()).rejects.toThrow('storage down')
  stores.keys.recordUse = real
  await keys.flushTouches()
  expect((await stores.keys.get(key.id))?.lastUsedAt).toBe('2026-05-01T12:00:00.000Z')
  await stores.close()
})

test('1,200 keys used at once are stored in writes of at most 100, all of them', async () => {
  const { stores, keys } = setup()
  const created = []
  for (let i = 0; i < 1200; i++) created.push((await keys.create({ name: `k${i}` })).key)
  for (const key of created) await keys.touch(key)
  const sizes: number[] = []
  const real = stores.keys.recordUse
  stores.keys.recordUse = (uses) => {
    sizes.push(uses.size)
    return real(uses)
  }
  await keys.flushTouches()
  expect(sizes).toEqual(Array(12).fill(100))
  const listed = await stores.keys.list()
  expect(listed.filter((k) => k.lastUsedAt === '2026-05-01T12:00:00.000Z').length).toBe(1200)
  await stores.close()
})
