/**
 * @module
 * Redis adapter of the KeyRepository: each key is a JSON string, a by-hash string points at its
 * id, and a ZSET scored by creation time keeps the list order.
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

/** Creates the Redis KeyRepository. */
export function createKeysRepo(client: RedisClient, keys: RedisKeys): KeyRepository {
  async function get(id: string): Promise<ApiKey | null> {
    const json = await client.get(keys.key(id))
    return json == null ? null : decodeApiKey(json)
  }

  return {
    async put(key) {
      const old = await get(key.id)
      const tx = client.multi()
      tx.set(keys.key(key.id), JSON.stringify(key))
      tx.set(keys.keyByHash(key.hash), key.id)
      tx.zadd(keys.keyList(), creationScore(key.createdAt), key.id)
      if (old && old.hash !== key.hash) tx.del(keys.keyByHash(old.hash))
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
      const out: ApiKey[] = []
      for (const json of await execAll(pipe)) {
        if (typeof json === 'string') out.push(decodeApiKey(json))
      }
      return out
    },

    async delete(id) {
      const old = await get(id)
      const tx = client.multi()
      tx.del(keys.key(id))
      tx.zrem(keys.keyList(), id)
      if (old) tx.del(keys.keyByHash(old.hash))
      const [deleted] = await execAll(tx)
      return Number(deleted) > 0
    },
  }
}
