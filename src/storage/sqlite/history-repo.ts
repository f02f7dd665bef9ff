// Over 400 lines: one SQL table and its queries; the schema, filters and trims are read together.
/**
 * @module
 * SQLite adapter of {@link HistoryRepository}: one `history` row per request with one column per
 * summary field (bodies last, so listing rarely touches their overflow pages), and an index per
 * filter ending in (start_time, id) so pages come out in order without a sort. `scan` pages with
 * a (start_time, id) keyset, never OFFSET. `write` (inserts, once per batch) and a delete
 * trigger keep count and bytes in `history_totals`, so size() and trimToBytes() never scan.
 */
import { utf8Length } from '../../core/text.ts'
import {
  emptyHistoryStats,
  type HistoryFilter,
  type HistoryRecord,
  type HistoryStats,
  type HistorySummary,
} from '../../history/model.ts'
import type { HistoryRepository } from '../../history/repository.ts'
import { readStoredBody, storedBody, storedLength } from '../body-codec.ts'
import { type SqlDatabase, type SqlValue, whereOf } from './driver.ts'

/** Summary fields and their columns, in table order. */
const SUMMARY_COLUMNS = [
  ['id', 'id'],
  ['startTime', 'start_time'],
  ['endTime', 'end_time'],
  ['durationMs', 'duration_ms'],
  ['ttfbMs', 'ttfb_ms'],
  ['overheadMs', 'overhead_ms'],
  ['keyId', 'key_id'],
  ['keyName', 'key_name'],
  ['accountId', 'account_id'],
  ['accountName', 'account_name'],
  ['platform', 'platform'],
  ['model', 'model'],
  ['stream', 'stream'],
  ['endpoint', 'endpoint'],
  ['userAgent', 'user_agent'],
  ['status', 'status'],
  ['outcome', 'outcome'],
  ['errorType', 'error_type'],
  ['errorMessage', 'error_message'],
  ['inputTokens', 'input_tokens'],
  ['outputTokens', 'output_tokens'],
  ['cacheCreate5mTokens', 'cache_create_5m_tokens'],
  ['cacheCreate1hTokens', 'cache_create_1h_tokens'],
  ['cacheReadTokens', 'cache_read_tokens'],
  ['costNanos', 'cost_nanos'],
  ['tries', 'tries'],
  ['reasoningTokens', 'reasoning_tokens'],
] as const satisfies readonly (readonly [keyof HistorySummary, string])[]

const SUMMARY_SELECT = SUMMARY_COLUMNS.map(([, c]) => c).join(', ')
const RECORD_SELECT = `${SUMMARY_SELECT}, attempts, request_headers, request_body, response_body`
const INSERT_SQL = `INSERT INTO history (${SUMMARY_SELECT}, bytes, attempts, request_headers, request_body, response_body)
VALUES (${SUMMARY_COLUMNS.map(() => '?').join(', ')}, ?, ?, ?, ?, ?)`

/** Position of `bytes` in {@link recordParams}. */
const BYTES_PARAM = SUMMARY_COLUMNS.length
const INSERT_NEW_SQL = `${INSERT_SQL} ON CONFLICT (id) DO NOTHING`

const TOKENS_SQL =
  'input_tokens + output_tokens + cache_create_5m_tokens + cache_create_1h_tokens + cache_read_tokens'

type Row = Record<string, unknown>

/** The text of a body column: TEXT, or a BLOB (compressed, see `body-codec.ts`). */
function bodyText(v: unknown): string {
  return v instanceof Uint8Array ? readStoredBody(v) : String(v ?? '')
}

function toSummary(row: Row): HistorySummary {
  const nullableNumber = (v: unknown) => (v === null || v === undefined ? null : Number(v))
  return {
    id: String(row.id),
    startTime: Number(row.start_time),
    endTime: Number(row.end_time),
    durationMs: Number(row.duration_ms),
    ttfbMs: nullableNumber(row.ttfb_ms),
    overheadMs: nullableNumber(row.overhead_ms),
    keyId: String(row.key_id),
    keyName: String(row.key_name),
    accountId: String(row.account_id),
    accountName: String(row.account_name),
    platform: String(row.platform ?? ''),
    model: String(row.model),
    stream: Number(row.stream) !== 0,
    endpoint: String(row.endpoint),
    userAgent: String(row.user_agent),
    status: Number(row.status),
    outcome: String(row.outcome) as HistorySummary['outcome'],
    errorType: String(row.error_type),
    errorMessage: String(row.error_message),
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    cacheCreate5mTokens: Number(row.cache_create_5m_tokens),
    cacheCreate1hTokens: Number(row.cache_create_1h_tokens),
    cacheReadTokens: Number(row.cache_read_tokens),
    costNanos: Number(row.cost_nanos),
    tries: Number(row.tries),
    ...(row.reasoning_tokens != null && { reasoningTokens: Number(row.reasoning_tokens) }),
  }
}

function toRecord(row: Row): HistoryRecord {
  return {
    ...toSummary(row),
    requestBody: bodyText(row.request_body),
    responseBody: bodyText(row.response_body),
    attempts: JSON.parse(String(row.attempts)) as HistoryRecord['attempts'],
    // Rows written before headers were kept have ''.
    requestHeaders: row.request_headers
      ? (JSON.parse(String(row.request_headers)) as HistoryRecord['requestHeaders'])
      : {},
  }
}

/** `{"name":` and `,` around every summary field of a record's JSON, in bytes. */
const SUMMARY_NAMES_BYTES = SUMMARY_COLUMNS.reduce((n, [field]) => n + field.length + 4, 1)

/**
 * The parameters of one insert. `bytes` is the record's approximate stored size: the bodies as
 * stored, the attempts, and about what the summary takes as JSON (strings by their UTF-8 length,
 * numbers at 8 bytes), so the history cap bounds the whole record like the Redis adapter's.
 */
function recordParams(r: HistoryRecord, compress: boolean): SqlValue[] {
  const params: SqlValue[] = []
  let bytes = SUMMARY_NAMES_BYTES
  for (const [field] of SUMMARY_COLUMNS) {
    const v = r[field]
    if (typeof v === 'string') {
      params.push(v)
      bytes += utf8Length(v) + 2
    } else if (typeof v === 'boolean') {
      params.push(v ? 1 : 0)
      bytes += 5
    } else {
      params.push(v ?? null)
      bytes += 8
    }
  }
  const attempts = JSON.stringify(r.attempts ?? [])
  const headers =
    r.requestHeaders && Object.keys(r.requestHeaders).length ? JSON.stringify(r.requestHeaders) : ''
  const bodies = compress
    ? [storedBody(r.requestBody), storedBody(r.responseBody)]
    : [r.requestBody, r.responseBody]
  bytes +=
    utf8Length(attempts) + utf8Length(headers) + storedLength(bodies[0]!) + storedLength(bodies[1]!)
  params.push(bytes, attempts, headers, ...bodies)
  return params
}

/** Escapes LIKE wildcards so `q` matches literally (used with `ESCAPE '\'`). */
function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`
}

/** WHERE clause (with leading `WHERE`, or empty) and its parameters for `filter`. */
export function historyWhere(filter: HistoryFilter): { sql: string; params: SqlValue[] } {
  const where = whereOf([
    ['start_time >= ?', filter.from],
    ['start_time < ?', filter.to],
    ['key_id = ?', filter.keyId],
    ['account_id = ?', filter.accountId],
    ['model = ?', filter.model],
    ['outcome = ?', filter.outcome],
    ['platform = ?', filter.platform],
  ])
  if (filter.q === undefined || filter.q === '') return where
  const pattern = likePattern(filter.q)
  const columns = ['id', 'model', 'key_name', 'account_name', 'error_message']
  return {
    sql: andWhere(where.sql, `(${columns.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`),
    params: [...where.params, ...columns.map(() => pattern)],
  }
}

function andWhere(where: string, condition: string): string {
  return where ? `${where} AND ${condition}` : `WHERE ${condition}`
}

/** 1 when a row counts as a request (see countsAsRequest in history/model.ts), else 0. */
const BILLABLE_SQL = `(CASE WHEN outcome != 'rejected' AND substr(endpoint, -13) != '/count_tokens' THEN 1 ELSE 0 END)`

interface GroupRow {
  model: string
  outcome: string
  status: number
  n: number
  billable: number
  billable_failed: number
  input: number
  output: number
  cache_create: number
  cache_read: number
  tokens: number
  cost: number
  duration: number
  ttfb_sum: number
  ttfb_n: number
}

function computeStats(
  db: SqlDatabase,
  filter: HistoryFilter,
  bucketMs?: number,
  tzOffsetHours = 0,
): HistoryStats {
  const { sql: where, params } = historyWhere(filter)
  // One pass groups by every dimension the stats need; the totals are sums of the groups.
  const groups = db.all<GroupRow>(
    `SELECT model, outcome, status, COUNT(*) AS n,
       SUM(${BILLABLE_SQL}) AS billable,
       SUM(CASE WHEN outcome != 'success' THEN ${BILLABLE_SQL} ELSE 0 END) AS billable_failed,
       SUM(input_tokens) AS input, SUM(output_tokens) AS output,
       SUM(cache_create_5m_tokens + cache_create_1h_tokens) AS cache_create,
       SUM(cache_read_tokens) AS cache_read, SUM(${TOKENS_SQL}) AS tokens,
       SUM(cost_nanos) AS cost, SUM(duration_ms) AS duration,
       TOTAL(ttfb_ms) AS ttfb_sum, COUNT(ttfb_ms) AS ttfb_n
     FROM history ${where} GROUP BY model, outcome, status`,
    params,
  )
  const stats: HistoryStats = emptyHistoryStats()
  let duration = 0
  let ttfbSum = 0
  let ttfbCount = 0
  for (const g of groups) {
    const n = Number(g.n)
    stats.total += n
    stats.billable += Number(g.billable)
    stats.billableFailed += Number(g.billable_failed)
    stats.byOutcome[g.outcome] = (stats.byOutcome[g.outcome] ?? 0) + n
    const status = String(g.status)
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + n
    const m = stats.byModel[g.model] ?? { requests: 0, tokens: 0, costNanos: 0 }
    m.requests += n
    m.tokens += Number(g.tokens)
    m.costNanos += Number(g.cost)
    stats.byModel[g.model] = m
    stats.inputTokens += Number(g.input)
    stats.outputTokens += Number(g.output)
    stats.cacheCreateTokens += Number(g.cache_create)
    stats.cacheReadTokens += Number(g.cache_read)
    stats.costNanos += Number(g.cost)
    duration += Number(g.duration)
    ttfbSum += Number(g.ttfb_sum)
    ttfbCount += Number(g.ttfb_n)
  }
  stats.avgDurationMs = stats.total ? duration / stats.total : 0
  stats.avgTtfbMs = ttfbCount ? ttfbSum / ttfbCount : 0

  if (bucketMs !== undefined && bucketMs > 0) {
    const size = Math.max(1, Math.floor(bucketMs))
    const offset = Math.round(tzOffsetHours * 3_600_000)
    // Integer floor division that is also right for (theoretical) negative shifted times.
    const bucket = `(((start_time + ${offset}) - (((start_time + ${offset}) % ${size}) + ${size}) % ${size}) - ${offset})`
    stats.series = db
      .all<{
        t: number
        requests: number
        errors: number
        billable: number
        billable_failed: number
        tokens: number
        cost: number
      }>(
        `SELECT ${bucket} AS t, COUNT(*) AS requests,
           SUM(CASE WHEN outcome = 'success' THEN 0 ELSE 1 END) AS errors,
           SUM(${BILLABLE_SQL}) AS billable,
           SUM(CASE WHEN outcome != 'success' THEN ${BILLABLE_SQL} ELSE 0 END) AS billable_failed,
           SUM(${TOKENS_SQL}) AS tokens, SUM(cost_nanos) AS cost
         FROM history ${where} GROUP BY t ORDER BY t`,
        params,
      )
      .map((r) => ({
        t: Number(r.t),
        requests: Number(r.requests),
        errors: Number(r.errors),
        billable: Number(r.billable),
        billableFailed: Number(r.billable_failed),
        tokens: Number(r.tokens),
        costNanos: Number(r.cost),
      }))
  }
  return stats
}

/**
 * Creates the history repository over `db` (migrations already applied). `compressBodies: false`
 * stores every body as text (records stored compressed still read back).
 */
export function createSqliteHistoryRepo(
  db: SqlDatabase,
  options: { compressBodies?: boolean } = {},
): HistoryRepository {
  const compress = options.compressBodies ?? true
  return {
    async write(records) {
      if (records.length === 0) return
      // Bodies are compressed before the transaction, which then holds the write lock only to insert.
      const rows = records.map((r) => recordParams(r, compress))
      db.transaction(() => {
        let bytes = 0
        for (const [i, r] of records.entries()) {
          const params = rows[i]!
          // A record written again (a retried batch) replaces the first copy; delete + insert
          // rather than INSERT OR REPLACE, so the delete trigger takes the old copy off the totals.
          if (db.run(INSERT_NEW_SQL, params).changes === 0) {
            db.run('DELETE FROM history WHERE id = ?', [r.id])
            db.run(INSERT_SQL, params)
          }
          bytes += params[BYTES_PARAM] as number
        }
        // Inserts add to the totals once per batch (a per-row trigger cost ~3 µs a record).
        db.run('UPDATE history_totals SET count = count + ?, bytes = bytes + ? WHERE id = 0', [
          records.length,
          bytes,
        ])
      })
    },
    async get(id) {
      const row = db.get<Row>(`SELECT ${RECORD_SELECT} FROM history WHERE id = ?`, [id])
      return row ? toRecord(row) : null
    },
    async query(filter, page) {
      const { sql: where, params } = historyWhere(filter)
      const limit = Math.max(0, Math.floor(page.limit))
      const offset = Math.max(0, Math.floor(page.offset))
      const items = db
        .all<Row>(
          `SELECT ${SUMMARY_SELECT} FROM history ${where} ORDER BY start_time DESC, id DESC LIMIT ? OFFSET ?`,
          [...params, limit, offset],
        )
        .map(toSummary)
      const total = Number(
        db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM history ${where}`, params)?.n ?? 0,
      )
      return { items, total }
    },
    async stats(filter, options = {}) {
      return computeStats(db, filter, options.bucketMs, options.tzOffsetHours ?? 0)
    },
    async *scan(filter, batchSize) {
      const { sql: where, params } = historyWhere(filter)
      const size = Math.max(1, Math.floor(batchSize))
      let cursor: { startTime: number; id: string } | null = null
      for (;;) {
        const rows: Row[] = cursor
          ? db.all<Row>(
              `SELECT ${RECORD_SELECT} FROM history
               ${andWhere(where, '(start_time < ? OR (start_time = ? AND id < ?))')}
               ORDER BY start_time DESC, id DESC LIMIT ?`,
              [...params, cursor.startTime, cursor.startTime, cursor.id, size],
            )
          : db.all<Row>(
              `SELECT ${RECORD_SELECT} FROM history ${where} ORDER BY start_time DESC, id DESC LIMIT ?`,
              [...params, size],
            )
        if (rows.length === 0) return
        const batch = rows.map(toRecord)
        const last = batch[batch.length - 1]!
        cursor = { startTime: last.startTime, id: last.id }
        yield batch
        if (rows.length < size) return
      }
    },
    async delete(id) {
      return db.run('DELETE FROM history WHERE id = ?', [id]).changes > 0
    },
    async deleteBefore(ts) {
      return db.run('DELETE FROM history WHERE start_time < ?', [ts]).changes
    },
    async trimToBytes(maxBytes) {
      return db.transaction(() => {
        const total = Number(
          db.get<{ b: number }>('SELECT bytes AS b FROM history_totals WHERE id = 0')?.b ?? 0,
        )
        let excess = total - Math.max(0, maxBytes)
        if (excess <= 0) return 0
        // Walk oldest first to find the last record to drop, then delete everything up to it.
        let cut: { start_time: number; id: string } | null = null
        let cursor: { start_time: number; id: string } | null = null
        while (excess > 0) {
          const rows: { start_time: number; id: string; bytes: number }[] = cursor
            ? db.all(
                `SELECT start_time, id, bytes FROM history
                 WHERE start_time > ? OR (start_time = ? AND id > ?)
                 ORDER BY start_time, id LIMIT 1000`,
                [cursor.start_time, cursor.start_time, cursor.id],
              )
            : db.all('SELECT start_time, id, bytes FROM history ORDER BY start_time, id LIMIT 1000')
          if (rows.length === 0) break
          for (const r of rows) {
            excess -= Number(r.bytes)
            cut = r
            if (excess <= 0) break
          }
          cursor = cut
        }
        if (!cut) return 0
        return db.run('DELETE FROM history WHERE start_time < ? OR (start_time = ? AND id <= ?)', [
          cut.start_time,
          cut.start_time,
          cut.id,
        ]).changes
      })
    },
    async size() {
      const row = db.get<{ n: number; b: number }>(
        'SELECT count AS n, bytes AS b FROM history_totals WHERE id = 0',
      )
      return { count: Number(row?.n ?? 0), bytes: Number(row?.b ?? 0) }
    },
  }
}
