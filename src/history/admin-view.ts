/**
 * @module
 * History as the admin API shows it: statistics in the shape of the system we replace (plus our
 * fields), a record with costs in dollars, and the export's CSV columns and cells.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { TOKEN_FIELDS } from '../usage/model.ts'
import { HistoryBucket, HistoryRecord, type HistoryStats } from './model.ts'

const counts = T.Record(T.String(), T.Number())

/** Per-model counts of a statistics answer (cost in USD). */
export const ModelStats = T.Record(
  T.String(),
  T.Object({ count: T.Number(), tokens: T.Number(), cost: T.Number({ description: 'USD' }) }),
)

/** Statistics in the shape of the system we replace, plus our extra fields. */
export const HistoryStatsView = T.Object({
  totalRequests: T.Number(),
  successRequests: T.Number(),
  failedRequests: T.Number(),
  byOutcome: counts,
  /** Requests as the usage counters count them (admitted Messages calls). */
  requests: T.Number(),
  /** Of those, the failed or aborted ones. */
  requestsFailed: T.Number(),
  rejected: T.Number(),
  countTokens: T.Number(),
  totalTokens: T.Number(),
  inputTokens: T.Number(),
  outputTokens: T.Number(),
  cacheCreateTokens: T.Number(),
  cacheReadTokens: T.Number(),
  totalCost: T.Number({ description: 'USD' }),
  avgDuration: T.Number(),
  avgTtfb: T.Number(),
  modelStats: ModelStats,
  /** Records by HTTP status. */
  statusStats: counts,
  /** The buckets, when asked for, cost in dollars. */
  series: T.Optional(
    T.Array(T.Composite([HistoryBucket, T.Object({ time: T.String(), cost: T.Number() })])),
  ),
})
export type HistoryStatsView = Static<typeof HistoryStatsView>

/** Statistics in the shape of the system we replace, plus our extra fields. */
export function statsView(s: HistoryStats): HistoryStatsView {
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

/** A record with its cost in dollars next to the exact nano-dollars, and its token total. */
export const HistoryRecordView = T.Composite([
  HistoryRecord,
  T.Object({ requestId: T.String(), cost: T.Number(), totalTokens: T.Number() }),
])
export type HistoryRecordView = Static<typeof HistoryRecordView>

/** A record with costs in dollars next to the exact nano-dollars. */
export function recordView(r: HistoryRecord): HistoryRecordView {
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

export const CSV_FIELDS = [
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
  ...TOKEN_FIELDS,
  'costNanos',
  'tries',
] as const

export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? '' : String(v)
  // Cells starting with = + - @ TAB CR are neutralised so spreadsheets do not run them as formulas.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}
