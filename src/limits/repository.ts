/**
 * @module
 * Storage port for the per-request admission check (limits, concurrency lease, sticky session),
 * done in one atomic round trip: one Lua script on Redis, one transaction on SQLite.
 */

/** A spending cap checked against a key counter's `costNanos` for one period. */
export interface CostCap {
  /** Which cap this is, echoed back on rejection. */
  name: 'daily' | 'total' | 'weekly-opus'
  /** The key-scope usage period holding the spend (e.g. `d:2026-11-26`, `total`, `opus-w:2026-W48`). */
  period: string
  limitNanos: number
  /** When the cap resets (epoch ms), echoed back on rejection; null = never. */
  resetAt: number | null
}

/** Input of {@link LimitsRepository.admit}. */
export interface AdmitRequest {
  keyId: string
  /** Unique per request; the concurrency lease member. */
  leaseId: string
  now: number
  /** Checked first: leases alive at `now` (score > now) must be < limit. */
  concurrency?: { limit: number; leaseMs: number }
  /** Fixed window starting at the first request after the previous window ended. */
  window?: { lengthMs: number; maxRequests: number; maxTokens: number; maxCostNanos: number }
  /** Checked in order after the window. */
  costCaps?: CostCap[]
  /** Looked up (read only) when given. */
  sessionHash?: string
}

/** Why a request was refused. */
export type AdmitRejection =
  | 'concurrency'
  | 'window-requests'
  | 'window-tokens'
  | 'window-cost'
  | 'daily'
  | 'total'
  | 'weekly-opus'

/** Result of {@link LimitsRepository.admit}. Nothing is written when `ok` is false. */
export type AdmitResult =
  | {
      ok: true
      /** Account the session is pinned to, or null. */
      stickyAccountId: string | null
      /** Start of the current rate window (epoch ms), 0 when no window. */
      windowStart: number
      /** Leases alive including this one, 0 when no concurrency limit. */
      concurrency: number
    }
  | {
      ok: false
      reason: AdmitRejection
      limit: number
      current: number
      /** Epoch ms when the limit resets, or null when it never does. */
      resetAt: number | null
    }

/** Snapshot of a key's rate window. */
export interface WindowState {
  start: number
  requests: number
  tokens: number
  costNanos: number
}

/** Persistence of admission state: leases, rate windows and sticky sessions. */
export interface LimitsRepository {
  /**
   * Atomically: checks concurrency, the rate window and cost caps (in that order); if all pass,
   * counts the request in the window and adds the lease; reads the sticky mapping.
   */
  admit(req: AdmitRequest): Promise<AdmitResult>
  /** Removes a key lease; true when it was present. */
  release(keyId: string, leaseId: string): Promise<boolean>
  /** Pushes the expiry of live leases to `now + leaseMs`. */
  renew(leases: { keyId: string; leaseId: string }[], leaseMs: number, now: number): Promise<void>
  /** Leases of a key alive at `now`. */
  countLeases(keyId: string, now: number): Promise<number>
  /**
   * Adds tokens and cost of finished requests to their key's window, but only while the window
   * that admitted them (`windowStart`) is still the current one. With a `batchId`, a window that
   * already took that batch (a retry after a lost reply) is left alone.
   */
  addWindowUsage(
    items: { keyId: string; windowStart: number; tokens: number; costNanos: number }[],
    batchId?: string,
  ): Promise<void>
  /** The key's current window, or null when none is open at `now`. */
  getWindow(keyId: string, lengthMs: number, now: number): Promise<WindowState | null>

  /** Acquires an account lease if fewer than `limit` are alive; true on success. */
  acquireAccountLease(
    accountId: string,
    leaseId: string,
    limit: number,
    leaseMs: number,
    now: number,
  ): Promise<boolean>
  releaseAccountLease(accountId: string, leaseId: string): Promise<boolean>
  countAccountLeases(accountId: string, now: number): Promise<number>

  /**
   * Pins a session to `accountId` for `ttlMs` unless it is pinned already (atomically: of two
   * instances claiming one new session at once, one wins). Returns the account it is pinned to.
   */
  claimSticky(keyId: string, sessionHash: string, accountId: string, ttlMs: number): Promise<string>
  /** Pins a session of a key to an account for `ttlMs` (replacing any pin). */
  setSticky(keyId: string, sessionHash: string, accountId: string, ttlMs: number): Promise<void>
  getSticky(keyId: string, sessionHash: string): Promise<string | null>
  deleteSticky(keyId: string, sessionHash: string): Promise<void>
}
