/**
 * @module
 * SQLite adapter of {@link UsageRepository}: one `usage_counters` row per (scope, id, model,
 * period) with one INTEGER column per counter field. A row whose `expires_at` has passed reads as
 * missing and is restarted by the next increment, exactly like an expired Redis hash.
 */
import type { Clock } from '../../core/ports.ts'
import {
  COUNTER_FIELDS,
  type CounterRef,
  type CounterScope,
  type Counters,
  emptyCounters,
} from '../../usage/model.ts'
import type { UsageRepository } from '../../usage/repository.ts'
import type { CostMirror } from './cost-mirror.ts'
import type { SqlDatabase } from './driver.ts'
import { snakeCase } from './migrations.ts'

const COLUMNS = COUNTER_FIELDS.map(snakeCase)
const SELECT_COLUMNS = COLUMNS.join(', ')
const LIVE = '(expires_at IS NULL OR expires_at > ?)'

const INCREMENT_SQL = `
INSERT INTO usage_counters (scope, id, model, period, ${SELECT_COLUMNS}, expires_at)
VALUES (?, ?, ?, ?, ${COLUMNS.map(() => '?').join(', ')}, ?)
ON CONFLICT (scope, id, model, period) DO UPDATE SET
${COLUMNS.map(
  (c) =>
    `  ${c} = CASE WHEN expires_at IS NOT NULL AND expires_at <= ? THEN excluded.${c} ELSE ${c} + excluded.${c} END`,
).join(',\n')},
  expires_at = excluded.expires_at`

function toCounters(row: Record<string, unknown> | undefined): Counters {
  const c = emptyCounters()
  if (!row) return c
  COUNTER_FIELDS.forEach((f, i) => {
    c[f] = Number(row[COLUMNS[i]!] ?? 0)
  })
  return c
}

/** Scopes whose rows are per model within a key or an account. */
function isModelScope(scope: string): boolean {
  return scope === 'key-model' || scope === 'account-model'
}

/** Live value of one counter at `now` (zeros when missing or expired); used by admission too. */
export function readCounter(db: SqlDatabase, ref: CounterRef, now: number): Counters {
  return toCounters(
    db.get(
      `SELECT ${SELECT_COLUMNS} FROM usage_counters
       WHERE scope = ? AND id = ? AND model = ? AND period = ? AND ${LIVE}`,
      [ref.scope, ref.id, ref.model ?? '', ref.period, now],
    ),
  )
}

/** A row of `exportAll`'s query. */
type ExportRow = Record<string, unknown> & {
  scope: string
  id: string
  model: string
  period: string
  expires_at: number | null
}

/** Creates the usage repository over `db`; `clock` decides which counters have expired. */
export function createSqliteUsageRepo(
  db: SqlDatabase,
  clock: Clock,
  mirror?: CostMirror,
): UsageRepository {
  return {
    async increment(increments) {
      if (increments.length === 0) return
      const now = clock.now()
      db.transaction(() => {
        for (const inc of increments) {
          const values = COUNTER_FIELDS.map((f) => Math.trunc(inc.values[f] ?? 0))
          db.run(INCREMENT_SQL, [
            inc.scope,
            inc.id,
            inc.model ?? '',
            inc.period,
            ...values,
            inc.expiresAt ?? null,
            ...COLUMNS.map(() => now),
          ])
        }
      })
      // Only after the commit: a failed write must not count in admission.
      if (mirror)
        for (const inc of increments)
          if (inc.scope === 'key' && !inc.model)
            mirror.add(
              inc.id,
              inc.period,
              Math.trunc(inc.values.costNanos ?? 0),
              inc.expiresAt ?? null,
              now,
            )
    },
    async get(refs) {
      const now = clock.now()
      return refs.map((ref) => readCounter(db, ref, now))
    },
    async sumField(scope, periods, field) {
      const out = new Map<string, number>()
      if (periods.length === 0) return out
      const column = COLUMNS[COUNTER_FIELDS.indexOf(field)]
      if (!column) throw new Error(`Cannot sum unknown counter field "${field}"`)
      const rows = db.all<{ id: string; v: number }>(
        `SELECT id, SUM(${column}) AS v FROM usage_counters
         WHERE scope = ? AND model = '' AND period IN (${periods.map(() => '?').join(', ')}) AND ${LIVE}
         GROUP BY id`,
        [scope, ...periods, clock.now()],
      )
      for (const r of rows) out.set(r.id, Number(r.v))
      return out
    },
    async list(scope, period, id) {
      const params =
        id === undefined ? [scope, period, clock.now()] : [scope, period, id, clock.now()]
      const rows = db.all<Record<string, unknown> & { id: string; model: string }>(
        `SELECT id, model, ${SELECT_COLUMNS} FROM usage_counters
         WHERE scope = ? AND period = ?${id === undefined ? '' : ' AND id = ?'} AND ${LIVE}
         ORDER BY id, model`,
        params,
      )
      const withModel = isModelScope(scope)
      return rows.map((r) =>
        withModel
          ? { id: r.id, model: r.model, counters: toCounters(r) }
          : { id: r.id, counters: toCounters(r) },
      )
    },
    async *exportAll(batchSize) {
      let after: [string, string, string, string] | null = null
      for (;;) {
        const now = clock.now()
        const rows: ExportRow[] = db.all<ExportRow>(
          `SELECT scope, id, model, period, expires_at, ${SELECT_COLUMNS} FROM usage_counters
           WHERE ${LIVE}${after ? ' AND (scope, id, model, period) > (?, ?, ?, ?)' : ''}
           ORDER BY scope, id, model, period LIMIT ?`,
          after ? [now, ...after, Math.max(1, batchSize)] : [now, Math.max(1, batchSize)],
        )
        if (rows.length === 0) return
        yield rows.map((r) => ({
          scope: r.scope as CounterScope,
          id: r.id,
          ...(isModelScope(r.scope) ? { model: r.model } : {}),
          period: r.period,
          counters: toCounters(r),
          expiresAt: r.expires_at == null ? null : Number(r.expires_at),
        }))
        const last: ExportRow = rows.at(-1)!
        after = [last.scope, last.id, last.model, last.period]
      }
    },
    async purgeSubject(scope, id) {
      mirror?.clear()
      return db.run('DELETE FROM usage_counters WHERE scope IN (?, ?) AND id = ?', [
        scope,
        `${scope}-model`,
        id,
      ]).changes
    },
  }
}

/** Deletes counters expired at `now`; returns how many. */
export function sweepUsage(db: SqlDatabase, now: number): number {
  return db.run('DELETE FROM usage_counters WHERE expires_at IS NOT NULL AND expires_at <= ?', [
    now,
  ]).changes
}
