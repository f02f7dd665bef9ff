/**
 * @module
 * The history's query as the admin API and the key holder's routes send it (strings, the seed's
 * aliases): a filter (a local day, a time range, key, account, model, platform, outcome, text)
 * and a page (limit with offset or page number), each field checked with its name.
 */
import { InvalidRequestError } from '../core/errors.ts'
import { localDayStart } from '../core/time.ts'
import type { HistoryFilter, Outcome } from './model.ts'

/** A query string's values. */
export type Query = Record<string, string | undefined>
const OUTCOMES: Record<string, Outcome> = {
  success: 'success',
  completed: 'success',
  error: 'error',
  failed: 'error',
  aborted: 'aborted',
  rejected: 'rejected',
}

/** An ISO date or epoch ms, named `name` when refused. */
export function time(name: string, v: string | undefined): number | undefined {
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

/** The page of a query: `limit` (or `pageSize`) with `page` or `offset`. */
export function page(q: Query): { limit: number; offset: number } {
  const limit = int('limit', q.limit ?? q.pageSize, 50, 1, 500)
  const offset = q.page
    ? (int('page', q.page, 1, 1, 1_000_000) - 1) * limit
    : int('offset', q.offset, 0, 0, 10_000_000)
  return { limit, offset }
}
