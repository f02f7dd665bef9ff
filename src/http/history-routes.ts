/**
 * @module
 * Request history over HTTP. Key holders read their own records (`/api/v1/request-history`,
 * `/api/v1/request-stats`, always scoped to the calling key); the admin's routes are in
 * `admin-history-routes.ts`; the query reader in `history/query.ts`.
 */
import { Elysia, t } from 'elysia'
import type { AdminAuthService } from '../admin/auth-service.ts'
import type { Config } from '../config/schema.ts'
import type { Clock } from '../core/ports.ts'
import { page, parseFilter, type Query } from '../history/query.ts'
import { seedRecord, seedStats, seedSummary } from '../history/seed-view.ts'
import type { HistoryService } from '../history/service.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import type { AdminGuardDeps } from './admin-guard.ts'
import { adminHistoryRoutes } from './admin-history-routes.ts'
import {
  KeyHolderHistoryQuery,
  SeedError,
  SeedHistoryPage,
  SeedRecordAnswer,
  SeedStatsAnswer,
} from './schemas/history.ts'

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
          query: KeyHolderHistoryQuery,
          response: SeedHistoryPage,
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
          params: t.Object({ requestId: t.String() }),
          response: { 200: SeedRecordAnswer, 403: SeedError, 404: SeedError },
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
          query: KeyHolderHistoryQuery,
          response: SeedStatsAnswer,
          detail: {
            tags: ['history'],
            summary:
              "Statistics of the calling key's requests for a day (`date` at TIMEZONE_OFFSET, default today)",
          },
        },
      )
  }

  return new Elysia({ name: 'crs.history' }).use(client).use(adminHistoryRoutes(deps))
}
