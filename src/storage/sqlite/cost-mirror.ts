/**
 * @module
 * In-process mirror of the per-key cost counters that admission checks (daily, total, weekly
 * Opus). SQLite mode is one process, so every increment passes through this process's usage
 * repository, which adds it here; admission then reads a cap without a query. Entries are
 * reloaded from the table after {@link MIRROR_TTL_MS} (30 s, like the key cache), so a write from
 * outside the process (the importer run against a live database) shows up within that time.
 */
import type { SqlDatabase } from './driver.ts'

/** How long a mirrored value is trusted before it is read from the table again. */
export const MIRROR_TTL_MS = 30_000
const MAX_ENTRIES = 100_000

interface Entry {
  costNanos: number
  /** The counter's own expiry (null = never); past it the counter reads as zero. */
  expiresAt: number | null
  loadedAt: number
}

/** The mirror shared by the SQLite usage and limits repositories of one connection. */
export interface CostMirror {
  /** Live cost of `keyId` in `period` (nano-dollars) at `now`. */
  read(keyId: string, period: string, now: number): number
  /** Adds an increment that was just written to the table (with the expiry it was given). */
  add(keyId: string, period: string, costNanos: number, expiresAt: number | null, now: number): void
  /** Forgets everything (after deletes and sweeps). */
  clear(): void
}

/** Creates a mirror over `db`'s `usage_counters`. */
export function createCostMirror(db: SqlDatabase): CostMirror {
  const entries = new Map<string, Entry>()
  return {
    read(keyId, period, now) {
      const id = `${keyId}\u0000${period}`
      const hit = entries.get(id)
      if (hit && now - hit.loadedAt < MIRROR_TTL_MS && now >= hit.loadedAt)
        return hit.expiresAt !== null && hit.expiresAt <= now ? 0 : hit.costNanos
      if (entries.size >= MAX_ENTRIES) entries.clear()
      const row = db.get<{ cost_nanos: number; expires_at: number | null }>(
        `SELECT cost_nanos, expires_at FROM usage_counters
         WHERE scope = 'key' AND id = ? AND model = '' AND period = ?`,
        [keyId, period],
      )
      const expiresAt = row?.expires_at == null ? null : Number(row.expires_at)
      const costNanos = Number(row?.cost_nanos ?? 0)
      entries.set(id, { costNanos, expiresAt, loadedAt: now })
      return expiresAt !== null && expiresAt <= now ? 0 : costNanos
    },
    add(keyId, period, costNanos, expiresAt, now) {
      const hit = entries.get(`${keyId}\u0000${period}`)
      if (!hit) return
      // Mirrors the increment SQL: an expired counter restarts with this increment.
      if (hit.expiresAt !== null && hit.expiresAt <= now) hit.costNanos = costNanos
      else hit.costNanos += costNanos
      hit.expiresAt = expiresAt
    },
    clear() {
      entries.clear()
    },
  }
}
