/**
 * @module
 * Schemas of the admin history API: the capture settings' change and the clean-up, with the
 * same field-named messages the history rules use, and the search query as the UI sends it.
 */
import { t as T } from 'elysia'

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
