// Over 400 lines: one closure owns the merged increments, the batch ids and their retries.
/**
 * @module
 * Usage accounting. Each finished request becomes increments of counters per key, key+model,
 * account, account+model, model and globally, by hour, day, month and in total (plus the weekly
 * and total Opus spend of a key, and per-minute global counters for RPM/TPM). Increments are
 * merged in memory and written every `flushMs` (and on shutdown), never on a request's path, in
 * batches of at most 200 increments with a turn of the event loop between them. A failed batch
 * is kept as it is and retried under the same batch id before anything newer, so a write that
 * storage applied but whose reply was lost is not counted twice.
 */
import { type FaultReporter, faultText, ignoreFaults } from '../core/faults.ts'
import type { Clock, Logger } from '../core/ports.ts'
import { nextTurn, serialFlush } from '../core/serial-flush.ts'
import type { LimitsRepository } from '../limits/repository.ts'
import type { RequestOutcome, RequestRecorder } from '../relay/recorder.ts'
import { usagePeriods } from './cost-caps.ts'
import {
  type CounterField,
  type CounterIncrement,
  type CounterRef,
  type CounterRow,
  type Counters,
  emptyCounters,
} from './model.ts'
import { isOpusModel } from './model-class.ts'
import type { UsageRepository } from './repository.ts'
import { totalTokens } from './tokens.ts'

/** Options of {@link createUsageService}. */
export interface UsageServiceOptions {
  repo: UsageRepository
  limits: LimitsRepository
  clock: Clock
  logger: Logger
  tzOffsetHours: number
  /** How long hourly and daily counters are kept (ms). */
  retentionMs: number
  flushMs?: number
  /** Runs before each `flush()`: hands over finished requests still waiting for their turn. */
  beforeFlush?: () => void
  /** Most distinct counters held while storage is failing. */
  maxPending?: number
  /** Most counter increments in one write (default 200). */
  sliceSize?: number
  /** Told when writes start failing (`usage_write_failed`) and when they pass again. */
  faults?: FaultReporter
}

const DAY = 86_400_000

function refKey(r: CounterRef): string {
  return `${r.scope}\u0000${r.id}\u0000${r.model ?? ''}\u0000${r.period}`
}

/** Creates the usage service. */
export function createUsageService(options: UsageServiceOptions) {
  const { repo, limits, clock, logger } = options
  const faults = options.faults ?? ignoreFaults
  const tz = options.tzOffsetHours
  const flushMs = options.flushMs ?? 250
  const maxPending = options.maxPending ?? 200_000
  /**
   * Counter increments per write. A request of a key not yet in the batch adds about 20. On
   * SQLite an increment costs about 7 µs alone but 20–80 µs under load (10,000-keys bench: a
   * write of 500 held the thread for 10–40 ms), so a write of 200 holds it for a few ms.
   */
  const SLICE = options.sliceSize ?? 200
  let pending = new Map<string, CounterIncrement>()
  let windows = new Map<
    string,
    { keyId: string; windowStart: number; tokens: number; costNanos: number }
  >()
  let dropped = 0
  /** One write: counters (idempotent under `id`) and rate-window additions. */
  interface Batch {
    id: string
    increments: CounterIncrement[]
    windows: { keyId: string; windowStart: number; tokens: number; costNanos: number }[]
    countersDone: boolean
  }
  /**
   * Batches cut from the pending counters and not yet written, in order. The first may have
   * failed (maybe half done: counters written, window not) and is retried as is, under its id.
   */
  const backlog: Batch[] = []

  const add = (inc: CounterIncrement) => {
    const k = refKey(inc)
    const cur = pending.get(k)
    if (!cur) {
      if (pending.size >= maxPending) {
        dropped++
        return
      }
      pending.set(k, { ...inc, values: { ...inc.values } })
      return
    }
    for (const [f, v] of Object.entries(inc.values) as [keyof Counters, number][])
      cur.values[f] = (cur.values[f] ?? 0) + v
    if (inc.expiresAt === null || (cur.expiresAt !== null && inc.expiresAt > cur.expiresAt))
      cur.expiresAt = inc.expiresAt
  }

  /** The counter values one finished request contributes. */
  function valuesOf(o: RequestOutcome): Partial<Counters> {
    const u = o.usage
    return {
      requests: 1,
      inputTokens: u?.inputTokens ?? 0,
      outputTokens: u?.outputTokens ?? 0,
      cacheCreate5mTokens: u?.cacheCreate5mTokens ?? 0,
      cacheCreate1hTokens: u?.cacheCreate1hTokens ?? 0,
      cacheReadTokens: u?.cacheReadTokens ?? 0,
      costNanos: o.costNanos,
      unpricedRequests: u && !o.priced ? 1 : 0,
      errorRequests: o.outcome === 'success' ? 0 : 1,
    }
  }

  /**
   * Increments of every counter a (key, account, model, hour) rollup touches: per key, model,
   * account and globally by total, month, day and hour; per key+model and account+model by total,
   * month and day; the key's weekly and total Opus spend.
   */
  function expand(
    keyId: string,
    accountId: string,
    model: string,
    at: number,
    values: Partial<Counters>,
  ): CounterIncrement[] {
    const p = usagePeriods(at, tz)
    const keep = at + options.retentionMs
    const month = at + Math.max(options.retentionMs, 400 * DAY)
    const list: CounterIncrement[] = []
    const put = (
      scope: CounterIncrement['scope'],
      id: string,
      period: string,
      expiresAt: number | null,
      m?: string,
    ) => list.push({ scope, id, model: m, period, values, expiresAt })
    for (const [period, exp] of [
      ['total', null],
      [p.month, month],
      [p.day, keep],
      [p.hour, keep],
    ] as const) {
      put('key', keyId, period, exp)
      put('model', model, period, exp)
      put('global', 'all', period, exp)
      if (accountId) put('account', accountId, period, exp)
      if (period !== p.hour) {
        put('key-model', keyId, period, exp, model)
        if (accountId) put('account-model', accountId, period, exp, model)
      }
    }
    if (isOpusModel(model) && (values.costNanos ?? 0) > 0) {
      const opus = { costNanos: values.costNanos ?? 0, requests: values.requests ?? 0 }
      list.push({
        scope: 'key',
        id: keyId,
        period: p.opusWeek,
        values: opus,
        expiresAt: at + 15 * DAY,
      })
      list.push({ scope: 'key', id: keyId, period: 'opus-total', values: opus, expiresAt: null })
    }
    return list
  }

  /** Turns one finished request into counter increments (all at once; used by tests and tools). */
  function incrementsOf(o: RequestOutcome): CounterIncrement[] {
    const values = valuesOf(o)
    const list = expand(o.key.id, o.accountId, o.model, o.startTime, values)
    list.push({
      scope: 'global',
      id: 'all',
      period: usagePeriods(o.startTime, tz).minute,
      values,
      expiresAt: o.startTime + 2 * 3_600_000,
    })
    return list
  }

  // Requests are rolled up per (key, account, model, local hour) as they finish — one map update
  // per request — and expanded into counter increments only when the batch is written.
  interface Rollup {
    keyId: string
    accountId: string
    model: string
    at: number
    values: Counters
  }
  let rollups = new Map<string, Rollup>()
  let minutes = new Map<number, Counters>()
  const hourStart = (at: number) =>
    Math.floor((at + tz * 3_600_000) / 3_600_000) * 3_600_000 - tz * 3_600_000
  function accumulate(into: Counters, values: Partial<Counters>): void {
    for (const f of Object.keys(values) as (keyof Counters)[]) into[f] += values[f] ?? 0
  }
  function expandPending(): void {
    const rs = rollups
    const ms = minutes
    rollups = new Map()
    minutes = new Map()
    for (const r of rs.values())
      for (const inc of expand(r.keyId, r.accountId, r.model, r.at, r.values)) add(inc)
    for (const [minute, values] of ms) {
      add({
        scope: 'global',
        id: 'all',
        period: `min:${minute}`,
        values,
        expiresAt: minute * 60_000 + 2 * 3_600_000,
      })
    }
  }

  const recorder: RequestRecorder = {
    record(o) {
      if (!o.billable || o.outcome === 'rejected') return
      const values = valuesOf(o)
      const model = o.model
      const at = hourStart(o.startTime)
      const rk = `${o.key.id}\u0000${o.accountId}\u0000${model}\u0000${at}`
      let r = rollups.get(rk)
      if (!r) {
        r = { keyId: o.key.id, accountId: o.accountId, model, at, values: emptyCounters() }
        rollups.set(rk, r)
      }
      accumulate(r.values, values)
      const minute = Math.floor(o.startTime / 60_000)
      let m = minutes.get(minute)
      if (!m) {
        m = emptyCounters()
        minutes.set(minute, m)
      }
      accumulate(m, values)
      if (o.windowStart > 0 && o.usage) {
        const tokens =
          o.usage.inputTokens +
          o.usage.outputTokens +
          o.usage.cacheCreate5mTokens +
          o.usage.cacheCreate1hTokens +
          o.usage.cacheReadTokens
        const wk = `${o.key.id}\u0000${o.windowStart}`
        const w = windows.get(wk) ?? {
          keyId: o.key.id,
          windowStart: o.windowStart,
          tokens: 0,
          costNanos: 0,
        }
        w.tokens += tokens
        w.costNanos += o.costNanos
        windows.set(wk, w)
      }
      if (rollups.size >= 500) tick()
    },
  }

  /** Writes one batch: the counters (idempotent under the batch id), then the rate windows. */
  async function write(batch: Batch): Promise<void> {
    if (!batch.countersDone && batch.increments.length) {
      await repo.increment(batch.increments, batch.id)
    }
    batch.countersDone = true
    if (batch.windows.length) await limits.addWindowUsage(batch.windows, batch.id)
  }

  /** Writes the backlog in order, a turn of the event loop between batches; false on a failure. */
  async function drainBacklog(): Promise<boolean> {
    while (backlog.length > 0) {
      const batch = backlog[0]!
      try {
        await write(batch)
      } catch (err) {
        logger.warn('usage write failed; will retry', {
          counters: batch.increments.length,
          error: err,
        })
        faults.failed('usage_write_failed', `Usage counters cannot be written: ${faultText(err)}`)
        return false
      }
      faults.recovered('usage_write_failed')
      backlog.shift()
      if (backlog.length > 0) await nextTurn()
    }
    return true
  }

  /**
   * Writes everything pending: the backlog first, then the counters gathered since, cut into
   * batches of at most SLICE increments so that thousands of distinct keys never make one long
   * transaction (or one long MULTI) that holds up the requests being served. While storage fails,
   * new increments keep merging into `pending` (bounded by `maxPending`), not into new batches.
   */
  async function writePending(): Promise<void> {
    expandPending()
    if (!(await drainBacklog())) return
    if (pending.size === 0 && windows.size === 0) return
    const increments = [...pending.values()]
    const windowList = [...windows.values()]
    pending = new Map()
    windows = new Map()
    for (let i = 0; i === 0 || i < increments.length; i += SLICE)
      backlog.push({
        id: crypto.randomUUID(),
        increments: increments.slice(i, i + SLICE),
        windows: i === 0 ? windowList : [],
        countersDone: false,
      })
    if (!(await drainBacklog())) return
    if (dropped) {
      logger.error('usage counters were dropped while storage was failing', { dropped })
      dropped = 0
    }
  }
  const { flush, tick } = serialFlush(writePending, { beforeFlush: options.beforeFlush })

  const timer = setInterval(tick, flushMs)
  ;(timer as { unref?: () => void }).unref?.()

  /** Counters of one key: lifetime, today, this month, this week's Opus spend. */
  async function keySummary(keyId: string) {
    const p = usagePeriods(clock.now(), tz)
    const [total, day, month, opusWeek, opusTotal] = await repo.get([
      { scope: 'key', id: keyId, period: 'total' },
      { scope: 'key', id: keyId, period: p.day },
      { scope: 'key', id: keyId, period: p.month },
      { scope: 'key', id: keyId, period: p.opusWeek },
      { scope: 'key', id: keyId, period: 'opus-total' },
    ])
    return { total: total!, day: day!, month: month!, opusWeek: opusWeek!, opusTotal: opusTotal! }
  }

  /** Adds up one scope's counters over periods: subject → counters (and the rows per period). */
  async function sumBy(
    scope: 'key' | 'account' | 'model' | 'global',
    periods: string[],
  ): Promise<Map<string, Counters>> {
    return sumRows(await Promise.all(periods.map((p) => repo.list(scope, p))))
  }

  /** Totals per subject of rows listed per period. */
  function sumRows(lists: CounterRow[][]): Map<string, Counters> {
    const out = new Map<string, Counters>()
    for (const rows of lists) {
      for (const r of rows) {
        const cur = out.get(r.id) ?? emptyCounters()
        for (const f of Object.keys(cur) as (keyof Counters)[]) cur[f] += r.counters[f]
        out.set(r.id, cur)
      }
    }
    return out
  }

  return {
    recorder,
    /** Writes everything recorded so far (finished requests waiting for their turn included). */
    flush,
    sumBy,
    sumRows,
    /** One field summed per subject over periods (for rankings). */
    sumField: (
      scope: 'key' | 'account' | 'model' | 'global',
      periods: string[],
      field: CounterField,
    ) => repo.sumField(scope, periods, field),
    /** Rows of one scope for each period (one list per period). */
    listMany: (scope: 'key' | 'account' | 'model' | 'global', periods: string[]) =>
      Promise.all(periods.map((p) => repo.list(scope, p))),
    /** Counters of one subject for each period, in one round trip. */
    series: (scope: 'key' | 'account' | 'model' | 'global', id: string, periods: string[]) =>
      repo.get(periods.map((period) => ({ scope, id, period }))),
    /** Per-model counters of a key over periods. */
    keyModelsOver: async (keyId: string, periods: string[]) => {
      const lists = await Promise.all(periods.map((p) => repo.list('key-model', p, keyId)))
      const out = new Map<string, Counters>()
      for (const rows of lists) {
        for (const r of rows) {
          const m = r.model ?? ''
          const cur = out.get(m) ?? emptyCounters()
          for (const f of Object.keys(cur) as (keyof Counters)[]) cur[f] += r.counters[f]
          out.set(m, cur)
        }
      }
      return out
    },
    /** Purges every counter of a key (permanent delete). */
    purgeKey: (keyId: string) => repo.purgeSubject('key', keyId),
    incrementsOf,
    keySummary,
    /** Per-model counters of a key for today or this month. */
    keyModels: (keyId: string, period: 'daily' | 'monthly') => {
      const p = usagePeriods(clock.now(), tz)
      return repo.list('key-model', period === 'daily' ? p.day : p.month, keyId)
    },
    /** Pending counters not yet written (tests, metrics). */
    pendingCount: () =>
      pending.size + rollups.size + backlog.reduce((n, b) => n + b.increments.length, 0),
    stop: async () => {
      clearInterval(timer)
      await flush()
      if (backlog.length || pending.size || rollups.size || minutes.size || windows.size)
        await flush()
    },
  }
}

/** The usage service's interface. */
export type UsageService = ReturnType<typeof createUsageService>

/** Period names covering [from, to) in steps of an hour or a day, oldest first (at most `max`). */
export function periodRange(
  from: number,
  to: number,
  granularity: 'hour' | 'day',
  tz: number,
  max = 2000,
): { t: number; period: string }[] {
  const step = granularity === 'hour' ? 3_600_000 : DAY
  const off = tz * 3_600_000
  const out: { t: number; period: string }[] = []
  let t = Math.floor((from + off) / step) * step - off
  while (t < to && out.length < max) {
    const p = usagePeriods(t, tz)
    out.push({ t, period: granularity === 'hour' ? p.hour : p.day })
    t += step
  }
  return out
}

/** Sum of all token kinds of a counter. */
export function allTokens(c: Counters): number {
  return totalTokens(c)
}

export { emptyCounters }
