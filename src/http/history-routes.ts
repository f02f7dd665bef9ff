// Over 400 lines: the key holder's and the admin's history routes share one query reader and view.
/**
 * @module
 * Request history over HTTP. Key holders read their own records (`/api/v1/request-history`,
 * `/api/v1/request-stats`, always scoped to the calling key); admins search all records with
 * combined filters and exact totals, read and delete one, chart statistics, export a selection as
 * JSONL or CSV (streamed), clean up, and change the capture settings.
 */
import { Elysia } from 'elysia'
import type { AdminAuthService } from '../admin/auth-service.ts'
import type { Config } from '../config/schema.ts'
import { InvalidRequestError, NotFoundError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import { localDayStart } from '../core/time.ts'
import type { HistoryFilter, HistoryRecord, HistoryStats, Outcome } from '../history/model.ts'
import { seedRecord, seedStats, seedSummary } from '../history/seed-view.ts'
import type { HistoryService } from '../history/service.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'

/** What the history routes need. */
export interface HistoryRouteDeps {
  config: Config
  history: HistoryService
  keys: KeyService
  clock: Clock
  jwtSecret: string
  auth: AdminAuthService
  guard: AdminGuardDeps
}

type Query = Record<string, string | undefined>
const OUTCOMES: Record<string, Outcome> = {
  success: 'success',
  completed: 'success',
  error: 'error',
  failed: 'error',
  aborted: 'aborted',
  rejected: 'rejected',
}

function time(name: string, v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v)
  // Beyond ±8.64e15 ms there is no date to show (and none to store).
  if (!Number.isFinite(n) || Math.abs(n) > 8.64e15)
    throw new InvalidRequestError(`${name}: expected an ISO date or epoch milliseconds`)
  return n
}

function int(name: string, v: string | undefined, def: number, min: number, max: number): number {
  if (v === undefined || v === '') return def
  const n = Number(v)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new InvalidRequestError(`${name}: expected an integer from ${min} to ${max}`)
  return n
}

/** Reads filters from a query string; `date` is a local day (TIMEZONE_OFFSET). */
export function parseFilter(q: Query, tz: number): HistoryFilter {
  const f: HistoryFilter = {}
  if (q.date) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(q.date) || Number.isNaN(Date.parse(`${q.date}T00:00:00Z`)))
      throw new InvalidRequestError('date: expected YYYY-MM-DD')
    f.from = localDayStart(q.date, tz)
    f.to = f.from + 86_400_000
  }
  const from = time('from', q.from ?? q.startDate)
  const to = time('to', q.to ?? q.endDate)
  if (from !== undefined) f.from = from
  if (to !== undefined) f.to = to
  if (f.from !== undefined && f.to !== undefined && f.from >= f.to)
    throw new InvalidRequestError('from: must be before to')
  const keyId = q.apiKeyId ?? q.keyId
  if (keyId) f.keyId = keyId
  if (q.accountId) f.accountId = q.accountId
  if (q.model) f.model = q.model
  if (q.platform) f.platform = q.platform
  const status = q.status ?? q.outcome
  if (status) {
    const o = Object.hasOwn(OUTCOMES, status) ? OUTCOMES[status] : undefined
    if (!o) throw new InvalidRequestError('status: expected success, error, aborted or rejected')
    f.outcome = o
  }
  if (q.q) f.q = q.q.slice(0, 200)
  return f
}

function page(q: Query): { limit: number; offset: number } {
  const limit = int('limit', q.limit ?? q.pageSize, 50, 1, 500)
  const offset = q.page
    ? (int('page', q.page, 1, 1, 1_000_000) - 1) * limit
    : int('offset', q.offset, 0, 0, 10_000_000)
  return { limit, offset }
}

/** Statistics in the shape of the system we replace, plus our extra fields. */
export function statsView(s: HistoryStats) {
  const modelStats: Record<string, { count: number; tokens: number; cost: number }> =
    Object.create(null)
  for (const [m, v] of Object.entries(s.byModel))
    modelStats[m] = { count: v.requests, tokens: v.tokens, cost: v.costNanos / 1e9 }
  return {
    totalRequests: s.total,
    successRequests: s.byOutcome.success ?? 0,
    failedRequests: s.total - (s.byOutcome.success ?? 0),
    byOutcome: s.byOutcome,
    // Requests as the usage counters (and the dashboard) count them, and what they leave out.
    requests: s.billable,
    requestsFailed: s.billableFailed,
    rejected: s.byOutcome.rejected ?? 0,
    countTokens: s.total - s.billable - (s.byOutcome.rejected ?? 0),
    totalTokens: s.inputTokens + s.outputTokens + s.cacheCreateTokens + s.cacheReadTokens,
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    cacheCreateTokens: s.cacheCreateTokens,
    cacheReadTokens: s.cacheReadTokens,
    totalCost: s.costNanos / 1e9,
    avgDuration: Math.round(s.avgDurationMs),
    avgTtfb: Math.round(s.avgTtfbMs),
    modelStats,
    statusStats: s.byStatus,
    series: s.series?.map((b) => ({
      ...b,
      time: new Date(b.t).toISOString(),
      cost: b.costNanos / 1e9,
    })),
  }
}

/** A record with costs in dollars next to the exact nano-dollars. */
function recordView(r: HistoryRecord) {
  return {
    ...r,
    requestId: r.id,
    cost: r.costNanos / 1e9,
    totalTokens:
      r.inputTokens +
      r.outputTokens +
      r.cacheCreate5mTokens +
      r.cacheCreate1hTokens +
      r.cacheReadTokens,
  }
}

const CSV_FIELDS = [
  'id',
  'startTime',
  'durationMs',
  'ttfbMs',
  'keyName',
  'keyId',
  'accountName',
  'model',
  'stream',
  'status',
  'outcome',
  'errorType',
  'errorMessage',
  'inputTokens',
  'outputTokens',
  'cacheCreate5mTokens',
  'cacheCreate1hTokens',
  'cacheReadTokens',
  'costNanos',
  'tries',
] as const

function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v)
  // Cells starting with = + - @ TAB CR are neutralised so spreadsheets do not run them as formulas.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

/** History controllers (key holder and admin). */
export function historyRoutes(deps: HistoryRouteDeps) {
  const { history, keys, config } = deps
  const tz = config.TIMEZONE_OFFSET
  const client = new Elysia({ name: 'crs.history-client' })
  /**
   * The key holder's day: `date` (a day at TIMEZONE_OFFSET), else `from`/`to`, else today. The
   * answer echoes the day and the instants it covered, so a day that looks empty can be explained.
   */
  function keyHolderFilter(query: Query, keyId: string) {
    const q = { date: query.date, from: query.from, to: query.to, model: query.model }
    let date = query.date || null
    if (!q.date && !q.from && !q.to) {
      date = new Date(deps.clock.now() + tz * 3_600_000).toISOString().slice(0, 10)
      q.date = date
    }
    const filter = { ...parseFilter({ ...q, status: query.status }, tz), keyId }
    const covered = {
      date,
      from: filter.from === undefined ? null : new Date(filter.from).toISOString(),
      to: filter.to === undefined ? null : new Date(filter.to).toISOString(),
      timezoneOffset: tz,
    }
    return { filter, covered }
  }
  const now = () => new Date(deps.clock.now()).toISOString()
  for (const prefix of ['/api', '/claude']) {
    client
      .get(
        `${prefix}/v1/request-history`,
        async ({ request, query }) => {
          const key = await keys.authenticate(extractApiKey(request.headers, request.url), {
            activate: false,
          })
          const p = page(query)
          const { filter, covered } = keyHolderFilter(query, key.id)
          const result = await history.query(filter, p)
          return {
            history: result.items.map(seedSummary),
            pagination: {
              ...p,
              hasMore: p.offset + result.items.length < result.total,
              total: result.total,
            },
            ...covered,
            timestamp: now(),
          }
        },
        {
          detail: {
            tags: ['history'],
            summary:
              "The calling key's requests of a day (`date` at TIMEZONE_OFFSET, default today; or from/to), newest first, in the old system's item shape plus ours",
          },
        },
      )
      .get(
        `${prefix}/v1/request-history/:requestId`,
        async ({ request, params, set }) => {
          const key = await keys.authenticate(extractApiKey(request.headers, request.url), {
            activate: false,
          })
          const record = await history.get(params.requestId)
          // The old system's error bodies on this route (scripts test `error`).
          if (!record) {
            set.status = 404
            return {
              error: 'Request not found',
              message: `Cannot find request "${params.requestId}"`,
            }
          }
          if (record.keyId !== key.id) {
            set.status = 403
            return {
              error: 'Access denied',
              message: 'This request belongs to another API key',
            }
          }
          return { request: seedRecord(record), timestamp: now() }
        },
        {
          detail: {
            tags: ['history'],
            summary:
              'One request of the calling key with bodies (JSON values), headers and attempts; 404/403 as `{error, message}`',
          },
        },
      )
      .get(
        `${prefix}/v1/request-stats`,
        async ({ request, query }) => {
          const key = await keys.authenticate(extractApiKey(request.headers, request.url), {
            activate: false,
          })
          const { filter, covered } = keyHolderFilter(
            { date: query.date, from: query.from, to: query.to },
            key.id,
          )
          const stats = await history.stats(filter)
          return { stats: seedStats(stats), ...covered, timestamp: now() }
        },
        {
          detail: {
            tags: ['history'],
            summary:
              "Statistics of the calling key's requests for a day (`date` at TIMEZONE_OFFSET, default today)",
          },
        },
      )
  }

  const admin = new Elysia({ prefix: '/admin', name: 'crs.history-admin' })
    .use(adminGuard(deps.guard))
    .get(
      '/request-history/config',
      () => ({ success: true, data: { ...history.config(), writer: history.writerKind() } }),
      {
        detail: {
          tags: ['history'],
          summary:
            'History capture and retention settings, and where records are written (`writer`: worker or inline)',
        },
      },
    )
    .put(
      '/request-history/config',
      async ({ body }) => ({
        success: true,
        data: await history.updateConfig((body ?? {}) as Record<string, unknown>),
      }),
      {
        detail: {
          tags: ['history'],
          summary: 'Change capture and retention settings (persisted, all instances)',
        },
      },
    )
    .get(
      '/request-history/export',
      ({ query }) => {
        const filter = parseFilter(query, tz)
        const format = query.format === 'csv' ? 'csv' : 'jsonl'
        const enc = new TextEncoder()
        const it = history.scan(filter, 500)[Symbol.asyncIterator]()
        let header = format === 'csv'
        const stream = new ReadableStream<Uint8Array>({
          async pull(controller) {
            if (header) {
              header = false
              controller.enqueue(enc.encode(`${CSV_FIELDS.join(',')}\n`))
              return
            }
            const { done, value } = await it.next()
            if (done) {
              controller.close()
              return
            }
            const lines =
              format === 'csv'
                ? value.map((r) =>
                    CSV_FIELDS.map((f) =>
                      csvCell(f === 'startTime' ? new Date(r.startTime).toISOString() : r[f]),
                    ).join(','),
                  )
                : value.map((r) => JSON.stringify(r))
            controller.enqueue(enc.encode(`${lines.join('\n')}\n`))
          },
          async cancel() {
            await it.return?.()
          },
        })
        const stamp = new Date(deps.clock.now()).toISOString().replaceAll(':', '-').slice(0, 19)
        return new Response(stream, {
          headers: {
            'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
            'content-disposition': `attachment; filename="request-history-${stamp}.${format}"`,
          },
        })
      },
      {
        detail: {
          tags: ['history'],
          summary: 'Export the filtered selection as JSONL or CSV (streamed)',
        },
      },
    )
    .post(
      '/request-history/cleanup',
      async ({ body }) => {
        const b = (body ?? {}) as { beforeDate?: unknown }
        if (typeof b.beforeDate !== 'string' && typeof b.beforeDate !== 'number')
          throw new InvalidRequestError('beforeDate: field required (ISO date or epoch ms)')
        const before = time('beforeDate', String(b.beforeDate))!
        await history.flush()
        const deleted = await history.deleteBefore(before)
        return { success: true, data: { deleted, before: new Date(before).toISOString() } }
      },
      {
        detail: {
          tags: ['history'],
          summary: 'Delete every record that started before beforeDate; returns the count',
        },
      },
    )
    .get(
      '/request-history',
      async ({ query }) => {
        const filter = parseFilter(query, tz)
        const p = page(query)
        const result = await history.query(filter, p)
        return {
          success: true,
          data: {
            history: result.items,
            pagination: {
              ...p,
              total: result.total,
              hasMore: p.offset + result.items.length < result.total,
            },
            filters: filter,
          },
        }
      },
      {
        detail: {
          tags: ['history'],
          summary:
            'Search history: apiKeyId, accountId, model, status, from, to, date, q; exact total',
        },
      },
    )
    .get(
      '/request-history/:id',
      async ({ params }) => {
        const r = await history.get(params.id)
        if (!r) throw new NotFoundError(`Cannot find request "${params.id}"`)
        return { success: true, data: recordView(r) }
      },
      { detail: { tags: ['history'], summary: 'One record with bodies and failover attempts' } },
    )
    .delete(
      '/request-history/:id',
      async ({ params }) => {
        if (!(await history.delete(params.id)))
          throw new NotFoundError(`Cannot find request "${params.id}"`)
        return { success: true, message: 'Record deleted' }
      },
      { detail: { tags: ['history'], summary: 'Delete one record' } },
    )
    .get(
      '/request-stats',
      async ({ query }) => {
        const filter = parseFilter(query, tz)
        if (filter.from === undefined && filter.to === undefined) {
          const today = new Date(deps.clock.now() + tz * 3_600_000).toISOString().slice(0, 10)
          Object.assign(filter, parseFilter({ date: today }, tz))
        }
        const granularity = query.granularity === 'day' ? 86_400_000 : 3_600_000
        const stats = await history.stats(filter, { bucketMs: granularity, tzOffsetHours: tz })
        return {
          success: true,
          data: {
            stats: statsView(stats),
            filters: filter,
            granularity: granularity === 86_400_000 ? 'day' : 'hour',
          },
        }
      },
      {
        detail: {
          tags: ['history'],
          summary: 'Statistics of the filtered selection with a time series by hour or day',
        },
      },
    )
  return new Elysia({ name: 'crs.history' }).use(client).use(admin)
}
