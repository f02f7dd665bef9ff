/**
 * @module
 * The key holder's history routes (`/api/v1/request-history`, `/:requestId`, `/api/v1/request-stats`)
 * answer in the field names and types of the system we replace, so scripts written against it
 * keep working: `requestId`, `timestamp` (ISO start), `apiKeyId`, `apiKeyName`, `status`
 * (`success` or `error`), `duration`, `totalTokens`, `error`, and on a record `statusCode` (HTTP),
 * `cacheCreateTokens`, `headers`, and the bodies as JSON values. Every field of ours stays next to
 * them under its own name, except `status`, which means what it meant there (our HTTP status is
 * `statusCode`, our four-way result `outcome`).
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { literals } from '../core/schema.ts'
import { ModelStats } from './admin-view.ts'
import { HistoryRecord, type HistoryStats, HistorySummary } from './model.ts'

/** A list item: the old system's fields first (its names and types), then ours. */
export const SeedHistoryItem = T.Object({
  requestId: T.String(),
  timestamp: T.String({ description: 'ISO 8601 of the start' }),
  apiKeyId: T.String(),
  apiKeyName: T.String(),
  model: T.String(),
  /** Aborted and rejected requests are errors here (`outcome` keeps the four values). */
  status: literals('success', 'error'),
  duration: T.Number({ description: 'ms' }),
  inputTokens: T.Integer(),
  outputTokens: T.Integer(),
  totalTokens: T.Integer(),
  error: T.Optional(T.String({ description: 'the message, on errors' })),
  statusCode: T.Integer({ description: 'HTTP status' }),
  cacheCreateTokens: T.Integer(),
  cacheReadTokens: T.Integer(),
  startTime: T.Number({ description: 'epoch ms' }),
  endTime: T.Number({ description: 'epoch ms' }),
  ...T.Omit(HistorySummary, [
    'status',
    'model',
    'inputTokens',
    'outputTokens',
    'cacheReadTokens',
    'startTime',
    'endTime',
  ]).properties,
  cost: T.Number({ description: 'USD' }),
})
export type SeedHistoryItem = Static<typeof SeedHistoryItem>

/** A full record: the list item's fields, the bodies as JSON values, headers and attempts. */
export const SeedHistoryRecord = T.Composite([
  SeedHistoryItem,
  T.Object({
    requestBody: T.Unknown({ description: 'a JSON value when the body is JSON, else the text' }),
    responseBody: T.Unknown({ description: 'a JSON value when the body is JSON, else the text' }),
    headers: T.Record(T.String(), T.String(), { description: 'credentials removed' }),
    attempts: HistoryRecord.properties.attempts,
  }),
])
export type SeedHistoryRecord = Static<typeof SeedHistoryRecord>

/** Statistics: the old system's fields first, then ours. */
export const SeedHistoryStats = T.Object({
  totalRequests: T.Number({ description: 'records of the selection' }),
  successRequests: T.Number({ description: 'records that succeeded' }),
  failedRequests: T.Number({ description: 'the others (aborted and rejected included)' }),
  totalTokens: T.Number({ description: 'input + output + cache writes + cache reads' }),
  avgDuration: T.Number({ description: 'ms' }),
  modelStats: ModelStats,
  statusStats: T.Object({ success: T.Number(), error: T.Number() }),
  /** Records by HTTP status. */
  statusCodeStats: T.Record(T.String(), T.Number()),
  byOutcome: T.Record(T.String(), T.Number()),
  inputTokens: T.Number(),
  outputTokens: T.Number(),
  cacheCreateTokens: T.Number(),
  cacheReadTokens: T.Number(),
  totalCost: T.Number({ description: 'USD' }),
  avgTtfb: T.Number(),
})
export type SeedHistoryStats = Static<typeof SeedHistoryStats>

/** A list item: the old system's fields first, then ours. */
export function seedSummary(s: HistorySummary): SeedHistoryItem {
  // Shared fields are written once, in the old order; the rest of ours follow.
  const {
    status,
    model: _m,
    inputTokens: _i,
    outputTokens: _o,
    cacheReadTokens: _r,
    startTime: _s,
    endTime: _e,
    ...ours
  } = s
  const cacheCreateTokens = s.cacheCreate5mTokens + s.cacheCreate1hTokens
  return {
    requestId: s.id,
    timestamp: new Date(s.startTime).toISOString(),
    apiKeyId: s.keyId,
    apiKeyName: s.keyName,
    model: s.model,
    // Aborted and rejected requests were errors there; `outcome` keeps the four values.
    status: s.outcome === 'success' ? ('success' as const) : ('error' as const),
    duration: Math.round(s.durationMs),
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    totalTokens: s.inputTokens + s.outputTokens + cacheCreateTokens + s.cacheReadTokens,
    ...(s.outcome === 'success' ? {} : { error: s.errorMessage || s.errorType || 'error' }),
    statusCode: status,
    cacheCreateTokens,
    cacheReadTokens: s.cacheReadTokens,
    startTime: s.startTime,
    endTime: s.endTime,
    ...ours,
    cost: s.costNanos / 1e9,
  }
}

/** A captured body as a JSON value when it is JSON (a cut one was closed as JSON), else the text. */
export function bodyValue(text: string): unknown {
  const t = text.trimStart()
  if (t[0] !== '{' && t[0] !== '[') return text
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

/** A full record: the list item's fields, the bodies as JSON values, headers and attempts. */
export function seedRecord(r: HistoryRecord): SeedHistoryRecord {
  const { requestBody, responseBody, requestHeaders, attempts, ...summary } = r
  return {
    ...seedSummary(summary),
    requestBody: bodyValue(requestBody),
    responseBody: bodyValue(responseBody),
    headers: requestHeaders,
    attempts,
  }
}

/**
 * Statistics: `statusStats` counts `success` and `error` as there (our HTTP status counts are
 * `statusCodeStats`, the four results `byOutcome`), `modelStats` has `count` and `tokens` (plus
 * `cost`), and our totals follow.
 */
export function seedStats(s: HistoryStats): SeedHistoryStats {
  const modelStats: SeedHistoryStats['modelStats'] = Object.create(null)
  for (const [m, v] of Object.entries(s.byModel))
    modelStats[m] = { count: v.requests, tokens: v.tokens, cost: v.costNanos / 1e9 }
  const success = s.byOutcome.success ?? 0
  return {
    totalRequests: s.total,
    successRequests: success,
    failedRequests: s.total - success,
    totalTokens: s.inputTokens + s.outputTokens + s.cacheCreateTokens + s.cacheReadTokens,
    avgDuration: Math.round(s.avgDurationMs),
    modelStats,
    statusStats: { success, error: s.total - success },
    statusCodeStats: s.byStatus,
    byOutcome: s.byOutcome,
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    cacheCreateTokens: s.cacheCreateTokens,
    cacheReadTokens: s.cacheReadTokens,
    totalCost: s.costNanos / 1e9,
    avgTtfb: Math.round(s.avgTtfbMs),
  }
}
