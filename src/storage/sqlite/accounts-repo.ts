/**
 * @module
 * SQLite adapter of {@link AccountRepository}. Configuration (`accounts`), health state
 * (`account_state`) and groups (`account_groups`) are separate tables, so a health update never
 * rewrites the configuration document.
 */
import {
  Account,
  AccountGroup,
  type AccountState,
  initialAccountState,
} from '../../accounts/model.ts'
import type { AccountRepository } from '../../accounts/repository.ts'
import type { SqlDatabase } from './driver.ts'
import { createdMs, decodeDoc } from './migrations.ts'

/** Most ids bound in one `IN (…)` list, well under SQLite's parameter limit. */
const IN_CHUNK = 500

function decodeState(doc: string | undefined): AccountState {
  if (doc === undefined) return initialAccountState()
  return { ...initialAccountState(), ...(JSON.parse(doc) as Partial<AccountState>) }
}

/** A table of JSON documents (`id`, `created_ms`, `doc`) listed in creation order. */
function docTable<T extends { id: string; createdAt: string }>(
  db: SqlDatabase,
  table: 'accounts' | 'account_groups',
  schema: Parameters<typeof decodeDoc>[0],
) {
  return {
    put(doc: T): void {
      db.run(
        `INSERT INTO ${table} (id, created_ms, doc) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET created_ms = excluded.created_ms, doc = excluded.doc`,
        [doc.id, createdMs(doc.createdAt), JSON.stringify(doc)],
      )
    },
    get(id: string): T | null {
      const row = db.get<{ doc: string }>(`SELECT doc FROM ${table} WHERE id = ?`, [id])
      return row ? (decodeDoc(schema, row.doc) as T) : null
    },
    list(): T[] {
      return db
        .all<{ doc: string }>(`SELECT doc FROM ${table} ORDER BY created_ms, seq`)
        .map((r) => decodeDoc(schema, r.doc) as T)
    },
    remove(id: string): boolean {
      return db.run(`DELETE FROM ${table} WHERE id = ?`, [id]).changes > 0
    },
  }
}

/** Creates the account repository over `db` (migrations already applied). */
export function createSqliteAccountRepo(db: SqlDatabase): AccountRepository {
  const readState = (id: string) =>
    decodeState(
      db.get<{ doc: string }>('SELECT doc FROM account_state WHERE account_id = ?', [id])?.doc,
    )

  const accounts = docTable<Account>(db, 'accounts', Account)
  const groups = docTable<AccountGroup>(db, 'account_groups', AccountGroup)

  return {
    async put(account) {
      accounts.put(account)
    },
    async get(id) {
      return accounts.get(id)
    },
    async list() {
      return accounts.list()
    },
    async delete(id) {
      return db.transaction(() => {
        db.run('DELETE FROM account_state WHERE account_id = ?', [id])
        return accounts.remove(id)
      })
    },

    async getState(id) {
      return readState(id)
    },
    async getStates(ids) {
      const states = new Map<string, AccountState>()
      const unique = [...new Set(ids)]
      for (let i = 0; i < unique.length; i += IN_CHUNK) {
        const chunk = unique.slice(i, i + IN_CHUNK)
        const rows = db.all<{ account_id: string; doc: string }>(
          `SELECT account_id, doc FROM account_state WHERE account_id IN (${chunk.map(() => '?').join(',')})`,
          chunk,
        )
        for (const r of rows) states.set(r.account_id, decodeState(r.doc))
      }
      for (const id of unique) if (!states.has(id)) states.set(id, initialAccountState())
      return states
    },
    async patchState(id, patch) {
      return db.transaction(() => {
        const merged = { ...readState(id) }
        // Copy only defined fields: `{ lastError: undefined }` must not erase the stored value.
        for (const [k, v] of Object.entries(patch)) {
          if (v !== undefined) (merged as Record<string, unknown>)[k] = v
        }
        db.run(
          `INSERT INTO account_state (account_id, doc) VALUES (?, ?)
           ON CONFLICT (account_id) DO UPDATE SET doc = excluded.doc`,
          [id, JSON.stringify(merged)],
        )
        return merged
      })
    },

    async putGroup(group) {
      groups.put(group)
    },
    async getGroup(id) {
      return groups.get(id)
    },
    async listGroups() {
      return groups.list()
    },
    async deleteGroup(id) {
      return groups.remove(id)
    },
  }
}
