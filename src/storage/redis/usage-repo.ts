/**
 * @module
 * Redis adapter of the UsageRepository. Each counter is a HASH of the counter fields, incremented
 * with HINCRBY in one pipeline. Index SETs make `list` possible without scanning: one per
 * (scope, period), plus one per (subject, period) listing the models of a key or an account.
 */

import type { ChainableCommander } from 'ioredis'
import {
  COUNTER_FIELDS,
  type CounterIncrement,
  type CounterRef,
  type CounterRow,
  type CounterScope,
  type Counters,
  emptyCounters,
} from '../../usage/model.ts'
import type { StoredCounter, UsageRepository } from '../../usage/repository.ts'
import {
  execAll,
  isCluster,
  type RedisClient,
  scanDelete,
  scanKeys,
  spread,
  toInt,
} from './client.ts'
import { escapeGlob, type RedisKeys } from './keys.ts'
import { keySlot, slotTag } from './slot.ts'

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

/** How long a batch's marker says it was written (retries come within seconds). */
const BATCH_MARKER_MS = 3_600_000

/** One command of a usage write: HINCRBY, SADD or PEXPIREAT on `key`. */
type Op =
  | [command: 'hincrby', key: string, field: string, by: number]
  | [command: 'sadd', key: string, member: string]
  | [command: 'pexpireat', key: string, at: number]

function addOp(pipe: ChainableCommander, op: Op): void {
  if (op[0] === 'hincrby') pipe.hincrby(op[1], op[2], op[3])
  else if (op[0] === 'sadd') pipe.sadd(op[1], op[2])
  else pipe.pexpireat(op[1], op[2])
}

/** Creates the Redis UsageRepository. */
export function createUsageRepo(client: RedisClient, keys: RedisKeys): UsageRepository {
  const counterKey = (ref: CounterRef) => keys.counter(ref.scope, ref.id, ref.period, ref.model)

  /** The commands that apply some increments: counters, their indexes and expiries. */
  function incrementOps(increments: CounterIncrement[]): Op[] {
    const ops: Op[] = []
    for (const inc of increments) {
      const key = counterKey(inc)
      let touched = false
      for (const f of COUNTER_FIELDS) {
        const v = inc.values[f]
        if (v) {
          ops.push(['hincrby', key, f, v])
          touched = true
        }
      }
      // An all-zero increment still creates the counter so it is listed.
      if (!touched) ops.push(['hincrby', key, 'requests', 0])
      const indexes = [keys.counterIndex(inc.scope, inc.period)]
      if (isModelScope(inc.scope)) {
        const model = inc.model ?? ''
        ops.push(['sadd', indexes[0]!, JSON.stringify([inc.id, model])])
        const own = keys.subjectModelIndex(inc.scope, inc.id, inc.period)
        ops.push(['sadd', own, model])
        indexes.push(own)
      } else {
        ops.push(['sadd', indexes[0]!, inc.id])
      }
      if (inc.expiresAt != null) {
        ops.push(['pexpireat', key, inc.expiresAt])
        for (const index of indexes) ops.push(['pexpireat', index, inc.expiresAt])
      }
    }
    return ops
  }

  /**
   * On a cluster a MULTI stays in one slot, so a batch is written as one MULTI per slot, each
   * with a marker of its own in that slot (`usage-batch:<id>:{<tag of the slot>}`): a retry skips
   * the slots whose marker it finds and writes the others, so each counter still moves once.
   */
  async function incrementOnCluster(
    cluster: RedisClient,
    ops: Op[],
    batchId: string | undefined,
  ): Promise<void> {
    if (!batchId) {
      const pipe = spread(cluster)
      for (const op of ops) addOp(pipe, op)
      await execAll(pipe)
      return
    }
    const bySlot = new Map<number, Op[]>()
    for (const op of ops) {
      const slot = keySlot(op[1])
      const list = bySlot.get(slot)
      if (list) list.push(op)
      else bySlot.set(slot, [op])
    }
    const groups = [...bySlot].map(([slot, list]) => ({
      marker: `${keys.usageBatch(batchId)}:{${slotTag(slot)}}`,
      ops: list,
    }))
    const check = spread(cluster)
    for (const g of groups) check.exists(g.marker)
    const done = await execAll(check)
    await Promise.all(
      groups
        .filter((_, i) => !done[i])
        .map((g) => {
          const tx = cluster.multi()
          for (const op of g.ops) addOp(tx, op)
          tx.set(g.marker, '1', 'PX', BATCH_MARKER_MS)
          return execAll(tx)
        }),
    )
  }

  return {
    async increment(increments, batchId) {
      if (increments.length === 0) return
      const ops = incrementOps(increments)
      if (isCluster(client)) return incrementOnCluster(client, ops, batchId)
      // A batch id makes the write idempotent: all of it and its marker apply atomically (MULTI),
      // and a retry finding the marker knows the first attempt went through.
      if (batchId && (await client.exists(keys.usageBatch(batchId)))) return
      const pipe = batchId ? client.multi() : client.pipeline()
      for (const op of ops) addOp(pipe, op)
      if (batchId) pipe.set(keys.usageBatch(batchId), '1', 'PX', BATCH_MARKER_MS)
      await execAll(pipe)
    },

    async get(refs) {
      if (refs.length === 0) return []
      const pipe = spread(client)
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
      if (isCluster(client)) {
        // The script reads counters of many subjects (slots): on a cluster, the same reads in
        // two rounds, the index members and then each subject's field.
        const members = await execAll(
          periods.reduce(
            (p, period) => p.smembers(keys.counterIndex(scope, period)),
            spread(client),
          ),
        )
        const refs = periods.flatMap((period, i) =>
          (members[i] as string[]).map((id) => ({ id, period })),
        )
        const pipe = spread(client)
        for (const ref of refs) pipe.hget(keys.counter(scope, ref.id, ref.period), field)
        const values = await execAll(pipe)
        refs.forEach((ref, i) => {
          if (values[i] == null) return
          out.set(ref.id, (out.get(ref.id) ?? 0) + Number(values[i]))
        })
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
      const pipe = spread(client)
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

    async *exportAll(batchSize) {
      // Every counter is listed in its (scope, period) index: walk the indexes, then read the
      // counters and their time to live.
      const head = keys.counterIndexHead()
      const size = Math.max(1, batchSize)
      let refs: CounterRef[] = []
      const read = async (list: CounterRef[]): Promise<StoredCounter[]> => {
        const pipe = spread(client)
        for (const ref of list) pipe.hmget(counterKey(ref), ...COUNTER_FIELDS).pttl(counterKey(ref))
        const replies = await execAll(pipe)
        const now = Date.now()
        const out: StoredCounter[] = []
        list.forEach((ref, i) => {
          const counters = decodeFields(replies[2 * i] as (string | null)[])
          const ttl = Number(replies[2 * i + 1])
          if (!counters || ttl === -2) return
          out.push({ ...ref, counters, expiresAt: ttl >= 0 ? now + ttl : null })
        })
        return out
      }
      const walked = new Set<string>()
      for await (const found of scanKeys(client, `${escapeGlob(head)}*`)) {
        // SCAN may return a key twice.
        const indexKeys = found.filter((k) => !walked.has(k))
        for (const k of indexKeys) walked.add(k)
        const members = await execAll(
          indexKeys.reduce((p, indexKey) => p.smembers(indexKey), spread(client)),
        )
        for (const [i, indexKey] of indexKeys.entries()) {
          const rest = indexKey.slice(head.length)
          const colon = rest.indexOf(':')
          const scope = rest.slice(0, colon) as CounterScope
          const period = rest.slice(colon + 1)
          for (const member of members[i] as string[]) {
            if (!isModelScope(scope)) refs.push({ scope, id: member, period })
            else {
              const parsed: unknown = JSON.parse(member)
              if (Array.isArray(parsed) && typeof parsed[0] === 'string')
                refs.push({ scope, id: parsed[0], model: String(parsed[1] ?? ''), period })
            }
            if (refs.length >= size) {
              const batch = await read(refs)
              refs = []
              if (batch.length) yield batch
            }
          }
        }
      }
      if (refs.length) {
        const batch = await read(refs)
        if (batch.length) yield batch
      }
    },

    async purgeSubject(scope, id) {
      const patterns = keys.subjectUsagePatterns(scope, id)
      const deleted = await scanDelete(client, patterns.counters)
      await scanDelete(client, patterns.indexes)
      return deleted
    },
  }
}
