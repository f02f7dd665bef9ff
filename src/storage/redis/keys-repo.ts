/**
 * @module
 * Redis adapter of the KeyRepository: each key is a JSON string, a by-hash string points at its
 * id, a ZSET scored by creation time keeps the list order, and one hash holds last-use times.
 */
import { ApiKey } from '../../keys/model.ts'
import type { KeyRepository } from '../../keys/repository.ts'
import { decodeRecord, execAll, type RedisClient } from './client.ts'
import type { RedisKeys } from './keys.ts'

/** Decodes a stored key; fields added to the schema later get their defaults. */
export function decodeApiKey(json: string): ApiKey {
  return decodeRecord(ApiKey, json)
}

/** Epoch ms of an ISO time, 0 when it does not parse (sorts first). */
export function creationScore(iso: string): number {
  const ms = Date.parse(iso)
  return Number.isFinite(ms) ? ms : 0
}

/** The key with its last-use time: the later of the JSON's and the last-used hash's. */
function withLastUse(key: ApiKey, ms: string | null | undefined): ApiKey {
  const used = Number(ms)
  if (!ms || !Number.isFinite(used)) return key
  const stored = key.lastUsedAt ? Date.parse(key.lastUsedAt) : Number.NaN
  if (Number.isFinite(stored) && stored >= used) return key
  key.lastUsedAt = new Date(used).toISOString()
  return key
}

/** Creates the Redis KeyRepository. */
export function createKeysRepo(client: RedisClient, keys: RedisKeys): KeyRepository {
  async function get(id: string): Promise<ApiKey | null> {
    const [json, used] = await execAll(
      client.pipeline().get(keys.key(id)).hget(keys.keyLastUsed(), id),
    )
    return typeof json === 'string' ? withLastUse(decodeApiKey(json), used as string | null) : null
  }

  return {
    async put(key) {
      const old = await client.get(keys.key(key.id))
      const oldHash = old == null ? null : decodeApiKey(old).hash
      const tx = client.multi()
      tx.set(keys.key(key.id), JSON.stringify(key))
      tx.set(keys.keyByHash(key.hash), key.id)
      tx.zadd(keys.keyList(), creationScore(key.createdAt), key.id)
      if (oldHash && oldHash !== key.hash) tx.del(keys.keyByHash(oldHash))
      await execAll(tx)
    },

    get,

    async findByHash(hash) {
      const id = await client.get(keys.keyByHash(hash))
      return id == null ? null : get(id)
    },

    async list() {
      const ids = await client.zrange(keys.keyList(), 0, -1)
      if (ids.length === 0) return []
      const pipe = client.pipeline()
      for (const id of ids) pipe.get(keys.key(id))
      pipe.hmget(keys.keyLastUsed(), ...ids)
      const replies = await execAll(pipe)
      const used = replies.pop() as (string | null)[]
      const out: ApiKey[] = []
      replies.forEach((json, i) => {
        if (typeof json === 'string') out.push(withLastUse(decodeApiKey(json), used[i]))
      })
      return out
    },

    async delete(id) {
      const old = await client.get(keys.key(id))
      const tx = client.multi()
      tx.del(keys.key(id))
      tx.zrem(keys.keyList(), id)
      tx.hdel(keys.keyLastUsed(), id)
      if (old != null) tx.del(keys.keyByHash(decodeApiKey(old).hash))
      const [deleted] = await execAll(tx)
      return Number(deleted) > 0
    },

    async recordUse(uses) {
      if (uses.size === 0) return
      const args: (string | number)[] = []
      for (const [id, at] of uses) args.push(id, Math.floor(at))
      // One script call per 1,000 keys keeps each call short for the other clients.
      for (let i = 0; i < args.length; i += 2000)
        await client.crsRaiseLastUsed(keys.keyLastUsed(), ...args.slice(i, i + 2000))
    },
  }
}
