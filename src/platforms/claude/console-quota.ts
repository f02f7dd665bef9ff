/**
 * @module
 * Daily quotas of Claude Console accounts (the seed's `dailyQuota`, USD per day, and
 * `quotaResetTime`, `HH:mm` at TIMEZONE_OFFSET). The quota day starts at the last reset time; its
 * cost is the account's hourly usage counters since then (so a reset time is honoured to the
 * hour), minus what was spent before an admin's "reset all usage". After each request of a
 * console account with a quota, the watcher reads that cost off the response path (once per
 * account per second at most) and, at or over the quota, keeps the account out of scheduling
 * until the next reset (`quotaStoppedUntil`, shared through storage) and sends `quota_exceeded`.
 */
import type { AccountService, PoolEntry } from '../../accounts/service.ts'
import type { Clock, Logger } from '../../core/ports.ts'
import type { RequestRecorder } from '../../relay/recorder.ts'
import { usagePeriods } from '../../usage/cost-caps.ts'
import type { UsageService } from '../../usage/service.ts'

const HOUR = 3_600_000
const DAY = 24 * HOUR

/** The quota settings of an account (`dailyQuota` 0 = none). */
export function quotaOf(entry: PoolEntry): { dailyQuota: number; quotaResetTime: string } {
  const o = entry.account.options
  const q = Number(o.dailyQuota ?? 0)
  const t = typeof o.quotaResetTime === 'string' ? o.quotaResetTime : ''
  return {
    dailyQuota: Number.isFinite(q) && q > 0 ? q : 0,
    quotaResetTime: /^([01]\d|2[0-3]):[0-5]\d$/.test(t) ? t : '00:00',
  }
}

/** Start of the quota day containing `now` (the last `HH:mm` at `tz`) and the next reset. */
export function quotaDay(
  now: number,
  resetTime: string,
  tz: number,
): { start: number; end: number } {
  const [h, m] = resetTime.split(':').map(Number) as [number, number]
  const off = tz * HOUR
  const local = now + off
  let start = Math.floor(local / DAY) * DAY + h * HOUR + m * 60_000
  if (start > local) start -= DAY
  return { start: start - off, end: start - off + DAY }
}

/** Options of {@link createConsoleQuota}. */
export interface ConsoleQuotaOptions {
  accounts: Pick<AccountService, 'patchState' | 'emit' | 'snapshot'>
  usage: Pick<UsageService, 'series' | 'flush'>
  clock: Clock
  logger: Logger
  tzOffsetHours: number
  /** Wait after a request before reading its cost (usage is written in batches). @default 1000 */
  delayMs?: number
}

/** The console quota watcher and its admin operations. */
export function createConsoleQuota(options: ConsoleQuotaOptions) {
  const { accounts, usage, clock, tzOffsetHours: tz } = options
  const pending = new Map<string, ReturnType<typeof setTimeout>>()

  /** Cost (nano-dollars) of the account's quota day so far, the admin's reset applied. */
  async function spentNanos(entry: PoolEntry, now: number): Promise<number> {
    const { quotaResetTime } = quotaOf(entry)
    const day = quotaDay(now, quotaResetTime, tz)
    const hours: string[] = []
    for (let t = day.start; t <= now; t += HOUR) hours.push(usagePeriods(t, tz).hour)
    const rows = await usage.series('account', entry.account.id, hours)
    let nanos = rows.reduce((s, c) => s + c.costNanos, 0)
    if (entry.state.quotaOffsetDay === day.start) nanos -= entry.state.quotaOffsetNanos
    return Math.max(0, nanos)
  }

  /** The seed's usage view of a console account. */
  async function usageOf(entry: PoolEntry) {
    const now = clock.now()
    const { dailyQuota, quotaResetTime } = quotaOf(entry)
    const day = quotaDay(now, quotaResetTime, tz)
    const spent = (await spentNanos(entry, now)) / 1e9
    return {
      accountId: entry.account.id,
      dailyUsage: Math.round(spent * 1e6) / 1e6,
      dailyQuota,
      remaining: dailyQuota > 0 ? Math.max(0, Math.round((dailyQuota - spent) * 1e6) / 1e6) : null,
      usagePercentage: dailyQuota > 0 ? Math.round((spent / dailyQuota) * 10_000) / 100 : 0,
      isExceeded: dailyQuota > 0 && spent >= dailyQuota,
      quotaResetTime,
      quotaDayStart: new Date(day.start).toISOString(),
      resetAt: new Date(day.end).toISOString(),
      stoppedUntil:
        entry.state.quotaStoppedUntil > now
          ? new Date(entry.state.quotaStoppedUntil).toISOString()
          : null,
    }
  }

  /** Checks one account now: stops it at its quota, lifts a stop of a past day. */
  async function check(entry: PoolEntry): Promise<void> {
    const { dailyQuota, quotaResetTime } = quotaOf(entry)
    const now = clock.now()
    if (dailyQuota === 0) {
      if (entry.state.quotaStoppedUntil > now)
        await accounts.patchState(entry, { quotaStoppedUntil: 0 })
      return
    }
    if (entry.state.quotaStoppedUntil > now) return
    const spent = await spentNanos(entry, now)
    if (spent < dailyQuota * 1e9) return
    const until = quotaDay(now, quotaResetTime, tz).end
    await accounts.patchState(entry, { quotaStoppedUntil: until })
    accounts.emit(
      'quota_exceeded',
      entry,
      `Daily quota of $${dailyQuota} used ($${(spent / 1e9).toFixed(4)}); not scheduled until ${new Date(until).toISOString()}`,
      until,
    )
  }

  const recorder: RequestRecorder = {
    record(o) {
      if (o.platform !== 'claude-console' || !o.accountId || pending.has(o.accountId)) return
      const id = o.accountId
      const timer = setTimeout(() => {
        pending.delete(id)
        void (async () => {
          const entry = (await accounts.snapshot()).find((e) => e.account.id === id)
          if (!entry || quotaOf(entry).dailyQuota === 0) return
          await usage.flush()
          await check(entry)
        })().catch((err) =>
          options.logger.warn('quota check failed', { accountId: id, error: err }),
        )
      }, options.delayMs ?? 1000)
      ;(timer as { unref?: () => void }).unref?.()
      pending.set(id, timer)
    },
  }

  /** The seed's "reset all usage": every console account's quota day starts over now. */
  async function resetAll(): Promise<number> {
    const now = clock.now()
    let n = 0
    for (const entry of await accounts.snapshot()) {
      if (entry.account.platform !== 'claude-console') continue
      const day = quotaDay(now, quotaOf(entry).quotaResetTime, tz)
      const before = entry.state.quotaOffsetDay === day.start ? entry.state.quotaOffsetNanos : 0
      const spent = await spentNanos(entry, now)
      await accounts.patchState(entry, {
        quotaOffsetNanos: before + spent,
        quotaOffsetDay: day.start,
        quotaStoppedUntil: 0,
      })
      n++
    }
    return n
  }

  return {
    recorder,
    usageOf,
    check,
    resetAll,
    stop() {
      for (const t of pending.values()) clearTimeout(t)
      pending.clear()
    },
  }
}

/** The console quota watcher's interface. */
export type ConsoleQuota = ReturnType<typeof createConsoleQuota>
