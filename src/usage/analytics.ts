/**
 * @module
 * Dashboard analytics, all computed from usage counters (never by scanning history): the overview
 * (keys, accounts by health, today's and lifetime usage, RPM/TPM), usage trends by hour or day
 * over a range, per-model statistics, the top N keys or accounts with their series, one account's
 * or key's usage. Ranges come from the admin's query as the seed's UI sends it (strings).
 */
import { type Static, Type as T } from '@sinclair/typebox'
import { type HealthBucket, healthBucket } from '../accounts/health.ts'
import type { AccountService } from '../accounts/service.ts'
import { InvalidRequestError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import type { KeyService } from '../keys/service.ts'
import { usagePeriods } from './cost-caps.ts'
import { type CounterField, emptyCounters, TOKEN_FIELDS } from './model.ts'
import { allTokens, periodRange, type UsageService } from './service.ts'
import { TrendPoint, trendPoint, UsageView, usageView } from './views.ts'

/** What the analytics need. */
export interface AnalyticsDeps {
  keys: KeyService
  accounts: AccountService
  usage: UsageService
  clock: Clock
  /** The zone of days (hours east of UTC). */
  timezoneOffset: number
}

/** A range query: `granularity` hour|day, `startDate`/`endDate` (or `from`/`to`) or `days`. */
export type RangeQuery = Partial<
  Record<'granularity' | 'days' | 'startDate' | 'endDate' | 'from' | 'to', string>
>

/** A top-N query: a range, `topN` (or `limit`) and the `metric` ranked by. */
export type TopQuery = RangeQuery & Partial<Record<'topN' | 'limit' | 'metric', string>>

const DAY = 86_400_000

/** Dashboard count of each health bucket; accounts in `error` need an admin, like paused ones. */
const DASHBOARD_BUCKET = {
  available: 'normal',
  unauthorized: 'unauthorized',
  blocked: 'blocked',
  error: 'paused',
  rate_limited: 'rateLimited',
  overloaded: 'overloaded',
  cooling_down: 'coolingDown',
  paused: 'paused',
} as const satisfies Record<HealthBucket, string>

/** Accounts counted by health. */
const HealthCounts = T.Object({
  total: T.Integer(),
  normal: T.Integer(),
  rateLimited: T.Integer(),
  overloaded: T.Integer(),
  coolingDown: T.Integer(),
  unauthorized: T.Integer(),
  blocked: T.Integer(),
  paused: T.Integer(),
})

/** Requests and tokens per minute over a sliding window. */
export const Realtime = T.Object({
  rpm: T.Number(),
  tpm: T.Number(),
  windowMinutes: T.Number(),
})

/** The dashboard's overview. */
export const Dashboard = T.Object({
  overview: T.Object({
    totalApiKeys: T.Integer(),
    activeApiKeys: T.Integer(),
    accounts: T.Composite([
      HealthCounts,
      T.Object({ byPlatform: T.Record(T.String(), HealthCounts) }),
    ]),
    lifetime: UsageView,
  }),
  today: UsageView,
  realtimeMetrics: Realtime,
  systemTimezone: T.Number(),
  generatedAt: T.String(),
})
export type Dashboard = Static<typeof Dashboard>

const Granularity = T.Union([T.Literal('hour'), T.Literal('day')])

/** A usage series. */
export const Trend = T.Object({ granularity: Granularity, series: T.Array(TrendPoint) })
export type Trend = Static<typeof Trend>

/** One subject of a top-N trend (key or account). */
export const TopTrendItem = T.Object({
  id: T.String(),
  name: T.String(),
  total: UsageView,
  series: T.Array(TrendPoint),
})
export type TopTrendItem = Static<typeof TopTrendItem>

/** The top N keys or accounts of a range. */
export const TopTrend = T.Object({
  granularity: Granularity,
  metric: T.Union([T.Literal('cost'), T.Literal('requests'), T.Literal('tokens')]),
  from: T.String(),
  to: T.String(),
  items: T.Array(TopTrendItem),
})
export type TopTrend = Static<typeof TopTrend>

/** One account's usage: totals and a series. */
export const AccountUsageStats = T.Object({
  total: UsageView,
  today: UsageView,
  month: UsageView,
  series: T.Array(TrendPoint),
})
export type AccountUsageStats = Static<typeof AccountUsageStats>

/** The window of the realtime numbers (1 to 60 minutes, default 5). */
export function windowOf(windowMinutes: string | undefined): number {
  return Math.min(60, Math.max(1, Number(windowMinutes ?? 5)))
}

/** Creates the analytics. */
export function createAnalytics(deps: AnalyticsDeps) {
  const { usage, clock } = deps
  const tz = deps.timezoneOffset

  /** The range and granularity of a trend query (default: the last 7 days by day). */
  function range(q: RangeQuery): { from: number; to: number; granularity: 'hour' | 'day' } {
    const granularity = q.granularity === 'hour' ? 'hour' : 'day'
    const now = clock.now()
    const parse = (v: string | undefined, name: string) => {
      if (!v) return undefined
      const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v)
      if (!Number.isFinite(n))
        throw new InvalidRequestError(`${name}: expected an ISO date or epoch ms`)
      return n
    }
    const days = q.days ? Number(q.days) : granularity === 'hour' ? 1 : 7
    if (!Number.isFinite(days) || days < 1 || days > 400)
      throw new InvalidRequestError('days: expected 1 to 400')
    let to = parse(q.endDate ?? q.to, 'endDate') ?? now
    if (q.endDate && /^\d{4}-\d{2}-\d{2}$/.test(q.endDate)) to += DAY
    const from = parse(q.startDate ?? q.from, 'startDate') ?? to - days * DAY
    if (from >= to) throw new InvalidRequestError('startDate: must be before endDate')
    const limit = granularity === 'hour' ? 31 * DAY : 400 * DAY
    if (to - from > limit)
      throw new InvalidRequestError(
        `range: at most ${limit / DAY} days for granularity ${granularity}`,
      )
    return { from, to, granularity }
  }

  async function accountsByHealth() {
    const now = clock.now()
    const entries = await deps.accounts.snapshot()
    const empty = () => ({
      total: 0,
      normal: 0,
      rateLimited: 0,
      overloaded: 0,
      coolingDown: 0,
      unauthorized: 0,
      blocked: 0,
      paused: 0,
    })
    const counts = empty()
    const byPlatform: Record<string, typeof counts> = {}
    for (const e of entries) {
      byPlatform[e.account.platform] ??= empty()
      const p = byPlatform[e.account.platform]!
      const bucket = DASHBOARD_BUCKET[healthBucket(e.account, e.state, now)]
      counts.total++
      p.total++
      counts[bucket]++
      p[bucket]++
    }
    return { ...counts, byPlatform }
  }

  async function realtime(windowMinutes: number) {
    const nowMin = Math.floor(clock.now() / 60_000)
    const periods = Array.from({ length: windowMinutes }, (_, i) => `min:${nowMin - i}`)
    const rows = await usage.series('global', 'all', periods)
    const sum = rows.reduce(
      (a, c) => ({ requests: a.requests + c.requests, tokens: a.tokens + allTokens(c) }),
      { requests: 0, tokens: 0 },
    )
    return {
      rpm: Math.round((sum.requests / windowMinutes) * 100) / 100,
      tpm: Math.round(sum.tokens / windowMinutes),
      windowMinutes,
    }
  }

  /** Top N subjects of a scope over a range, with their series. */
  async function topTrend(
    scope: 'key' | 'account',
    q: TopQuery,
    nameOf: (id: string) => Promise<string | undefined>,
  ): Promise<TopTrend> {
    const { from, to, granularity } = range(q)
    const topN = Math.min(50, Math.max(1, Number(q.topN ?? q.limit ?? 10)))
    const metric: TopTrend['metric'] =
      q.metric === 'requests' ? 'requests' : q.metric === 'tokens' ? 'tokens' : 'cost'
    const days = periodRange(from, to, 'day', tz).map((p) => p.period)
    // Rank by one field (cheap), then read full series for the top N only.
    const fields: CounterField[] =
      metric === 'requests' ? ['requests'] : metric === 'tokens' ? [...TOKEN_FIELDS] : ['costNanos']
    const sums = await Promise.all(fields.map((f) => usage.sumField(scope, days, f)))
    const score = new Map<string, number>()
    for (const m of sums) for (const [id, v] of m) score.set(id, (score.get(id) ?? 0) + v)
    const topIds = [...score]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, topN)
      .map(([id]) => id)
    const buckets = periodRange(from, to, granularity, tz)
    const series = await Promise.all(
      topIds.map((id) =>
        usage.series(
          scope,
          id,
          buckets.map((b) => b.period),
        ),
      ),
    )
    const top = topIds.map((id, i) => {
      const total = emptyCounters()
      for (const c of series[i] ?? [])
        for (const f of Object.keys(total) as CounterField[]) total[f] += c[f]
      return [id, total] as const
    })
    const names = await Promise.all(top.map(([id]) => nameOf(id)))
    return {
      granularity,
      metric,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      items: top.map(([id, total], i) => ({
        id,
        name: names[i] ?? id,
        total: usageView(total),
        series: buckets.map((b, j) => trendPoint(b.t, series[i]![j] ?? emptyCounters())),
      })),
    }
  }

  /** A series of one subject of `scope` over the query's range. */
  async function seriesOf(scope: 'global' | 'key', id: string, q: RangeQuery): Promise<Trend> {
    const { from, to, granularity } = range(q)
    const buckets = periodRange(from, to, granularity, tz)
    const rows = await usage.series(
      scope,
      id,
      buckets.map((b) => b.period),
    )
    return {
      granularity,
      series: buckets.map((b, i) => trendPoint(b.t, rows[i] ?? emptyCounters())),
    }
  }

  return {
    range,
    realtime,
    /** Keys, accounts by health, today and lifetime usage, RPM/TPM. */
    async dashboard(windowMinutes: number): Promise<Dashboard> {
      const now = clock.now()
      const p = usagePeriods(now, tz)
      const keys = await deps.keys.list()
      const live = keys.filter((k) => !k.isDeleted)
      const [[today, lifetime], accounts, rt] = await Promise.all([
        usage.series('global', 'all', [p.day, 'total']),
        accountsByHealth(),
        realtime(windowMinutes),
      ])
      return {
        overview: {
          totalApiKeys: live.length,
          activeApiKeys: live.filter(
            (k) => k.isActive && (!k.expiresAt || Date.parse(k.expiresAt) > now),
          ).length,
          accounts,
          lifetime: usageView(lifetime ?? emptyCounters()),
        },
        today: usageView(today ?? emptyCounters()),
        realtimeMetrics: rt,
        systemTimezone: tz,
        generatedAt: new Date(now).toISOString(),
      }
    },
    /** Every request's usage over the range. */
    usageTrend: (q: RangeQuery) => seriesOf('global', 'all', q),
    /** One key's usage over the range. */
    keyTrend: (id: string, q: RangeQuery) => seriesOf('key', id, q),
    /** Per-model usage over the range (by day), most expensive first. */
    async modelStats(q: RangeQuery) {
      const { from, to } = range({ ...q, granularity: 'day' })
      const totals = await usage.sumBy(
        'model',
        periodRange(from, to, 'day', tz).map((p) => p.period),
      )
      return [...totals]
        .map(([model, c]) => ({ model, ...usageView(c) }))
        .sort((a, b) => b.cost - a.cost || b.requests - a.requests)
    },
    /** The top N keys of the range. */
    keysTop: (q: TopQuery) => topTrend('key', q, async (id) => (await deps.keys.get(id))?.name),
    /** The top N accounts of the range. */
    async accountsTop(q: TopQuery) {
      const names = new Map(
        (await deps.accounts.snapshot()).map((e) => [e.account.id, e.account.name]),
      )
      return topTrend('account', q, async (id) => names.get(id))
    },
    /** One account's totals (all time, today, this month) and its series over the range. */
    async accountStats(id: string, q: RangeQuery): Promise<AccountUsageStats> {
      const { from, to, granularity } = range(q)
      const buckets = periodRange(from, to, granularity, tz)
      const p = usagePeriods(clock.now(), tz)
      const [rows, summary] = await Promise.all([
        usage.series(
          'account',
          id,
          buckets.map((b) => b.period),
        ),
        usage.series('account', id, ['total', p.day, p.month]),
      ])
      return {
        total: usageView(summary[0] ?? emptyCounters()),
        today: usageView(summary[1] ?? emptyCounters()),
        month: usageView(summary[2] ?? emptyCounters()),
        series: buckets.map((b, i) => trendPoint(b.t, rows[i] ?? emptyCounters())),
      }
    },
  }
}

/** The analytics' interface. */
export type Analytics = ReturnType<typeof createAnalytics>
