/**
 * Key lookups while storage is down: a key seen before keeps working on its last read, past the
 * cache's lifetime, and storage is asked again on the next request; an unknown key is answered
 * with a 503 (Anthropic-shaped by the HTTP layer), never a 500; a key invalidated before the
 * outage is not served from a stale read.
 */
import { expect, test } from 'bun:test'
import { RESYNC } from '../../../src/coord/repository.ts'
import { ServiceUnavailableError } from '../../../src/core/errors.ts'
import { createMemoryLogger } from '../../../src/core/log.ts'
import { createKeyService } from '../../../src/keys/service.ts'
import { openBunSqlite } from '../../../src/runtime/bun.ts'
import { createSqliteStores } from '../../../src/storage/sqlite/create.ts'

test('storage down: known keys keep working, unknown ones get a 503, storage is asked again', async () => {
  const stores = createSqliteStores(openBunSqlite(':memory:'))
  let now = Date.parse('2026-05-01T12:00:00.000Z')
  let down = false
  let lookups = 0
  const logger = createMemoryLogger()
  const keys = createKeyService({
    repo: {
      ...stores.keys,
      findByHash: async (hash) => {
        lookups++
        if (down) throw new Error('Connection is closed.')
        return stores.keys.findByHash(hash)
      },
    },
    coord: stores.coord,
    clock: { now: () => now },
    logger,
    encryptionKey: 'test-encryption-key-0123456789',
    prefix: 'cr_',
  })
  const known = await keys.create({ name: 'known' })
  const other = await keys.create({ name: 'other' })
  const disabled = await keys.create({ name: 'soon-disabled' })
  expect((await keys.authenticate(known.plaintext)).id).toBe(known.key.id)
  expect((await keys.authenticate(disabled.plaintext)).id).toBe(disabled.key.id)
  await keys.update(disabled.key.id, { isActive: false })

  down = true
  now += 24 * 3_600_000
  const before = lookups
  expect((await keys.authenticate(known.plaintext)).id).toBe(known.key.id)
  expect((await keys.authenticate(known.plaintext)).id).toBe(known.key.id)
  // Each request asked storage (the stale read is not cached as fresh).
  expect(lookups - before).toBe(2)
  for (const plain of [other.plaintext, disabled.plaintext]) {
    const err = await keys.authenticate(plain).catch((e) => e)
    expect(err).toBeInstanceOf(ServiceUnavailableError)
    expect(err.status).toBe(503)
  }
  expect(logger.lines.some((l) => l.includes('storage unavailable'))).toBe(true)

  down = false
  expect((await keys.authenticate(other.plaintext)).id).toBe(other.key.id)
  // A resync (invalidations may have been missed) makes every key read again, yet a key seen
  // before still has its last read to fall back on.
  await stores.coord.publish('keys', RESYNC)
  const beforeResync = lookups
  expect((await keys.authenticate(other.plaintext)).id).toBe(other.key.id)
  expect(lookups - beforeResync).toBe(1)
  down = true
  expect((await keys.authenticate(other.plaintext)).id).toBe(other.key.id)
  down = false
  await expect(keys.authenticate(disabled.plaintext)).rejects.toThrow('disabled')
  await stores.close()
})
