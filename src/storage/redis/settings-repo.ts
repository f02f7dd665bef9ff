/**
 * @module
 * Redis adapter of the SettingsRepository: each setting is a JSON string; the audit log is a ZSET
 * of entry JSON scored by `at`, so paging backwards and pruning are range operations.
 */
import type { AuditEntry, SettingsRepository } from '../../settings/repository.ts'
import { execAll, type RedisClient, scanKeys } from './client.ts'
import { escapeGlob, type RedisKeys } from './keys.ts'

const AUDIT_BATCH = 500

/** Creates the Redis SettingsRepository. */
export function createSettingsRepo(client: RedisClient, keys: RedisKeys): SettingsRepository {
  return {
    async get(name) {
      const json = await client.get(keys.setting(name))
      return json == null ? null : (JSON.parse(json) as unknown)
    },

    async put(name, value) {
      await client.set(keys.setting(name), JSON.stringify(value))
    },

    async delete(name) {
      await client.del(keys.setting(name))
    },

    async names() {
      const head = keys.setting('')
      const names = new Set<string>()
      for await (const found of scanKeys(client, `${escapeGlob(head)}*`))
        for (const key of found) names.add(key.slice(head.length))
      return [...names].sort()
    },

    async appendAudit(entries) {
      if (entries.length === 0) return
      const pipe = client.pipeline()
      for (const entry of entries) pipe.zadd(keys.audit(), entry.at, JSON.stringify(entry))
      await execAll(pipe)
    },

    async listAudit(options) {
      const out: AuditEntry[] = []
      if (options.limit <= 0) return out
      const max = options.before === undefined ? '+inf' : `(${options.before}`
      const filtered = options.actor !== undefined || options.action !== undefined
      let offset = 0
      for (;;) {
        const batch = filtered ? AUDIT_BATCH : options.limit - out.length
        const members = await client.zrevrangebyscore(
          keys.audit(),
          max,
          '-inf',
          'LIMIT',
          offset,
          batch,
        )
        for (const json of members) {
          const entry = JSON.parse(json) as AuditEntry
          if (options.actor !== undefined && entry.actor !== options.actor) continue
          if (options.action !== undefined && entry.action !== options.action) continue
          out.push(entry)
          if (out.length >= options.limit) return out
        }
        if (members.length < batch) return out
        offset += members.length
      }
    },

    async pruneAudit(ts) {
      return client.zremrangebyscore(keys.audit(), '-inf', `(${ts}`)
    },
  }
}
