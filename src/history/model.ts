/**
 * @module
 * The request history record: one per request through the relay, written once when the request
 * ends (never left pending).
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { literals } from '../core/schema.ts'

/** How a request ended. */
export const Outcome = literals('success', 'error', 'aborted', 'rejected')
export type Outcome = Static<typeof Outcome>

/** The fields listed in tables and filtered on (no bodies). */
export const HistorySummary = T.Object({
  id: T.String(),
  startTime: T.Number(),
  endTime: T.Number(),
  durationMs: T.Number(),
  ttfbMs: T.Union([T.Number(), T.Null()]),
  overheadMs: T.Union([T.Number(), T.Null()]),
  keyId: T.String(),
  keyName: T.String(),
  accountId: T.String(),
  accountName: T.String(),
  /** Platform of the account that answered (`claude-oauth`, …; '' when none did). */
  platform: T.String({ default: '' }),
  model: T.String(),
  stream: T.Boolean(),
  endpoint: T.String(),
  userAgent: T.String(),
  status: T.Integer(),
  outcome: Outcome,
  errorType: T.String(),
  errorMessage: T.String(),
  inputTokens: T.Integer(),
  outputTokens: T.Integer(),
  cacheCreate5mTokens: T.Integer(),
  cacheCreate1hTokens: T.Integer(),
  cacheReadTokens: T.Integer(),
  /**
   * Of `outputTokens`, the model's reasoning (OpenAI `reasoning_tokens`, Gemini
   * `thoughtsTokenCount`), when the answer reported any; shown apart, never billed apart.
   */
  reasoningTokens: T.Optional(T.Integer()),
  costNanos: T.Integer(),
  tries: T.Integer(),
})
export type HistorySummary = Static<typeof HistorySummary>

/** A full record: the summary plus captured bodies and the failover trail. */
export const HistoryRecord = T.Composite([
  HistorySummary,
  T.Object({
    requestBody: T.String(),
    responseBody: T.String(),
    /** The client's request headers, credentials replaced by `[REDACTED]` (empty: not captured). */
    requestHeaders: T.Record(T.String(), T.String()),
    attempts: T.Array(
      T.Object({
        accountId: T.String(),
        accountName: T.String(),
        status: T.Integer(),
        error: T.String(),
        ms: T.Number(),
        /** The body sent upstream on this try, when it differs from the client's. */
        upstreamBody: T.Optional(T.String()),
        /** Request fix-ups applied on this try. */
        fixups: T.Optional(T.Array(T.String())),
      }),
    ),
  }),
])
export type HistoryRecord = Static<typeof HistoryRecord>

/** Filters combine with AND. Times are epoch ms; `to` is exclusive. */
export const HistoryFilter = T.Object({
  from: T.Optional(T.Number()),
  to: T.Optional(T.Number()),
  keyId: T.Optional(T.String()),
  accountId: T.Optional(T.String()),
  model: T.Optional(T.String()),
  outcome: T.Optional(Outcome),
  /** Platform of the account that answered. */
  platform: T.Optional(T.String()),
  /** Case-insensitive substring of model, key name, account name, error message or id. */
  q: T.Optional(T.String()),
})
export type HistoryFilter = Static<typeof HistoryFilter>

/**
 * Whether a record counts as a request in the usage counters (and so everywhere the UI says
 * "requests"): a Messages call (OpenAI-compatible ones included) that was admitted. Rejected
 * requests and count_tokens calls are recorded in history but counted apart.
 */
export function countsAsRequest(s: Pick<HistorySummary, 'outcome' | 'endpoint'>): boolean {
  return s.outcome !== 'rejected' && !s.endpoint.endsWith('/count_tokens')
}

/** One bucket of a stats time series. */
export const HistoryBucket = T.Object({
  t: T.Number(),
  /** Every record. */
  requests: T.Number(),
  /** Records that did not succeed (rejections included). */
  errors: T.Number(),
  /** Records that count as requests ({@link countsAsRequest}). */
  billable: T.Number(),
  /** Of those, the ones that did not succeed. */
  billableFailed: T.Number(),
  tokens: T.Number(),
  costNanos: T.Number(),
})
export type HistoryBucket = Static<typeof HistoryBucket>

/** Aggregates over a filtered selection. */
export interface HistoryStats {
  total: number
  /** Records that count as requests ({@link countsAsRequest}). */
  billable: number
  /** Of those, the ones that did not succeed (error or aborted). */
  billableFailed: number
  byOutcome: Record<string, number>
  byModel: Record<string, { requests: number; tokens: number; costNanos: number }>
  byStatus: Record<string, number>
  inputTokens: number
  outputTokens: number
  cacheCreateTokens: number
  cacheReadTokens: number
  costNanos: number
  avgDurationMs: number
  avgTtfbMs: number
  /** Buckets of `bucketMs` starting at their key (epoch ms), when requested. */
  series?: HistoryBucket[]
}

/** Statistics of an empty selection. */
export function emptyHistoryStats(): HistoryStats {
  return {
    total: 0,
    billable: 0,
    billableFailed: 0,
    // No prototype: model names come from clients ("__proto__" must be a plain key).
    byOutcome: Object.create(null),
    byModel: Object.create(null),
    byStatus: Object.create(null),
    inputTokens: 0,
    outputTokens: 0,
    cacheCreateTokens: 0,
    cacheReadTokens: 0,
    costNanos: 0,
    avgDurationMs: 0,
    avgTtfbMs: 0,
  }
}
