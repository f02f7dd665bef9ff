import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openBunSqlite } from '../../src/runtime/bun.ts'
import { createSqliteStores } from '../../src/storage/sqlite/create.ts'
import { describeStoreContract } from './store-contract.ts'

const dir = mkdtempSync(join(tmpdir(), 'crs-sqlite-'))
const file = join(dir, 'relay.db')

describeStoreContract('sqlite', {
  make: async () => createSqliteStores(openBunSqlite(file)),
  reopen: async () => createSqliteStores(openBunSqlite(file)),
  destroy: async () => rmSync(dir, { recursive: true, force: true }),
})
