/**
 * @module
 * Redis adapter of the HistoryRepository, sized for about a million records. Each record is a
 * HASH `{s: summary JSON, b: bodies JSON, z: stored bytes}`; ZSETs under the `{h}` hash tag index
 * the ids by startTime (all, per key, account, model and outcome) and a counter keeps the stored
 * byte total. Queries with at most one filter use ZCOUNT and one ranged page; combined filters or
 * a text search walk the smallest candidate index newest first in batches (keyset paging, so
 * deep pages stay cheap) and test the other indexes with ZMSCORE.
 */

import type {
  HistoryFilter,
  HistoryRecord,
  HistoryStats,
  HistorySummary,
} from '../../history/model.ts'
import type { HistoryRepository } from '../../history/repository.ts'
import { execAll, type RedisClient, toInt } from './client.ts'
import type { RedisKeys } from './keys.ts'

const BATCH = 1000

/** Byte length of a string encoded as UTF-8, without encoding it. */
export function utf8Length(text: string): number {
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4
      i++
    } else n += 3
  }
  return n
}

/** Splits a record into the stored summary and body JSON and their size in bytes. */
export function encodeHistoryRecord(record: HistoryRecord): { s: string; b: string; z: number } {
  const { requestBody, responseBody, attempts, ...summary } = record
  const s = JSON.stringify(summary)
  const b = JSON.stringify({ requestBody, responseBody, attempts })
  return { s, b, z: utf8Length(s) + utf8Length(b) }
}

/** True when the summary contains `q` (lower-cased) in its id, model, names or error message. */
export function matchesText(summary: HistorySummary, q: string): boolean {
  return [
    summary.id,
    summary.model,
    summary.keyName,
    summary.accountName,
    summary.errorMessage,
  ].some((field) => typeof field === 'string' && field.toLowerCase().includes(q))
}

/** Start of the bucket holding `t`, aligned to midnight of the given UTC offset. */
export function bucketStart(t: number, bucketMs: number, tzOffsetHours: number): number {
  const shift = tzOffsetHours * 3_600_000
  return Math.floor((t + shift) / bucketMs) * bucketMs - shift
}

/** Accumulates {@link HistoryStats} over summaries fed one by one. */
export function createStatsAccumulator(options: { bucketMs?: number; tzOffsetHours?: number }) {
  const stats: HistoryStats = {
    total: 0,
    byOutcome: {},
    byModel: {},
    byStatus: {},
    inputTokens: 0,
    outputTokens: 0,
    cacheCreateTokens: 0,
    cacheReadTokens: 0,
    costNanos: 0,
    avgDurationMs: 0,
    avgTtfbMs: 0,
  }
  const bucketMs = options.bucketMs && options.bucketMs > 0 ? options.bucketMs : 0
  const tz = options.tzOffsetHours ?? 0
  const series = new Map<
    number,
    { t: number; requests: number; errors: number; tokens: number; costNanos: number }
  >()
  let durationSum = 0
  let ttfbSum = 0
  let ttfbCount = 0
  return {
    add(s: HistorySummary) {
      const tokens =
        s.inputTokens +
        s.outputTokens +
        s.cacheCreate5mTokens +
        s.cacheCreate1hTokens +
        s.cacheReadTokens
      stats.total++
      stats.byOutcome[s.outcome] = (stats.byOutcome[s.outcome] ?? 0) + 1
      const model = stats.byModel[s.model] ?? { requests: 0, tokens: 0, costNanos: 0 }
      model.requests++
      model.tokens += tokens
      model.costNanos += s.costNanos
      stats.byModel[s.model] = model
      const status = String(s.status)
      stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1
      stats.inputTokens += s.inputTokens
      stats.outputTokens += s.outputTokens
      stats.cacheCreateTokens += s.cacheCreate5mTokens + s.cacheCreate1hTokens
      stats.cacheReadTokens += s.cacheReadTokens
      stats.costNanos += s.costNanos
      durationSum += s.durationMs
      if (s.ttfbMs != null) {
        ttfbSum += s.ttfbMs
        ttfbCount++
      }
      if (bucketMs) {
        const t = bucketStart(s.startTime, bucketMs, tz)
        const bucket = series.get(t) ?? { t, requests: 0, errors: 0, tokens: 0, costNanos: 0 }
        bucket.requests++
        if (s.outcome !== 'success') bucket.errors++
        bucket.tokens += tokens
        bucket.costNanos += s.costNanos
        series.set(t, bucket)
      }
    },
    result(): HistoryStats {
      stats.avgDurationMs = stats.total ? durationSum / stats.total : 0
      stats.avgTtfbMs = ttfbCount ? ttfbSum / ttfbCount : 0
      if (bucketMs) stats.series = [...series.values()].sort((a, b) => a.t - b.t)
      return stats
    },
  }
}

interface Loaded {
  id: string
  summary: HistorySummary | null
}

/** Creates the Redis HistoryRepository. */
export function createHistoryRepo(client: RedisClient, keys: RedisKeys): HistoryRepository {
  const all = keys.historyAll()

  function indexesOf(s: HistorySummary): string[] {
    return [
      all,
      keys.historyByKey(s.keyId),
      keys.historyByAccount(s.accountId),
      keys.historyByModel(s.model),
      keys.historyByOutcome(s.outcome),
    ]
  }

  function filterIndexes(f: HistoryFilter): string[] {
    const out: string[] = []
    if (f.keyId !== undefined) out.push(keys.historyByKey(f.keyId))
    if (f.accountId !== undefined) out.push(keys.historyByAccount(f.accountId))
    if (f.model !== undefined) out.push(keys.historyByModel(f.model))
    if (f.outcome !== undefined) out.push(keys.historyByOutcome(f.outcome))
    return out
  }

  function scoreRange(f: HistoryFilter): { min: string; max: string } {
    return {
      min: f.from === undefined ? '-inf' : String(f.from),
      max: f.to === undefined ? '+inf' : `(${f.to}`,
    }
  }

  function parseSummary(json: unknown): HistorySummary | null {
    return typeof json === 'string' ? (JSON.parse(json) as HistorySummary) : null
  }

  async function loadSummaries(ids: string[]): Promise<(HistorySummary | null)[]> {
    if (ids.length === 0) return []
    const pipe = client.pipeline()
    for (const id of ids) pipe.hget(keys.history(id), 's')
    return (await execAll(pipe)).map(parseSummary)
  }

  async function loadRecords(ids: string[]): Promise<HistoryRecord[]> {
    if (ids.length === 0) return []
    const pipe = client.pipeline()
    for (const id of ids) pipe.hmget(keys.history(id), 's', 'b')
    const out: HistoryRecord[] = []
    for (const reply of await execAll(pipe)) {
      const [s, b] = reply as (string | null)[]
      if (typeof s !== 'string') continue
      const body = typeof b === 'string' ? (JSON.parse(b) as object) : {}
      out.push({ requestBody: '', responseBody: '', attempts: [], ...JSON.parse(s), ...body })
    }
    return out
  }

  /** Ids of one index within [min, max], newest first, in batches; ties never skip or repeat. */
  async function* walkIndex(
    index: string,
    min: string,
    max: string,
    batch: number,
  ): AsyncGenerator<string[]> {
    let hi = max
    let skip = 0
    for (;;) {
      const reply = await client.zrevrangebyscore(
        index,
        hi,
        min,
        'WITHSCORES',
        'LIMIT',
        skip,
        batch,
      )
      if (reply.length === 0) return
      const ids: string[] = []
      for (let i = 0; i < reply.length; i += 2) ids.push(reply[i] as string)
      yield ids
      if (ids.length < batch) return
      const last = reply[reply.length - 1] as string
      let same = 0
      for (let i = reply.length - 1; i > 0 && reply[i] === last; i -= 2) same++
      if (hi === last) skip += same
      else {
        hi = last
        skip = same
      }
    }
  }

  /** Every match of a filter, newest first, in batches; summaries are loaded when q needs them. */
  async function* matches(f: HistoryFilter, batch: number): AsyncGenerator<Loaded[]> {
    const { min, max } = scoreRange(f)
    const filters = filterIndexes(f)
    let base = all
    let others: string[] = []
    if (filters.length === 1) base = filters[0] as string
    else if (filters.length > 1) {
      const pipe = client.pipeline()
      for (const index of filters) pipe.zcount(index, min, max)
      const counts = (await execAll(pipe)).map(toInt)
      let best = 0
      counts.forEach((c, i) => {
        if (c < (counts[best] ?? 0)) best = i
      })
      if ((counts[best] ?? 0) === 0) return
      base = filters[best] as string
      others = filters.filter((_, i) => i !== best)
    }
    const q = f.q ? f.q.toLowerCase() : ''
    for await (const ids of walkIndex(base, min, max, batch)) {
      let kept = ids
      if (others.length > 0) {
        const pipe = client.pipeline()
        for (const index of others) pipe.zmscore(index, ...kept)
        const replies = (await execAll(pipe)) as (string | null)[][]
        kept = kept.filter((_, i) => replies.every((scores) => scores[i] != null))
      }
      let loaded: Loaded[] = kept.map((id) => ({ id, summary: null }))
      if (q && kept.length > 0) {
        const summaries = await loadSummaries(kept)
        loaded = []
        kept.forEach((id, i) => {
          const summary = summaries[i]
          if (summary && matchesText(summary, q)) loaded.push({ id, summary })
        })
      }
      if (loaded.length > 0) yield loaded
    }
  }

  /** Reads what removing the ids needs: their summaries (for the indexes) and sizes. */
  async function loadMeta(ids: string[]) {
    const pipe = client.pipeline()
    for (const id of ids) pipe.hmget(keys.history(id), 's', 'z')
    const replies = await execAll(pipe)
    return ids.map((id, i) => {
      const [s, z] = (replies[i] ?? []) as (string | null)[]
      return { id, summary: parseSummary(s), size: toInt(z) }
    })
  }

  /** Deletes loaded records from the store and every index; returns how many existed. */
  async function remove(
    metas: { id: string; summary: HistorySummary | null; size: number }[],
  ): Promise<number> {
    if (metas.length === 0) return 0
    const tx = client.multi()
    for (const m of metas) {
      tx.del(keys.history(m.id))
      for (const index of m.summary ? indexesOf(m.summary) : [all]) tx.zrem(index, m.id)
      if (m.size) tx.decrby(keys.historyBytes(), m.size)
    }
    const replies = await execAll(tx)
    let removed = 0
    let i = 0
    for (const m of metas) {
      if (toInt(replies[i]) > 0) removed++
      i += 1 + (m.summary ? 5 : 1) + (m.size ? 1 : 0)
    }
    return removed
  }

  return {
    async write(records) {
      if (records.length === 0) return
      const unique = new Map(records.map((r) => [r.id, r]))
      const metas = await loadMeta([...unique.keys()])
      const tx = client.multi()
      for (const old of metas) {
        const record = unique.get(old.id) as HistoryRecord
        const stored = encodeHistoryRecord(record)
        const fresh = indexesOf(record)
        if (old.summary) {
          for (const index of indexesOf(old.summary)) {
            if (!fresh.includes(index)) tx.zrem(index, old.id)
          }
        }
        if (old.size) tx.decrby(keys.historyBytes(), old.size)
        tx.hset(keys.history(record.id), stored)
        for (const index of fresh) tx.zadd(index, record.startTime, record.id)
        tx.incrby(keys.historyBytes(), stored.z)
      }
      await execAll(tx)
    },

    async get(id) {
      const [record] = await loadRecords([id])
      return record ?? null
    },

    async query(f, page) {
      const limit = Math.max(0, page.limit)
      const offset = Math.max(0, page.offset)
      const filters = filterIndexes(f)
      if (filters.length <= 1 && !f.q) {
        const index = filters[0] ?? all
        const { min, max } = scoreRange(f)
        const pipe = client.pipeline()
        pipe.zcount(index, min, max)
        if (limit > 0) pipe.zrevrangebyscore(index, max, min, 'LIMIT', offset, limit)
        const [count, ids] = await execAll(pipe)
        const summaries = await loadSummaries((ids ?? []) as string[])
        return {
          items: summaries.filter((s): s is HistorySummary => s != null),
          total: toInt(count),
        }
      }
      let total = 0
      const picked: Loaded[] = []
      for await (const batch of matches(f, BATCH)) {
        for (const m of batch) {
          if (total >= offset && picked.length < limit) picked.push(m)
          total++
        }
      }
      const missing = picked.filter((m) => !m.summary).map((m) => m.id)
      const summaries = await loadSummaries(missing)
      const loaded = new Map(missing.map((id, i) => [id, summaries[i]]))
      const items: HistorySummary[] = []
      for (const m of picked) {
        const s = m.summary ?? loaded.get(m.id)
        if (s) items.push(s)
      }
      return { items, total }
    },

    async stats(f, options) {
      const acc = createStatsAccumulator(options ?? {})
      for await (const batch of matches(f, BATCH)) {
        const missing = batch.filter((m) => !m.summary).map((m) => m.id)
        const loaded = await loadSummaries(missing)
        for (const m of batch) if (m.summary) acc.add(m.summary)
        for (const s of loaded) if (s) acc.add(s)
      }
      return acc.result()
    },

    async *scan(f, batchSize) {
      const size = Math.max(1, batchSize)
      let buffer: HistoryRecord[] = []
      for await (const batch of matches(f, size)) {
        buffer.push(...(await loadRecords(batch.map((m) => m.id))))
        while (buffer.length >= size) {
          yield buffer.slice(0, size)
          buffer = buffer.slice(size)
        }
      }
      if (buffer.length > 0) yield buffer
    },

    async delete(id) {
      return (await remove(await loadMeta([id]))) > 0
    },

    async deleteBefore(ts) {
      let deleted = 0
      for (;;) {
        // Always the oldest batch: the previous one is gone from the index.
        const ids = await client.zrangebyscore(all, '-inf', `(${ts}`, 'LIMIT', 0, BATCH)
        if (ids.length === 0) return deleted
        deleted += await remove(await loadMeta(ids))
      }
    },

    async trimToBytes(maxBytes) {
      let deleted = 0
      for (;;) {
        let total = toInt(await client.get(keys.historyBytes()))
        if (total <= maxBytes) return deleted
        const ids = await client.zrange(all, 0, 199)
        if (ids.length === 0) {
          // No records left: the running total drifted; reset it.
          await client.set(keys.historyBytes(), 0)
          return deleted
        }
        const metas = await loadMeta(ids)
        const victims = []
        for (const m of metas) {
          if (total <= maxBytes) break
          victims.push(m)
          total -= m.size
        }
        deleted += await remove(victims)
      }
    },

    async size() {
      const pipe = client.pipeline()
      pipe.zcard(all)
      pipe.get(keys.historyBytes())
      const [count, bytes] = await execAll(pipe)
      return { count: toInt(count), bytes: Math.max(0, toInt(bytes)) }
    },
  }
}
