/**
 * @module
 * The admin's history routes: search every record with combined filters and exact totals, read
 * and delete one, chart statistics, export a selection as JSONL or CSV (streamed), clean up, and
 * change the capture settings.
 */
import { Elysia, t } from 'elysia'
import { NotFoundError } from '../core/errors.ts'
import { CSV_FIELDS, csvCell, recordView, statsView } from '../history/admin-view.ts'
import { page, parseFilter, time } from '../history/query.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import type { HistoryRouteDeps } from './history-routes.ts'
import { IdParams, OkMessage, ok, strictBody } from './schemas/common.ts'
import {
  HistoryCleanup,
  HistoryCleanupBody,
  HistoryConfigBody,
  HistoryConfigView,
  HistoryPage,
  HistoryQuery,
  HistoryRecordView,
  HistoryStatsAnswer,
} from './schemas/history.ts'

/** The history admin controller. */
export function adminHistoryRoutes(deps: HistoryRouteDeps & { guard: AdminGuardDeps }) {
  const { history } = deps
  const tz = deps.config.TIMEZONE_OFFSET
  return new Elysia({ prefix: '/admin', name: 'crs.history-admin' })
    .use(adminGuard(deps.guard))
    .get(
      '/request-history/config',
      () => ({ success: true, data: { ...history.config(), writer: history.writerKind() } }),
      {
        response: ok(HistoryConfigView),
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
        data: await history.updateConfig(body ?? {}),
      }),
      {
        ...strictBody(t.Optional(HistoryConfigBody)),
        response: ok(HistoryConfigView),
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
        query: HistoryQuery,
        detail: {
          tags: ['history'],
          summary: 'Export the filtered selection as JSONL or CSV (streamed)',
        },
      },
    )
    .post(
      '/request-history/cleanup',
      async ({ body }) => {
        const before = time('beforeDate', String(body.beforeDate))!
        await history.flush()
        const deleted = await history.deleteBefore(before)
        return { success: true, data: { deleted, before: new Date(before).toISOString() } }
      },
      {
        ...strictBody(HistoryCleanupBody),
        response: ok(HistoryCleanup),
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
        query: HistoryQuery,
        response: ok(HistoryPage),
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
      {
        params: IdParams,
        response: ok(HistoryRecordView),
        detail: { tags: ['history'], summary: 'One record with bodies and failover attempts' },
      },
    )
    .delete(
      '/request-history/:id',
      async ({ params }) => {
        if (!(await history.delete(params.id)))
          throw new NotFoundError(`Cannot find request "${params.id}"`)
        return { success: true, message: 'Record deleted' }
      },
      {
        params: IdParams,
        response: OkMessage,
        detail: { tags: ['history'], summary: 'Delete one record' },
      },
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
            granularity: granularity === 86_400_000 ? ('day' as const) : ('hour' as const),
          },
        }
      },
      {
        query: HistoryQuery,
        response: ok(HistoryStatsAnswer),
        detail: {
          tags: ['history'],
          summary: 'Statistics of the filtered selection with a time series by hour or day',
        },
      },
    )
}
