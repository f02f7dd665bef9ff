/**
 * Runs import-crs in process against keys a test wrote under `prefix:` in the test Redis, with
 * the settings the import tests share (8 h time zone, 30 days of counters, no dry run).
 */
import { createSecretBox } from '../../src/core/crypto.ts'
import { type ImportReport, importFromOld } from '../../src/migrate/import.ts'
import { bunPasswordHasher } from '../../src/runtime/bun.ts'
import { connectOldRedis } from '../../src/storage/old-crs/redis-reader.ts'
import type { Stores } from '../../src/storage/stores.ts'
import { REDIS_TEST_URL } from './redis.ts'

/** Imports everything under `prefix:` into `stores`; `encryptionKey` is the old system's. */
export async function importOld(
  prefix: string,
  stores: Stores,
  encryptionKey: string,
): Promise<ImportReport> {
  const old = await connectOldRedis(REDIS_TEST_URL)
  try {
    return await importFromOld({
      old,
      oldPrefix: `${prefix}:`,
      source: `test-${prefix}`,
      stores,
      encryptionKey,
      box: createSecretBox(encryptionKey),
      hasher: bunPasswordHasher,
      tzOffsetHours: 8,
      retentionMs: 30 * 86_400_000,
      dryRun: false,
      adminEnvDigest: null,
    })
  } finally {
    await old.close()
  }
}
