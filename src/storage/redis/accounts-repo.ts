/**
 * @module
 * Redis adapter of the AccountRepository: accounts and groups are JSON strings listed by ZSETs
 * scored by creation time; the health state is a HASH of fields, so a patch is one HSET and never
 * rewrites the configuration.
 */
import {
  Account,
  AccountGroup,
  type AccountState,
  type AccountStatus,
  initialAccountState,
} from '../../accounts/model.ts'
import type { AccountRepository } from '../../accounts/repository.ts'
import { decodeRecord, execAll, type RedisClient } from './client.ts'
import type { RedisKeys } from './keys.ts'
import { creationScore } from './keys-repo.ts'

const STRING_FIELDS = new Set<keyof AccountState>(['status', 'lastError', 'sessionWindowStatus'])

/** Builds an AccountState from a stored hash; missing fields keep their initial value. */
export function decodeAccountState(hash: Record<string, string>): AccountState {
  const state = initialAccountState()
  if (hash.status !== undefined) state.status = hash.status as AccountStatus
  if (hash.lastError !== undefined) state.lastError = hash.lastError
  if (hash.sessionWindowStatus !== undefined) state.sessionWindowStatus = hash.sessionWindowStatus
  for (const field of Object.keys(state) as (keyof AccountState)[]) {
    const raw = hash[field]
    if (raw === undefined || STRING_FIELDS.has(field)) continue
    const n = Number(raw)
    if (Number.isFinite(n)) Object.assign(state, { [field]: n })
  }
  return state
}

/** The hash fields of a state patch (undefined values are skipped). */
export function encodeStatePatch(patch: Partial<AccountState>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [field, value] of Object.entries(patch)) {
    if (value !== undefined) out[field] = String(value)
  }
  return out
}

/** Creates the Redis AccountRepository. */
export function createAccountsRepo(client: RedisClient, keys: RedisKeys): AccountRepository {
  async function listJson(listKey: string, itemKey: (id: string) => string): Promise<string[]> {
    const ids = await client.zrange(listKey, 0, -1)
    if (ids.length === 0) return []
    const pipe = client.pipeline()
    for (const id of ids) pipe.get(itemKey(id))
    return (await execAll(pipe)).filter((v): v is string => typeof v === 'string')
  }

  return {
    async put(account) {
      const tx = client.multi()
      tx.set(keys.account(account.id), JSON.stringify(account))
      tx.zadd(keys.accountList(), creationScore(account.createdAt), account.id)
      await execAll(tx)
    },

    async get(id) {
      const json = await client.get(keys.account(id))
      return json == null ? null : decodeRecord(Account, json)
    },

    async list() {
      const all = await listJson(keys.accountList(), keys.account)
      return all.map((json) => decodeRecord(Account, json))
    },

    async delete(id) {
      const tx = client.multi()
      tx.del(keys.account(id))
      tx.del(keys.accountState(id))
      tx.zrem(keys.accountList(), id)
      const [deleted] = await execAll(tx)
      return Number(deleted) > 0
    },

    async getState(id) {
      return decodeAccountState(await client.hgetall(keys.accountState(id)))
    },

    async getStates(ids) {
      const out = new Map<string, AccountState>()
      if (ids.length === 0) return out
      const pipe = client.pipeline()
      for (const id of ids) pipe.hgetall(keys.accountState(id))
      const replies = await execAll(pipe)
      ids.forEach((id, i) => {
        out.set(id, decodeAccountState((replies[i] ?? {}) as Record<string, string>))
      })
      return out
    },

    async patchState(id, patch) {
      const fields = encodeStatePatch(patch)
      const key = keys.accountState(id)
      if (Object.keys(fields).length === 0) {
        return decodeAccountState(await client.hgetall(key))
      }
      // MULTI makes the write and the read-back one atomic step.
      const tx = client.multi()
      tx.hset(key, fields)
      tx.hgetall(key)
      const replies = await execAll(tx)
      return decodeAccountState((replies[1] ?? {}) as Record<string, string>)
    },

    async putGroup(group) {
      const tx = client.multi()
      tx.set(keys.group(group.id), JSON.stringify(group))
      tx.zadd(keys.groupList(), creationScore(group.createdAt), group.id)
      await execAll(tx)
    },

    async getGroup(id) {
      const json = await client.get(keys.group(id))
      return json == null ? null : decodeRecord(AccountGroup, json)
    },

    async listGroups() {
      const all = await listJson(keys.groupList(), keys.group)
      return all.map((json) => decodeRecord(AccountGroup, json))
    },

    async deleteGroup(id) {
      const tx = client.multi()
      tx.del(keys.group(id))
      tx.zrem(keys.groupList(), id)
      const [deleted] = await execAll(tx)
      return Number(deleted) > 0
    },
  }
}
