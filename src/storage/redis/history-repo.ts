// Over 400 lines: one adapter whose writes, indexes, paging and trims share the key layout.
/**
 * @module
 * Redis adapter of the HistoryRepository, sized for about a million records. Each record is a
 * HASH `{s: summary JSON, b: bodies JSON, z: stored bytes}`; ZSETs under the `{h}` hash tag index
 * the ids by startTime (all, per key, account, model and outcome) and a counter keeps the stored
 * byte total. Queries with at most one filter use ZCOUNT and one ranged page; combined filters or
 * a text search walk the smallest candidate index newest first in batches (keyset paging, so
 * deep pages stay cheap) and test the other indexes with ZMSCORE.
 *
 * Stats read per-hour aggregate HASHes (all records and per key, account, model and outcome) that
 * every write and delete keeps exact through the HISTORY_SWAP script (a compare-and-swap on the
 * stored summary). A range is summed from its whole hours plus a scan of the partial head and tail
 * hours; combined filters, `q`, or series buckets that hours do not tile fall back to the scan.
 */

import type { Buffer } from 'node:buffer'
import type { Result } from 'ioredis'
import { utf8Length } from '../../core/text.ts'
import {
  countsAsRequest,
  emptyHistoryStats,
  type HistoryBucket,
  type HistoryFilter,
  type HistoryRecord,
  type HistoryStats,
  type HistorySummary,
} from '../../history/model.ts'
import type { HistoryRepository } from '../../history/repository.ts'
import { readStoredBody, storedBody, storedLength } from '../body-codec.ts'
import { execAll, type RedisClient, toInt } from './client.ts'
import type { RedisKeys } from './keys.ts'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** See scripts.ts HISTORY_SWAP; numkeys comes first. */
    crsHistorySwap(numKeys: number, ...args: (string | number | Buffer)[]): Result<unknown, Context>
    /** See scripts.ts HISTORY_ADD_BATCH; numkeys comes first. */
    crsHistoryAddBatch(
      numKeys: number,
      ...args: (string | number | Buffer)[]
    ): Result<number[], Context>
  }
}

const BATCH = 1000
/**
 * Records per HISTORY_ADD_BATCH call, and body characters: one script call holds Redis for every
 * client while it runs, so large bodies go a few per call (bodies are capped at 10 MB each).
 */
const ADD_BATCH = 100
const ADD_BATCH_CHARS = 1024 * 1024
const HOUR = 3_600_000
/** Rounds of compare-and-swap before a write or delete gives up on a record that keeps changing. */
const MAX_SWAP_ROUNDS = 50

/** The single-dimension aggregates: a filter dimension and its value ('' for all records). */
type AggDim = 'all' | 'key' | 'account' | 'model' | 'outcome'

/** Field and signed delta pairs a summary adds to its hour's aggregate hashes (zeros left out). */
export function aggregateFields(s: HistorySummary): [string, number][] {
  const int = (n: number) => Math.round(n)
  const cc = int(s.cacheCreate5mTokens) + int(s.cacheCreate1hTokens)
  const tokens = int(s.inputTokens) + int(s.outputTokens) + cc + int(s.cacheReadTokens)
  const out: [string, number][] = [
    ['n', 1],
    // Records written since the request counts were added (older hours are estimated).
    ['nv', 1],
    ['rq', countsAsRequest(s) ? 1 : 0],
    ['rqf', countsAsRequest(s) && s.outcome !== 'success' ? 1 : 0],
    [`o:${s.outcome}`, 1],
    [`s:${String(s.status)}`, 1],
    [`mr:${s.model}`, 1],
    [`mt:${s.model}`, tokens],
    [`mc:${s.model}`, int(s.costNanos)],
    ['in', int(s.inputTokens)],
    ['out', int(s.outputTokens)],
    ['cc', cc],
    ['cr', int(s.cacheReadTokens)],
    ['cost', int(s.costNanos)],
    // Durations in µs, so fractional milliseconds still sum as integers.
    ['dur', int(s.durationMs * 1000)],
  ]
  if (s.ttfbMs != null) out.push(['tf', int(s.ttfbMs * 1000)], ['tn', 1])
  return out.filter(([, v]) => v !== 0)
}

/**
 * First character of the framed bodies field: a header line (JSON: attempts, request headers and
 * the two bodies' lengths) and then both bodies as they are. Records written before it hold one
 * JSON object (`{`). Framing keeps JSON-escaping out of the write path: escaping a captured JSON
 * body doubles its backslashes and quotes, costs as much as parsing it, and the escaped text
 * compresses three times slower.
 */
const FRAMED = '\u0001'

/** Splits a record into the stored summary and bodies and their size in bytes. */
export function encodeHistoryRecord(record: HistoryRecord): {
  s: string
  b: string | Buffer
  z: number
} {
  const { requestBody, responseBody, attempts, requestHeaders, ...summary } = record
  const s = JSON.stringify(summary)
  const head = JSON.stringify({
    attempts,
    requestHeaders,
    n: [requestBody.length, responseBody.length],
  })
  // Large bodies are stored compressed (see body-codec.ts): Redis keeps history in memory.
  const b = storedBody(`${FRAMED}${head}\n${requestBody}${responseBody}`)
  return { s, b, z: utf8Length(s) + storedLength(b) }
}

/** The bodies stored in a record's `b` field (framed or JSON text, compressed or not). */
export function decodeBodies(b: Buffer | null): object {
  if (!b || b.byteLength === 0) return {}
  const text = readStoredBody(b)
  if (!text.startsWith(FRAMED)) return JSON.parse(text) as object
  const eol = text.indexOf('\n')
  const { n, ...rest } = JSON.parse(text.slice(1, eol)) as { n: [number, number] }
  const from = eol + 1
  return {
    ...rest,
    requestBody: text.slice(from, from + n[0]),
    responseBody: text.slice(from + n[0], from + n[0] + n[1]),
  }
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
  const stats: HistoryStats = emptyHistoryStats()
  const bucketMs = options.bucketMs && options.bucketMs > 0 ? options.bucketMs : 0
  const tz = options.tzOffsetHours ?? 0
  const series = new Map<number, HistoryBucket>()
  const bucketAt = (t: number): HistoryBucket => {
    let b = series.get(t)
    if (!b) {
      b = { t, requests: 0, errors: 0, billable: 0, billableFailed: 0, tokens: 0, costNanos: 0 }
      series.set(t, b)
    }
    return b
  }
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
      const counted = countsAsRequest(s)
      const countedFailed = counted && s.outcome !== 'success'
      stats.total++
      if (counted) stats.billable++
      if (countedFailed) stats.billableFailed++
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
        const bucket = bucketAt(bucketStart(s.startTime, bucketMs, tz))
        bucket.requests++
        if (s.outcome !== 'success') bucket.errors++
        if (counted) bucket.billable++
        if (countedFailed) bucket.billableFailed++
        bucket.tokens += tokens
        bucket.costNanos += s.costNanos
      }
    },
    /** Adds one hour's aggregate hash (see keys.ts historyAgg) starting at `hourStart`. */
    addAggregate(hourStart: number, hash: Record<string, string>) {
      const n = toInt(hash.n)
      if (n === 0) return
      stats.total += n
      // Hours holding records written before the request counts existed: every admitted record
      // is taken as a request (count_tokens calls cannot be told apart there).
      const current = toInt(hash.nv) === n
      const billable = current ? toInt(hash.rq) : n - toInt(hash['o:rejected'])
      const billableFailed = current
        ? toInt(hash.rqf)
        : toInt(hash['o:error']) + toInt(hash['o:aborted'])
      stats.billable += billable
      stats.billableFailed += billableFailed
      for (const [field, raw] of Object.entries(hash)) {
        const colon = field.indexOf(':')
        if (colon < 0) continue
        const kind = field.slice(0, colon)
        const name = field.slice(colon + 1)
        const v = toInt(raw)
        if (kind === 'o') stats.byOutcome[name] = (stats.byOutcome[name] ?? 0) + v
        else if (kind === 's') stats.byStatus[name] = (stats.byStatus[name] ?? 0) + v
        else if (kind === 'mr' || kind === 'mt' || kind === 'mc') {
          const model = stats.byModel[name] ?? { requests: 0, tokens: 0, costNanos: 0 }
          if (kind === 'mr') model.requests += v
          else if (kind === 'mt') model.tokens += v
          else model.costNanos += v
          stats.byModel[name] = model
        }
      }
      const input = toInt(hash.in)
      const output = toInt(hash.out)
      const cc = toInt(hash.cc)
      const cr = toInt(hash.cr)
      const cost = toInt(hash.cost)
      stats.inputTokens += input
      stats.outputTokens += output
      stats.cacheCreateTokens += cc
      stats.cacheReadTokens += cr
      stats.costNanos += cost
      durationSum += toInt(hash.dur) / 1000
      ttfbSum += toInt(hash.tf) / 1000
      ttfbCount += toInt(hash.tn)
      if (bucketMs) {
        const bucket = bucketAt(bucketStart(hourStart, bucketMs, tz))
        bucket.requests += n
        bucket.errors += n - toInt(hash['o:success'])
        bucket.billable += billable
        bucket.billableFailed += billableFailed
        bucket.tokens += input + output + cc + cr
        bucket.costNanos += cost
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
    // Records written before a summary field existed get its default ('' platform).
    if (typeof json !== 'string') return null
    const s = JSON.parse(json) as HistorySummary
    s.platform ??= ''
    return s
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
    for (const id of ids) pipe.hmgetBuffer(keys.history(id), 's', 'b')
    const out: HistoryRecord[] = []
    for (const reply of await execAll(pipe)) {
      const [s, b] = reply as (Buffer | null)[]
      if (!s) continue
      out.push({
        requestBody: '',
        responseBody: '',
        attempts: [],
        requestHeaders: {},
        ...JSON.parse(s.toString('utf8')),
        ...decodeBodies(b ?? null),
      })
      out[out.length - 1]!.platform ??= ''
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
    const platform = f.platform
    for await (const ids of walkIndex(base, min, max, batch)) {
      let kept = ids
      if (others.length > 0) {
        const pipe = client.pipeline()
        for (const index of others) pipe.zmscore(index, ...kept)
        const replies = (await execAll(pipe)) as (string | null)[][]
        kept = kept.filter((_, i) => replies.every((scores) => scores[i] != null))
      }
      let loaded: Loaded[] = kept.map((id) => ({ id, summary: null }))
      if ((q || platform !== undefined) && kept.length > 0) {
        // Neither has an index: the summaries are read and checked.
        const summaries = await loadSummaries(kept)
        loaded = []
        kept.forEach((id, i) => {
          const summary = summaries[i]
          if (
            summary &&
            (!q || matchesText(summary, q)) &&
            (platform === undefined || summary.platform === platform)
          )
            loaded.push({ id, summary })
        })
      }
      if (loaded.length > 0) yield loaded
    }
  }

  /** The aggregate hashes a summary counts in: all, its key, account, model and outcome. */
  function aggKeysOf(s: HistorySummary): string[] {
    const hour = Math.floor(s.startTime / HOUR)
    return [
      keys.historyAgg('all', '', hour),
      keys.historyAgg('key', s.keyId, hour),
      keys.historyAgg('account', s.accountId, hour),
      keys.historyAgg('model', s.model, hour),
      keys.historyAgg('outcome', s.outcome, hour),
    ]
  }

  /** The single aggregate dimension of a filter, or null when it needs the scan. */
  function aggDim(f: HistoryFilter): [AggDim, string] | null {
    if (f.q || f.platform !== undefined) return null
    const dims: [AggDim, string][] = []
    if (f.keyId !== undefined) dims.push(['key', f.keyId])
    if (f.accountId !== undefined) dims.push(['account', f.accountId])
    if (f.model !== undefined) dims.push(['model', f.model])
    if (f.outcome !== undefined) dims.push(['outcome', f.outcome])
    if (dims.length > 1) return null
    return dims[0] ?? ['all', '']
  }

  let aggState: 'ready' | 'legacy' | undefined
  /**
   * Whether the aggregates cover every record: true once marked, or when history is empty (then
   * it is marked). Records written before the aggregates existed keep stats on the scan path.
   */
  async function aggregatesReady(): Promise<boolean> {
    if (aggState) return aggState === 'ready'
    const pipe = client.pipeline()
    pipe.get(keys.historyAggReady())
    pipe.zcard(all)
    const [flag, count] = await execAll(pipe)
    if (flag === '1') aggState = 'ready'
    else if (toInt(count) === 0) {
      await client.set(keys.historyAggReady(), '1')
      aggState = 'ready'
    } else aggState = 'legacy'
    return aggState === 'ready'
  }

  interface Meta {
    id: string
    raw: string
    summary: HistorySummary | null
    size: number
  }

  /** Reads what replacing or removing the ids needs: their stored summaries and sizes. */
  async function loadMeta(ids: string[]): Promise<Meta[]> {
    if (ids.length === 0) return []
    const pipe = client.pipeline()
    for (const id of ids) pipe.hmget(keys.history(id), 's', 'z')
    const replies = await execAll(pipe)
    return ids.map((id, i) => {
      const [s, z] = (replies[i] ?? []) as (string | null)[]
      return { id, raw: typeof s === 'string' ? s : '', summary: parseSummary(s), size: toInt(z) }
    })
  }

  /** Arguments of HISTORY_SWAP turning the stored `old` into `next` (null: delete). */
  function swapArgs(
    old: Meta,
    next: HistoryRecord | null,
  ): [number, ...(string | number | Buffer)[]] {
    const stored = next ? encodeHistoryRecord(next) : null
    const oldIdx = old.summary ? indexesOf(old.summary) : [all]
    const newIdx = next ? indexesOf(next) : []
    const oldAgg = old.summary ? aggKeysOf(old.summary) : []
    const newAgg = next ? aggKeysOf(next) : []
    const oldFields = old.summary ? aggregateFields(old.summary) : []
    const newFields = next ? aggregateFields(next) : []
    const redisKeys = [
      keys.history(old.id),
      keys.historyBytes(),
      ...oldIdx,
      ...newIdx,
      ...oldAgg,
      ...newAgg,
    ]
    const args: (string | number | Buffer)[] = [
      old.id,
      old.raw,
      stored?.s ?? '',
      oldIdx.length,
      newIdx.length,
      oldAgg.length,
      newAgg.length,
      stored?.b ?? '',
      stored?.z ?? 0,
      next?.startTime ?? 0,
      oldFields.length,
    ]
    for (const [field, v] of oldFields) args.push(field, -v)
    args.push(newFields.length)
    for (const [field, v] of newFields) args.push(field, v)
    return [redisKeys.length, ...redisKeys, ...args]
  }

  /**
   * Swaps each loaded record for `next(id)` (null: delete) atomically with its indexes, bytes and
   * aggregates; records changed since they were read are re-read and retried. Returns how many
   * records existed.
   */
  async function swapAll(
    metas: Meta[],
    next: (id: string) => HistoryRecord | null,
  ): Promise<number> {
    let existed = 0
    let todo = metas
    for (let round = 0; todo.length > 0; round++) {
      if (round >= MAX_SWAP_ROUNDS) throw new Error('history records kept changing during a write')
      if (round > 0) todo = await loadMeta(todo.map((m) => m.id))
      const pipe = client.pipeline()
      for (const m of todo) pipe.crsHistorySwap(...swapArgs(m, next(m.id)))
      const replies = await execAll(pipe)
      const retry: Meta[] = []
      todo.forEach((m, i) => {
        const [applied, had] = (replies[i] ?? []) as number[]
        if (!applied) retry.push(m)
        else if (had) existed++
      })
      todo = retry
    }
    return existed
  }

  /** Arguments of HISTORY_ADD_BATCH for `records` (new ones): indexes and aggregates merged. */
  function addBatchArgs(records: HistoryRecord[]): [number, ...(string | number | Buffer)[]] {
    const perRecord: (string | number | Buffer)[] = []
    let bytes = 0
    const indexes = new Map<string, (string | number)[]>()
    const aggs = new Map<string, Map<string, number>>()
    for (const r of records) {
      const stored = encodeHistoryRecord(r)
      perRecord.push(stored.s, stored.b, stored.z)
      bytes += stored.z
      for (const idx of indexesOf(r)) {
        const members = indexes.get(idx) ?? []
        if (members.length === 0) indexes.set(idx, members)
        members.push(r.startTime, r.id)
      }
      const fields = aggregateFields(r)
      for (const agg of aggKeysOf(r)) {
        const sums = aggs.get(agg) ?? new Map<string, number>()
        if (sums.size === 0) aggs.set(agg, sums)
        for (const [field, v] of fields) sums.set(field, (sums.get(field) ?? 0) + v)
      }
    }
    const redisKeys = [
      keys.historyBytes(),
      ...records.map((r) => keys.history(r.id)),
      ...indexes.keys(),
      ...aggs.keys(),
    ]
    const args: (string | number | Buffer)[] = [
      records.length,
      indexes.size,
      aggs.size,
      bytes,
      ...perRecord,
    ]
    for (const members of indexes.values()) args.push(members.length / 2, ...members)
    for (const sums of aggs.values()) {
      args.push(sums.size)
      for (const [field, v] of sums) args.push(field, v)
    }
    return [redisKeys.length, ...redisKeys, ...args]
  }

  /**
   * Adds records assumed new, a batch per script call; returns those already stored (a retried
   * batch), which were left untouched for the caller to swap.
   */
  async function addNew(records: HistoryRecord[]): Promise<HistoryRecord[]> {
    const stored: HistoryRecord[] = []
    for (let i = 0; i < records.length; ) {
      let batch: HistoryRecord[] = []
      for (let chars = 0; i < records.length && batch.length < ADD_BATCH; i++) {
        const r = records[i]!
        chars += r.requestBody.length + r.responseBody.length
        if (batch.length > 0 && chars > ADD_BATCH_CHARS) break
        batch.push(r)
      }
      while (batch.length > 0) {
        const [written, ...found] = await client.crsHistoryAddBatch(...addBatchArgs(batch))
        if (written === 1) break
        const taken = new Set(found.map((n) => n - 1))
        for (const at of taken) stored.push(batch[at]!)
        batch = batch.filter((_, at) => !taken.has(at))
      }
    }
    return stored
  }

  /** Deletes loaded records from the store, every index and the aggregates; returns how many existed. */
  function remove(metas: Meta[]): Promise<number> {
    return swapAll(metas, () => null)
  }

  /** Feeds every match of `f` (by the scan path) to the accumulator. */
  async function scanInto(
    acc: ReturnType<typeof createStatsAccumulator>,
    f: HistoryFilter,
  ): Promise<void> {
    for await (const batch of matches(f, BATCH)) {
      const missing = batch.filter((m) => !m.summary).map((m) => m.id)
      const loaded = await loadSummaries(missing)
      for (const m of batch) if (m.summary) acc.add(m.summary)
      for (const s of loaded) if (s) acc.add(s)
    }
  }

  /**
   * Stats from the hourly aggregates: whole hours summed from them, the partial head and tail
   * hours scanned. Null when the filter or buckets need the full scan.
   */
  async function aggregateStats(
    f: HistoryFilter,
    options: { bucketMs?: number; tzOffsetHours?: number },
  ): Promise<HistoryStats | null> {
    const dim = aggDim(f)
    if (!dim) return null
    const bucketMs = options.bucketMs && options.bucketMs > 0 ? options.bucketMs : 0
    const tz = options.tzOffsetHours ?? 0
    if (bucketMs && (bucketMs % HOUR !== 0 || !Number.isInteger(tz))) return null
    if (!(await aggregatesReady())) return null
    // Clamp the range to the data, so open or huge ranges read only hours that can hold records.
    const index = filterIndexes(f)[0] ?? all
    const pipe = client.pipeline()
    pipe.zrange(index, 0, 0, 'WITHSCORES')
    pipe.zrange(index, -1, -1, 'WITHSCORES')
    const [first, last] = (await execAll(pipe)) as string[][]
    const acc = createStatsAccumulator(options)
    const lo = first?.[1]
    const hi = last?.[1]
    if (lo === undefined || hi === undefined) return acc.result()
    const from = Math.max(f.from ?? Number.NEGATIVE_INFINITY, Number(lo))
    const to = Math.min(f.to ?? Number.POSITIVE_INFINITY, Number(hi) + 1)
    if (!(from < to)) return acc.result()
    const h0 = Math.ceil(from / HOUR)
    const h1 = Math.floor(to / HOUR)
    if (h0 >= h1) return null
    if (from < h0 * HOUR) await scanInto(acc, { ...f, from, to: h0 * HOUR })
    if (h1 * HOUR < to) await scanInto(acc, { ...f, from: h1 * HOUR, to })
    for (let start = h0; start < h1; start += BATCH) {
      const end = Math.min(h1, start + BATCH)
      const hours = client.pipeline()
      for (let h = start; h < end; h++) hours.hgetall(keys.historyAgg(dim[0], dim[1], h))
      const replies = await execAll(hours)
      replies.forEach((hash, i) => {
        acc.addAggregate((start + i) * HOUR, (hash ?? {}) as Record<string, string>)
      })
    }
    return acc.result()
  }

  return {
    async write(records) {
      if (records.length === 0) return
      // No wait once known: the history service measures what a write does before its first wait.
      if (!aggState) await aggregatesReady()
      const unique = new Map(records.map((r) => [r.id, r]))
      // Records are new in the common case: they are added in merged batches without reading
      // first. The few already stored (a retried batch) are swapped one by one, which keeps the
      // aggregates exact for a record written twice.
      const stored = await addNew([...unique.values()])
      if (stored.length > 0)
        await swapAll(await loadMeta(stored.map((r) => r.id)), (id) => unique.get(id) ?? null)
    },

    async get(id) {
      const [record] = await loadRecords([id])
      return record ?? null
    },

    async query(f, page) {
      const limit = Math.max(0, page.limit)
      const offset = Math.max(0, page.offset)
      const filters = filterIndexes(f)
      if (filters.length <= 1 && !f.q && f.platform === undefined) {
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
      const fast = await aggregateStats(f, options ?? {})
      if (fast) return fast
      const acc = createStatsAccumulator(options ?? {})
      await scanInto(acc, f)
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
