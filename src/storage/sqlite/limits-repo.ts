/**
 * @module
 * SQLite adapter of {@link LimitsRepository}. Leases, rate windows and sticky sessions are rows
 * with an `expires_at`; reads ignore expired rows, so results match Redis even before the sweep.
 * `admit` does every check and write in one BEGIN IMMEDIATE transaction and writes nothing when
 * it rejects.
 */
import type { Clock } from '../../core/ports.ts'
import type { AdmitResult, LimitsRepository, WindowState } from '../../limits/repository.ts'
import type { SqlDatabase } from './driver.ts'
import { readCounter } from './usage-repo.ts'

interface WindowRow {
  start: number
  requests: number
  tokens: number
  cost_nanos: number
  expires_at: number
}

function countLive(db: SqlDatabase, scope: 'key' | 'account', owner: string, now: number): number {
  const row = db.get<{ n: number }>(
    'SELECT COUNT(*) AS n FROM live.leases WHERE scope = ? AND owner = ? AND expires_at > ?',
    [scope, owner, now],
  )
  return Number(row?.n ?? 0)
}

function addLease(
  db: SqlDatabase,
  scope: 'key' | 'account',
  owner: string,
  lease: string,
  expiresAt: number,
  now: number,
): void {
  // Dropping the owner's expired leases keeps the per-owner scan short between sweeps.
  db.run('DELETE FROM live.leases WHERE scope = ? AND owner = ? AND expires_at <= ?', [
    scope,
    owner,
    now,
  ])
  db.run(
    `INSERT INTO live.leases (scope, owner, lease, expires_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (scope, owner, lease) DO UPDATE SET expires_at = excluded.expires_at`,
    [scope, owner, lease, expiresAt],
  )
}

function readSticky(
  db: SqlDatabase,
  keyId: string,
  sessionHash: string,
  now: number,
): string | null {
  const row = db.get<{ account_id: string }>(
    'SELECT account_id FROM live.sticky WHERE key_id = ? AND session_hash = ? AND expires_at > ?',
    [keyId, sessionHash, now],
  )
  return row?.account_id ?? null
}

function toWindow(row: WindowRow): WindowState {
  return {
    start: Number(row.start),
    requests: Number(row.requests),
    tokens: Number(row.tokens),
    costNanos: Number(row.cost_nanos),
  }
}

/** Creates the limits repository over `db`; `clock` serves the methods without a `now`. */
export function createSqliteLimitsRepo(db: SqlDatabase, clock: Clock): LimitsRepository {
  return {
    async admit(req) {
      const { keyId, now } = req
      return db.transaction((): AdmitResult => {
        let concurrency = 0
        if (req.concurrency) {
          const current = countLive(db, 'key', keyId, now)
          const { limit } = req.concurrency
          if (limit > 0 && current >= limit) {
            return { ok: false, reason: 'concurrency', limit, current, resetAt: null }
          }
          concurrency = current + 1
        }

        let window: WindowState | null = null
        if (req.window) {
          const { lengthMs, maxRequests, maxTokens, maxCostNanos } = req.window
          const row = db.get<WindowRow>('SELECT * FROM live.rate_windows WHERE key_id = ?', [keyId])
          window =
            row && now - Number(row.start) < lengthMs
              ? toWindow(row)
              : { start: now, requests: 0, tokens: 0, costNanos: 0 }
          const resetAt = window.start + lengthMs
          if (maxRequests > 0 && window.requests >= maxRequests) {
            return {
              ok: false,
              reason: 'window-requests',
              limit: maxRequests,
              current: window.requests,
              resetAt,
            }
          }
          if (maxTokens > 0 && window.tokens >= maxTokens) {
            return {
              ok: false,
              reason: 'window-tokens',
              limit: maxTokens,
              current: window.tokens,
              resetAt,
            }
          }
          if (maxCostNanos > 0 && window.costNanos >= maxCostNanos) {
            return {
              ok: false,
              reason: 'window-cost',
              limit: maxCostNanos,
              current: window.costNanos,
              resetAt,
            }
          }
        }

        for (const cap of req.costCaps ?? []) {
          if (cap.limitNanos <= 0) continue
          const current = readCounter(
            db,
            { scope: 'key', id: keyId, period: cap.period },
            now,
          ).costNanos
          if (current >= cap.limitNanos) {
            return {
              ok: false,
              reason: cap.name,
              limit: cap.limitNanos,
              current,
              resetAt: cap.resetAt,
            }
          }
        }

        if (req.window && window) {
          db.run(
            `INSERT INTO live.rate_windows (key_id, start, requests, tokens, cost_nanos, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (key_id) DO UPDATE SET start = excluded.start, requests = excluded.requests,
               tokens = excluded.tokens, cost_nanos = excluded.cost_nanos, expires_at = excluded.expires_at`,
            [
              keyId,
              window.start,
              window.requests + 1,
              window.tokens,
              window.costNanos,
              window.start + req.window.lengthMs,
            ],
          )
        }
        if (req.concurrency) {
          addLease(db, 'key', keyId, req.leaseId, now + req.concurrency.leaseMs, now)
        }
        return {
          ok: true,
          stickyAccountId:
            req.sessionHash === undefined ? null : readSticky(db, keyId, req.sessionHash, now),
          windowStart: window?.start ?? 0,
          concurrency,
        }
      }, 'deferred')
    },

    async release(keyId, leaseId) {
      return (
        db.run("DELETE FROM live.leases WHERE scope = 'key' AND owner = ? AND lease = ?", [
          keyId,
          leaseId,
        ]).changes > 0
      )
    },
    async renew(leases, leaseMs, now) {
      if (leases.length === 0) return
      db.transaction(() => {
        for (const l of leases) {
          db.run(
            "UPDATE live.leases SET expires_at = ? WHERE scope = 'key' AND owner = ? AND lease = ? AND expires_at > ?",
            [now + leaseMs, l.keyId, l.leaseId, now],
          )
        }
      }, 'deferred')
    },
    async countLeases(keyId, now) {
      return countLive(db, 'key', keyId, now)
    },
    async addWindowUsage(items) {
      if (items.length === 0) return
      // Matching `start` is what makes the window "still the current one": a new window always
      // has a later start. Usage added to an ended window is never read (admit and getWindow
      // treat it as closed), so no clock is needed here.
      db.transaction(() => {
        for (const it of items) {
          db.run(
            `UPDATE live.rate_windows SET tokens = tokens + ?, cost_nanos = cost_nanos + ?
             WHERE key_id = ? AND start = ?`,
            [Math.trunc(it.tokens), Math.trunc(it.costNanos), it.keyId, it.windowStart],
          )
        }
      }, 'deferred')
    },
    async getWindow(keyId, lengthMs, now) {
      const row = db.get<WindowRow>('SELECT * FROM live.rate_windows WHERE key_id = ?', [keyId])
      return row && now - Number(row.start) < lengthMs ? toWindow(row) : null
    },

    async acquireAccountLease(accountId, leaseId, limit, leaseMs, now) {
      return db.transaction(() => {
        if (limit > 0 && countLive(db, 'account', accountId, now) >= limit) return false
        addLease(db, 'account', accountId, leaseId, now + leaseMs, now)
        return true
      }, 'deferred')
    },
    async releaseAccountLease(accountId, leaseId) {
      return (
        db.run("DELETE FROM live.leases WHERE scope = 'account' AND owner = ? AND lease = ?", [
          accountId,
          leaseId,
        ]).changes > 0
      )
    },
    async countAccountLeases(accountId, now) {
      return countLive(db, 'account', accountId, now)
    },

    async setSticky(keyId, sessionHash, accountId, ttlMs) {
      db.run(
        `INSERT INTO live.sticky (key_id, session_hash, account_id, expires_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key_id, session_hash) DO UPDATE SET
           account_id = excluded.account_id, expires_at = excluded.expires_at`,
        [keyId, sessionHash, accountId, clock.now() + ttlMs],
      )
    },
    async getSticky(keyId, sessionHash) {
      return readSticky(db, keyId, sessionHash, clock.now())
    },
    async deleteSticky(keyId, sessionHash) {
      db.run('DELETE FROM live.sticky WHERE key_id = ? AND session_hash = ?', [keyId, sessionHash])
    },
  }
}

/** Deletes leases, windows and sticky mappings expired at `now`; returns how many. */
export function sweepLimits(db: SqlDatabase, now: number): number {
  return (
    db.run('DELETE FROM live.leases WHERE expires_at <= ?', [now]).changes +
    db.run('DELETE FROM live.rate_windows WHERE expires_at <= ?', [now]).changes +
    db.run('DELETE FROM live.sticky WHERE expires_at <= ?', [now]).changes
  )
}
