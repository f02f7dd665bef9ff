/**
 * @module
 * SQLite-mode adapter of {@link LimitsRepository}. SQLite mode is one process, and admission
 * state (leases, rate windows, sticky sessions) never had to outlive it, so it lives in plain
 * maps: an admission is a few map operations in one synchronous call, which is atomic in a
 * single-threaded runtime exactly as the Redis Lua script is. Only the cost caps read stored
 * counters, through the in-process {@link CostMirror}. Expired entries read as missing, so
 * results match Redis even before the sweep; `admit` writes nothing when it rejects.
 */
import type { Clock } from '../../core/ports.ts'
import type { AdmitResult, LimitsRepository, WindowState } from '../../limits/repository.ts'
import type { CostMirror } from './cost-mirror.ts'

interface Window extends WindowState {
  expiresAt: number
  /** Ids of the last usage batches this window took (see addWindowUsage). */
  batches?: string[]
}
interface Sticky {
  accountId: string
  expiresAt: number
}

/** The maps behind one limits repository (exposed for the periodic sweep). */
export interface LimitsState {
  /** `key:<id>` / `account:<id>` → lease id → expiry. */
  leases: Map<string, LeaseSet>
  windows: Map<string, Window>
  /** `<keyId>\0<sessionHash>` → account. */
  sticky: Map<string, Sticky>
}

/**
 * One owner's leases (lease id → expiry) and a lower bound of their earliest expiry: until then
 * every lease is live, so counting and adding cost O(1) however many requests a key has in
 * flight (a scan per admission cost O(leases), 2,000 steps for a key with 1,000 open streams).
 */
export class LeaseSet extends Map<string, number> {
  earliest = Number.POSITIVE_INFINITY
}

/** Drops the expired leases of `owned` and recomputes its earliest expiry. */
function prune(owned: LeaseSet, now: number): void {
  let earliest = Number.POSITIVE_INFINITY
  for (const [id, at] of owned) {
    if (at <= now) owned.delete(id)
    else if (at < earliest) earliest = at
  }
  owned.earliest = earliest
}

function liveCount(owned: LeaseSet | undefined, now: number): number {
  if (!owned) return 0
  if (now >= owned.earliest) prune(owned, now)
  return owned.size
}

function addLease(
  state: LimitsState,
  owner: string,
  lease: string,
  expiresAt: number,
  now: number,
): void {
  let owned = state.leases.get(owner)
  if (!owned) {
    owned = new LeaseSet()
    state.leases.set(owner, owned)
  } else if (now >= owned.earliest) {
    prune(owned, now)
  }
  owned.set(lease, expiresAt)
  if (expiresAt < owned.earliest) owned.earliest = expiresAt
}

function dropLease(state: LimitsState, owner: string, lease: string): boolean {
  const owned = state.leases.get(owner)
  if (!owned?.delete(lease)) return false
  if (owned.size === 0) state.leases.delete(owner)
  return true
}

function liveWindow(state: LimitsState, keyId: string, lengthMs: number, now: number) {
  const w = state.windows.get(keyId)
  return w && now - w.start < lengthMs && w.expiresAt > now ? w : null
}

/** The `sticky` map key of a key's session. */
const stickyId = (keyId: string, sessionHash: string) => `${keyId}\u0000${sessionHash}`

function readSticky(state: LimitsState, id: string, now: number): string | null {
  const s = state.sticky.get(id)
  return s && s.expiresAt > now ? s.accountId : null
}

/** Creates the limits repository; `costs` serves the cost caps, `clock` methods without a `now`. */
export function createSqliteLimitsRepo(
  costs: CostMirror,
  clock: Clock,
  state: LimitsState = { leases: new Map(), windows: new Map(), sticky: new Map() },
): LimitsRepository {
  return {
    async admit(req): Promise<AdmitResult> {
      const { keyId, now } = req
      const leaseOwner = `key:${keyId}`
      let concurrency = 0
      if (req.concurrency) {
        const current = liveCount(state.leases.get(leaseOwner), now)
        const { limit } = req.concurrency
        if (limit > 0 && current >= limit) {
          return { ok: false, reason: 'concurrency', limit, current, resetAt: null }
        }
        concurrency = current + 1
      }

      let window: WindowState | null = null
      if (req.window) {
        const { lengthMs, maxRequests, maxTokens, maxCostNanos } = req.window
        window = liveWindow(state, keyId, lengthMs, now) ?? {
          start: now,
          requests: 0,
          tokens: 0,
          costNanos: 0,
        }
        const resetAt = window.start + lengthMs
        if (maxRequests > 0 && window.requests >= maxRequests)
          return {
            ok: false,
            reason: 'window-requests',
            limit: maxRequests,
            current: window.requests,
            resetAt,
          }
        if (maxTokens > 0 && window.tokens >= maxTokens)
          return {
            ok: false,
            reason: 'window-tokens',
            limit: maxTokens,
            current: window.tokens,
            resetAt,
          }
        if (maxCostNanos > 0 && window.costNanos >= maxCostNanos)
          return {
            ok: false,
            reason: 'window-cost',
            limit: maxCostNanos,
            current: window.costNanos,
            resetAt,
          }
      }

      for (const cap of req.costCaps ?? []) {
        if (cap.limitNanos <= 0) continue
        const current = costs.read(keyId, cap.period, now)
        if (current >= cap.limitNanos)
          return {
            ok: false,
            reason: cap.name,
            limit: cap.limitNanos,
            current,
            resetAt: cap.resetAt,
          }
      }

      if (req.window && window)
        state.windows.set(keyId, {
          start: window.start,
          requests: window.requests + 1,
          tokens: window.tokens,
          costNanos: window.costNanos,
          expiresAt: window.start + req.window.lengthMs,
          batches: (window as Window).batches,
        })
      if (req.concurrency)
        addLease(state, leaseOwner, req.leaseId, now + req.concurrency.leaseMs, now)
      return {
        ok: true,
        stickyAccountId:
          req.sessionHash === undefined
            ? null
            : readSticky(state, stickyId(keyId, req.sessionHash), now),
        windowStart: window?.start ?? 0,
        concurrency,
      }
    },

    async release(keyId, leaseId) {
      return dropLease(state, `key:${keyId}`, leaseId)
    },
    async renew(leases, leaseMs, now) {
      for (const l of leases) {
        const owned = state.leases.get(`key:${l.keyId}`)
        const at = owned?.get(l.leaseId)
        if (owned && at !== undefined && at > now) owned.set(l.leaseId, now + leaseMs)
      }
    },
    async countLeases(keyId, now) {
      return liveCount(state.leases.get(`key:${keyId}`), now)
    },
    async addWindowUsage(items, batchId) {
      // Matching `start` is what makes the window "still the current one": a new window always
      // has a later start. Usage added to an ended window is never read.
      for (const it of items) {
        const w = state.windows.get(it.keyId)
        if (!w || w.start !== it.windowStart) continue
        if (batchId) {
          if (w.batches?.includes(batchId)) continue
          w.batches = [batchId, ...(w.batches ?? [])].slice(0, 8)
        }
        w.tokens += Math.trunc(it.tokens)
        w.costNanos += Math.trunc(it.costNanos)
      }
    },
    async getWindow(keyId, lengthMs, now) {
      const w = liveWindow(state, keyId, lengthMs, now)
      return w
        ? { start: w.start, requests: w.requests, tokens: w.tokens, costNanos: w.costNanos }
        : null
    },

    async acquireAccountLease(accountId, leaseId, limit, leaseMs, now) {
      const owner = `account:${accountId}`
      if (limit > 0 && liveCount(state.leases.get(owner), now) >= limit) return false
      addLease(state, owner, leaseId, now + leaseMs, now)
      return true
    },
    async releaseAccountLease(accountId, leaseId) {
      return dropLease(state, `account:${accountId}`, leaseId)
    },
    async countAccountLeases(accountId, now) {
      return liveCount(state.leases.get(`account:${accountId}`), now)
    },

    async claimSticky(keyId, sessionHash, accountId, ttlMs) {
      const id = stickyId(keyId, sessionHash)
      const now = clock.now()
      const owner = readSticky(state, id, now)
      if (owner !== null) return owner
      state.sticky.set(id, { accountId, expiresAt: now + ttlMs })
      return accountId
    },
    async setSticky(keyId, sessionHash, accountId, ttlMs) {
      state.sticky.set(stickyId(keyId, sessionHash), {
        accountId,
        expiresAt: clock.now() + ttlMs,
      })
    },
    async getSticky(keyId, sessionHash) {
      return readSticky(state, stickyId(keyId, sessionHash), clock.now())
    },
    async deleteSticky(keyId, sessionHash) {
      state.sticky.delete(stickyId(keyId, sessionHash))
    },
  }
}

/** Deletes leases, windows and sticky mappings expired at `now`; returns how many. */
export function sweepLimits(state: LimitsState, now: number): number {
  let n = 0
  for (const [owner, owned] of state.leases) {
    for (const [id, at] of owned)
      if (at <= now) {
        owned.delete(id)
        n++
      }
    if (owned.size === 0) state.leases.delete(owner)
  }
  for (const [id, w] of state.windows)
    if (w.expiresAt <= now) {
      state.windows.delete(id)
      n++
    }
  for (const [id, s] of state.sticky)
    if (s.expiresAt <= now) {
      state.sticky.delete(id)
      n++
    }
  return n
}
