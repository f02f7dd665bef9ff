/**
 * @module
 * Redis adapter of the UsageRepository. Each counter is a HASH of the counter fields, incremented
 * with HINCRBY in one pipeline. Index SETs make `list` possible without scanning: one per
 * (scope, period), plus one per (subject, period) listing the models of a key or an account.
 */

import {
  COUNTER_FIELDS,
  type CounterRef,
  type CounterRow,
  type CounterScope,
  type Counters,
  emptyCounters,
} from '../../usage/model.ts'
import type { UsageRepository } from '../../usage/repository.ts'
import { execAll, type RedisClient, scanDelete, toInt } from './client.ts'
import type { RedisKeys } from './keys.ts'

/** Counters from a HGETALL reply (missing fields are 0). */
export function decodeCounters(hash: Record<string, string> | undefined): Counters {
  const out = emptyCounters()
  if (!hash) return out
  for (const f of COUNTER_FIELDS) out[f] = toInt(hash[f])
  return out
}

/** Counters from an HMGET reply in COUNTER_FIELDS order; null when the hash does not exist. */
function decodeFields(values: (string | null)[] | undefined): Counters | null {
  if (!values || values.every((v) => v === null)) return null
  const out = emptyCounters()
  COUNTER_FIELDS.forEach((f, i) => {
    out[f] = toInt(values[i] ?? undefined)
  })
  return out
}

function isModelScope(scope: CounterScope): scope is 'key-model' | 'account-model' {
  return scope === 'key-model' || scope === 'account-model'
}

/** Creates the Redis UsageRepository. */
export function createUsageRepo(client: RedisClient, keys: RedisKeys): UsageRepository {
  const counterKey = (ref: CounterRef) => keys.counter(ref.scope, ref.id, ref.period, ref.model)

  return {
    async increment(increments, batchId) {
      if (increments.length === 0) return
      // A batch id makes the write idempotent: all of it and its marker apply atomically (MULTI),
      // and a retry finding the marker knows the first attempt went through.
      if (batchId && (await client.exists(keys.usageBatch(batchId)))) return
      const pipe = batchId ? client.multi() : client.pipeline()
      for (const inc of increments) {
        const key = counterKey(inc)
        let touched = false
        for (const f of COUNTER_FIELDS) {
          const v = inc.values[f]
          if (v) {
            pipe.hincrby(key, f, v)
            touched = true
          }
        }
        // An all-zero increment still creates the counter so it is listed.
        if (!touched) pipe.hincrby(key, 'requests', 0)
        const indexes = [keys.counterIndex(inc.scope, inc.period)]
        if (isModelScope(inc.scope)) {
          const model = inc.model ?? ''
          pipe.sadd(indexes[0] as string, JSON.stringify([inc.id, model]))
          const own = keys.subjectModelIndex(inc.scope, inc.id, inc.period)
          pipe.sadd(own, model)
          indexes.push(own)
        } else {
          pipe.sadd(indexes[0] as string, inc.id)
        }
        if (inc.expiresAt != null) {
          pipe.pexpireat(key, inc.expiresAt)
          for (const index of indexes) pipe.pexpireat(index, inc.expiresAt)
        }
      }
      if (batchId) pipe.set(keys.usageBatch(batchId), '1', 'PX', 3_600_000)
      await execAll(pipe)
    },

    async get(refs) {
      if (refs.length === 0) return []
      const pipe = client.pipeline()
      for (const ref of refs) pipe.hmget(counterKey(ref), ...COUNTER_FIELDS)
      const replies = await execAll(pipe)
      return refs.map(
        (_, i) => decodeFields(replies[i] as (string | null)[] | undefined) ?? emptyCounters(),
      )
    },

    async sumField(scope, periods, field) {
      const out = new Map<string, number>()
      if (periods.length === 0 || scope === 'global') {
        if (scope === 'global' && periods.length) {
          const rows = await this.get(periods.map((period) => ({ scope, id: 'all', period })))
          out.set(
            'all',
            rows.reduce((a, c) => a + c[field], 0),
          )
        }
        return out
      }
      // The counter key of subject ID in period P, split around the two placeholders.
      const sample = keys.counter(scope, '\u0001', '\u0002')
      const [before, rest = ''] = sample.split('\u0001')
      const [between, after = ''] = rest.split('\u0002')
      const reply = await client.crsSumField(
        periods.length,
        ...periods.map((p) => keys.counterIndex(scope, p)),
        field,
        before ?? '',
        between ?? '',
        after,
        ...periods,
      )
      for (let i = 0; i + 1 < reply.length; i += 2) out.set(reply[i]!, Number(reply[i + 1]))
      return out
    },
    async list(scope, period, id) {
      let refs: CounterRef[]
      if (isModelScope(scope) && id !== undefined) {
        const models = await client.smembers(keys.subjectModelIndex(scope, id, period))
        refs = models.map((model) => ({ scope, id, model, period }))
      } else {
        const members = await client.smembers(keys.counterIndex(scope, period))
        refs = []
        for (const member of members) {
          if (!isModelScope(scope)) {
            if (id === undefined || member === id) refs.push({ scope, id: member, period })
            continue
          }
          const parsed: unknown = JSON.parse(member)
          if (
            Array.isArray(parsed) &&
            typeof parsed[0] === 'string' &&
            typeof parsed[1] === 'string'
          ) {
            refs.push({ scope, id: parsed[0], model: parsed[1], period })
          }
        }
      }
      if (refs.length === 0) return []
      const pipe = client.pipeline()
      // HMGET with a fixed field order: array replies are much cheaper to parse than hashes.
      for (const ref of refs) pipe.hmget(counterKey(ref), ...COUNTER_FIELDS)
      const replies = await execAll(pipe)
      const rows: CounterRow[] = []
      refs.forEach((ref, i) => {
        const counters = decodeFields(replies[i] as (string | null)[] | undefined)
        // Index members outlive purged or expired counters; skip them.
        if (!counters) return
        const row: CounterRow = { id: ref.id, counters }
        if (ref.model !== undefined) row.model = ref.model
        rows.push(row)
      })
      rows.sort((x, y) => (x.id + (x.model ?? '')).localeCompare(y.id + (y.model ?? '')))
      return rows
    },

    async purgeSubject(scope, id) {
      const patterns = keys.subjectUsagePatterns(scope, id)
      const deleted = await scanDelete(client, patterns.counters)
      await scanDelete(client, patterns.indexes)
      return deleted
    },
  }
}
