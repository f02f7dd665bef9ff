/**
 * @module
 * Schemas of the admin history API: the capture settings' change and the clean-up, with the
 * same field-named messages the history rules use, and the search query as the UI sends it.
 */
import type { Static } from '@sinclair/typebox'
import { t as T } from 'elysia'
import { HistoryRecordView, HistoryStatsView } from '../../history/admin-view.ts'
import { HistoryFilter, HistorySummary } from '../../history/model.ts'
import { SeedHistoryItem, SeedHistoryRecord, SeedHistoryStats } from '../../history/seed-view.ts'

const bool = (k: string, description: string) =>
  T.Optional(T.Boolean({ description, error: `${k}: expected true or false` }))
const int = (k: string, minimum: number, maximum: number, description: string) =>
  T.Optional(
    T.Integer({
      minimum,
      maximum,
      description,
      error: `${k}: expected an integer from ${minimum} to ${maximum}`,
    }),
  )

/** A change of the capture and retention settings (fields left out are kept). */
export const HistoryConfigBody = T.Object(
  {
    enabled: bool('enabled', 'record requests at all'),
    enableLogging: bool('enableLogging', 'the seed name of enabled'),
    captureBodies: bool('captureBodies', 'keep request and response bodies'),
    maxRequestBodySize: int('maxRequestBodySize', 0, 10_000_000, 'bytes of a request body kept'),
    maxResponseBodySize: int('maxResponseBodySize', 0, 10_000_000, 'bytes of an answer kept'),
    retentionDays: int('retentionDays', 1, 3650, 'days a record is kept'),
    maxTotalBytes: int('maxTotalBytes', 1_000_000, 1_000_000_000_000, 'bytes of all records'),
  },
  { additionalProperties: true },
)

/** Records that started before `beforeDate` are deleted. */
export const HistoryCleanupBody = T.Object(
  {
    beforeDate: T.Union([T.String(), T.Number()], {
      description: 'ISO date or epoch ms',
      error: 'beforeDate: field required (ISO date or epoch ms)',
    }),
  },
  { additionalProperties: true },
)

const text = (description: string) => T.Optional(T.String({ description }))

/** A search of the history (read as the UI sends it; checked by `history/query.ts`). */
export const HistoryQuery = T.Object(
  {
    date: text('a day (YYYY-MM-DD) at TIMEZONE_OFFSET'),
    from: text('ISO date or epoch ms (alias startDate)'),
    to: text('ISO date or epoch ms (alias endDate)'),
    apiKeyId: text('one key (alias keyId)'),
    accountId: text('one account'),
    model: text('one model'),
    platform: text('one platform'),
    status: text('success | error | aborted | rejected (alias outcome)'),
    q: text('text search'),
    limit: text('1 to 500 (alias pageSize; default 50)'),
    page: text('page number (or offset)'),
    offset: text('records skipped'),
    format: text('export: jsonl (default) | csv'),
    granularity: text('statistics: hour (default) | day'),
  },
  { additionalProperties: true },
)

/** The capture and retention settings, and where records are written. */
export const HistoryConfigView = T.Object({
  enabled: T.Boolean(),
  captureBodies: T.Boolean(),
  maxRequestBodySize: T.Integer(),
  maxResponseBodySize: T.Integer(),
  retentionDays: T.Integer(),
  maxTotalBytes: T.Integer(),
  writer: T.Optional(T.String({ description: 'worker | inline' })),
})
export type HistoryConfigView = Static<typeof HistoryConfigView>

/** What a clean-up deleted. */
export const HistoryCleanup = T.Object({ deleted: T.Integer(), before: T.String() })

/** A page of the admin's search, the filters it applied, and the exact total. */
export const HistoryPage = T.Object({
  history: T.Array(HistorySummary),
  pagination: T.Object({
    limit: T.Integer(),
    offset: T.Integer(),
    total: T.Integer(),
    hasMore: T.Boolean(),
  }),
  filters: HistoryFilter,
})
export type HistoryPage = Static<typeof HistoryPage>

/** Statistics of the admin's selection. */
export const HistoryStatsAnswer = T.Object({
  stats: HistoryStatsView,
  filters: HistoryFilter,
  granularity: T.Union([T.Literal('hour'), T.Literal('day')]),
})

export { HistoryRecordView, HistoryStatsView }

/** The key holder's day: `date` at TIMEZONE_OFFSET (default today), or `from`/`to`. */
export const KeyHolderHistoryQuery = T.Object(
  {
    date: text('a day (YYYY-MM-DD) at TIMEZONE_OFFSET; default today'),
    from: text('ISO date or epoch ms'),
    to: text('ISO date or epoch ms'),
    model: text('one model (list only)'),
    status: text('success | error | aborted | rejected (list only)'),
    limit: text('1 to 500 (default 50; list only)'),
    offset: text('records skipped (list only)'),
  },
  { additionalProperties: true },
)

/** The day and instants a key holder's answer covered (so an empty day can be explained). */
const COVERED = {
  date: T.Union([T.String(), T.Null()], { description: 'the day used (YYYY-MM-DD), if any' }),
  from: T.Union([T.String(), T.Null()]),
  to: T.Union([T.String(), T.Null()]),
  timezoneOffset: T.Number({ description: 'TIMEZONE_OFFSET, hours east of UTC' }),
}

/** `/api/v1/request-history`: the old system's answer plus our fields. */
export const SeedHistoryPage = T.Object({
  history: T.Array(SeedHistoryItem),
  pagination: T.Object({
    limit: T.Integer(),
    offset: T.Integer(),
    hasMore: T.Boolean(),
    total: T.Integer(),
  }),
  ...COVERED,
  timestamp: T.String(),
})
export type SeedHistoryPage = Static<typeof SeedHistoryPage>

/** `/api/v1/request-history/:requestId`. */
export const SeedRecordAnswer = T.Object({ request: SeedHistoryRecord, timestamp: T.String() })

/** `/api/v1/request-stats`. */
export const SeedStatsAnswer = T.Object({
  stats: SeedHistoryStats,
  ...COVERED,
  timestamp: T.String(),
})

/** The old system's error answer on the key holder's record route (404, 403). */
export const SeedError = T.Object({ error: T.String(), message: T.String() })
