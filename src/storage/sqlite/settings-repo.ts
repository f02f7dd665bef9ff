/**
 * @module
 * SQLite adapter of {@link SettingsRepository}: a `settings` table of named JSON documents and an
 * `audit` table indexed by time.
 */
import type { AuditEntry, SettingsRepository } from '../../settings/repository.ts'
import { type SqlDatabase, whereOf } from './driver.ts'

/** An `audit` row: the entry with its before and after documents as JSON text. */
type AuditRow = Omit<AuditEntry, 'before' | 'after'> & { before_doc: string; after_doc: string }

/** JSON text of `value`; `undefined` (not representable in JSON) is stored as null. */
function toJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null'
}

/** Creates the settings repository over `db` (migrations already applied). */
export function createSqliteSettingsRepo(db: SqlDatabase): SettingsRepository {
  return {
    async get(name) {
      const row = db.get<{ value: string }>('SELECT value FROM settings WHERE name = ?', [name])
      return row ? (JSON.parse(row.value) as unknown) : null
    },
    async put(name, value) {
      db.run(
        'INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
        [name, toJson(value)],
      )
    },
    async delete(name) {
      db.run('DELETE FROM settings WHERE name = ?', [name])
    },
    async names() {
      return db.all<{ name: string }>('SELECT name FROM settings ORDER BY name').map((r) => r.name)
    },
    async appendAudit(entries) {
      if (entries.length === 0) return
      db.transaction(() => {
        for (const e of entries) {
          db.run(
            `INSERT OR REPLACE INTO audit (id, at, actor, action, target, ip, before_doc, after_doc)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
            [e.id, e.at, e.actor, e.action, e.target, e.ip, toJson(e.before), toJson(e.after)],
          )
        }
      })
    },
    async listAudit(options) {
      const { sql: where, params } = whereOf([
        ['at < ?', options.before],
        ['actor = ?', options.actor],
        ['action = ?', options.action],
      ])
      const rows = db.all<AuditRow>(
        `SELECT id, at, actor, action, target, ip, before_doc, after_doc FROM audit ${where}
         ORDER BY at DESC, rowid DESC LIMIT ?`,
        [...params, Math.max(0, Math.floor(options.limit))],
      )
      return rows.map(
        (r): AuditEntry => ({
          id: r.id,
          at: Number(r.at),
          actor: r.actor,
          action: r.action,
          target: r.target,
          ip: r.ip,
          before: JSON.parse(r.before_doc) as unknown,
          after: JSON.parse(r.after_doc) as unknown,
        }),
      )
    },
    async pruneAudit(ts) {
      return db.run('DELETE FROM audit WHERE at < ?', [ts]).changes
    },
  }
}
