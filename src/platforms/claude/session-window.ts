/**
 * @module
 * The 5-hour session window of Claude subscription accounts. Every answer of an OAuth account
 * carries `anthropic-ratelimit-unified-*` headers: the 5-hour window's status (`allowed`,
 * `allowed_warning`, `rejected`), its reset (epoch seconds) and utilisation, and the 7-day
 * utilisation. The tracker keeps them per account (start, end, status, utilisations) and writes
 * only when something changed (a new window, a new status, utilisation moved by half a point), so
 * the usual answer costs a few header reads. Without the headers the window is estimated as the
 * seed does: five hours from the top of the hour of the first request.
 *
 * An account with `autoStopOnWarning` is not scheduled from a warning until its window ends; a
 * `session_warning` event is sent (at most CLAUDE_5H_WARNING_MAX_NOTIFICATIONS per window) and a
 * `session_reset` event when the stop ends (checked every minute by every instance; the instance
 * that claims the reset in the shared store, a lock named after the account and the window's end,
 * sends it, so instances sharing one Redis send it once).
 */
import type { AccountState } from '../../accounts/model.ts'
import type { AccountService, PoolEntry } from '../../accounts/service.ts'
import type { CoordRepository } from '../../coord/repository.ts'
import type { Clock, Logger } from '../../core/ports.ts'

const HOUR = 3_600_000
/** Length of a subscription session window. */
export const SESSION_WINDOW_MS = 5 * HOUR
const STATUSES = new Set(['allowed', 'allowed_warning', 'rejected'])
const H = 'anthropic-ratelimit-unified-'

/** The window fields a set of answer headers implies, or null when nothing changed. */
export function sessionPatch(
  state: AccountState,
  headers: Headers,
  now: number,
  options: { autoStop: boolean; maxWarnings: number },
): { patch: Partial<AccountState>; warned: boolean } | null {
  const patch: Partial<AccountState> = {}
  const resetS = Number(headers.get(`${H}5h-reset`) ?? Number.NaN)
  let start = state.sessionWindowStart
  let end = state.sessionWindowEnd
  if (Number.isFinite(resetS) && resetS > 0) {
    end = resetS * 1000
    start = end - SESSION_WINDOW_MS
  } else if (end <= now) {
    start = Math.floor(now / HOUR) * HOUR
    end = start + SESSION_WINDOW_MS
  }
  const newWindow = state.sessionWindowEnd <= now && end > now
  if (start !== state.sessionWindowStart || end !== state.sessionWindowEnd) {
    patch.sessionWindowStart = start
    patch.sessionWindowEnd = end
  }
  if (newWindow && state.sessionWindowEnd > 0) {
    if (state.sessionWindowStatus) patch.sessionWindowStatus = ''
    if (state.sessionWarnings) patch.sessionWarnings = 0
  }
  const status = headers.get(`${H}5h-status`)
  const current = patch.sessionWindowStatus ?? state.sessionWindowStatus
  if (status && STATUSES.has(status) && status !== current) patch.sessionWindowStatus = status
  const util = (
    name: string,
    was: number,
    field: 'fiveHourUtilization' | 'sevenDayUtilization',
  ) => {
    const v = Number(headers.get(`${H}${name}-utilization`) ?? Number.NaN)
    if (Number.isFinite(v) && Math.abs(v - was) >= 0.005) patch[field] = v
  }
  util('5h', state.fiveHourUtilization, 'fiveHourUtilization')
  util('7d', state.sevenDayUtilization, 'sevenDayUtilization')
  let warned = false
  const warnings = patch.sessionWarnings ?? state.sessionWarnings
  if (
    status === 'allowed_warning' &&
    options.autoStop &&
    state.sessionStoppedUntil <= now &&
    end > now
  ) {
    patch.sessionStoppedUntil = end
    if (warnings < options.maxWarnings) {
      patch.sessionWarnings = warnings + 1
      warned = true
    }
  }
  return Object.keys(patch).length ? { patch, warned } : null
}

/** Options of {@link createSessionTracker}. */
export interface SessionTrackerOptions {
  accounts: Pick<AccountService, 'patchState' | 'emit' | 'snapshot'>
  clock: Clock
  logger: Logger
  /** Warning notifications per window (CLAUDE_5H_WARNING_MAX_NOTIFICATIONS). */
  maxWarnings: number
  /** How often stopped accounts are checked for their reset (ms). @default 60000 */
  checkMs?: number
  /** Shared store: a window's reset and a subscription's expiry are announced once across instances. */
  coord?: Pick<CoordRepository, 'incrementTemp' | 'acquireLock'>
  /** How long before a subscription ends it is announced (ms). @default 3 days */
  expiryNoticeMs?: number
}

/** Tracks the session windows of OAuth accounts (the adapter's `observe`). */
export function createSessionTracker(options: SessionTrackerOptions) {
  const { accounts, clock } = options
  const instance = crypto.randomUUID()
  /** True on the one instance that claims announcing the end of `accountId`'s stop at `until`. */
  const claimReset = async (accountId: string, until: number) =>
    options.coord
      ? options.coord.acquireLock(
          `session-reset:${accountId}:${until}`,
          instance,
          SESSION_WINDOW_MS,
        )
      : true
  function observe(entry: PoolEntry, headers: Headers): void {
    if (entry.account.platform !== 'claude-oauth') return
    const now = clock.now()
    const found = sessionPatch(entry.state, headers, now, {
      autoStop: entry.account.options.autoStopOnWarning === true,
      maxWarnings: options.maxWarnings,
    })
    if (!found) return
    void accounts.patchState(entry, found.patch)
    if (found.warned)
      accounts.emit(
        'session_warning',
        entry,
        `The 5-hour window reports a warning; the account is not scheduled until ${new Date(
          found.patch.sessionStoppedUntil ?? entry.state.sessionStoppedUntil,
        ).toISOString()}`,
        found.patch.sessionStoppedUntil,
      )
  }
  /** Ends the stops whose window is over (and says so). */
  async function sweep(): Promise<void> {
    const now = clock.now()
    for (const entry of await accounts.snapshot()) {
      const until = entry.state.sessionStoppedUntil
      if (until === 0 || until > now) continue
      await accounts.patchState(entry, {
        sessionStoppedUntil: 0,
        sessionWindowStatus: '',
        sessionWarnings: 0,
      })
      if (await claimReset(entry.account.id, until))
        accounts.emit('session_reset', entry, 'The 5-hour window was reset; scheduling resumed')
    }
    await announceExpiries(now)
  }
  /** Sends `subscription_expiring` once per account and end date, in the days before it. */
  async function announceExpiries(now: number): Promise<void> {
    const notice = options.expiryNoticeMs ?? 3 * 86_400_000
    for (const entry of await accounts.snapshot()) {
      const ends = entry.account.options.subscriptionExpiresAt
      if (typeof ends !== 'string') continue
      const at = Date.parse(ends)
      if (!(at > now && at - now <= notice)) continue
      const first = options.coord
        ? (await options.coord.incrementTemp(
            `subscription-notice:${entry.account.id}:${at}`,
            notice + 86_400_000,
          )) === 1
        : true
      if (first)
        accounts.emit(
          'subscription_expiring',
          entry,
          `The subscription ends on ${new Date(at).toISOString()}`,
          at,
        )
    }
  }
  const timer = setInterval(
    () =>
      void sweep().catch((err) =>
        options.logger.warn('session window sweep failed', { error: err }),
      ),
    options.checkMs ?? 60_000,
  )
  ;(timer as { unref?: () => void }).unref?.()
  return { observe, sweep, stop: () => clearInterval(timer) }
}

/** The session tracker's interface. */
export type SessionTracker = ReturnType<typeof createSessionTracker>
