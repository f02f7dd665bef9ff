/**
 * @module
 * SQLite adapter of {@link KeyRepository}: one `api_keys` row per key holding the JSON document,
 * with `hash` as a unique column for the lookup by hash and `created_ms` (then `seq`) giving creation order.
 * Last-use times are written into the document in place (`json_set`), not by rewriting it.
 */
import { ApiKey } from '../../keys/model.ts'
import type { KeyRepository } from '../../keys/repository.ts'
import type { SqlDatabase } from './driver.ts'
import { createdMs, decodeDoc } from './migrations.ts'

/** Parses a stored key document, filling fields added since it was written with defaults. */
export function decodeKey(doc: string): ApiKey {
  return decodeDoc(ApiKey, doc)
}

/** Creates the key repository over `db` (migrations already applied). */
export function createSqliteKeyRepo(db: SqlDatabase): KeyRepository {
  return {
    async put(key) {
      // Creation order is `createdAt` (ties: first insert, as the upsert keeps `seq`). A hash
      // already held by another id fails the unique index (SHA-256 collisions do not happen).
      db.run(
        `INSERT INTO api_keys (id, hash, created_ms, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET
           hash = excluded.hash, created_ms = excluded.created_ms, doc = excluded.doc`,
        [key.id, key.hash, createdMs(key.createdAt), JSON.stringify(key)],
      )
    },
    async get(id) {
      const row = db.get<{ doc: string }>('SELECT doc FROM api_keys WHERE id = ?', [id])
      return row ? decodeKey(row.doc) : null
    },
    async findByHash(hash) {
      const row = db.get<{ doc: string }>('SELECT doc FROM api_keys WHERE hash = ?', [hash])
      return row ? decodeKey(row.doc) : null
    },
    async list() {
      return db
        .all<{ doc: string }>('SELECT doc FROM api_keys ORDER BY created_ms, seq')
        .map((r) => decodeKey(r.doc))
    },
    async delete(id) {
      return db.run('DELETE FROM api_keys WHERE id = ?', [id]).changes > 0
    },
    async recordUse(uses) {
      if (uses.size === 0) return
      // ISO-8601 UTC times of one format compare as text; a missing or null time is ''.
      db.transaction(() => {
        for (const [id, at] of uses) {
          const iso = new Date(at).toISOString()
          db.run(
            `UPDATE api_keys SET doc = json_set(doc, '$.lastUsedAt', ?)
             WHERE id = ? AND coalesce(json_extract(doc, '$.lastUsedAt'), '') < ?`,
            [iso, id, iso],
          )
        }
      })
    },
  }
}
