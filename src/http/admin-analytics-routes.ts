// Over 400 lines: the dashboard's routes share one set of range and counter helpers.
/**
 * @module
 * Dashboard analytics, all computed from usage counters (never by scanning history): overview
 * (keys, accounts by health, today's and lifetime tokens and cost, RPM/TPM), usage trend by hour or
 * day, per-model statistics, per-key and per-account trends (top N), and the audit log.
 */
import { Elysia } from 'elysia'
import { type HealthBucket, healthBucket } from '../accounts/health.ts'
import type { AccountService } from '../accounts/service.ts'
import type { AuditLog } from '../admin/audit.ts'
import type { Config } from '../config/schema.ts'
import { InvalidRequestError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import type { KeyService } from '../keys/service.ts'
import { usagePeriods } from '../usage/cost-caps.ts'
import { type CounterField, emptyCounters } from '../usage/model.ts'
import { allTokens, periodRange, type UsageService } from '../usage/service.ts'
import { trendPoint, usageView } from '../usage/views.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'

/** What the analytics routes need. */
export interface AnalyticsRouteDeps {
  config: Config
  guard: AdminGuardDeps
  keys: KeyService
  accounts: AccountService
  usage: UsageService
  audit: AuditLog
  clock: Clock
}

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
type Q = Record<string, string | undefined>

/** Audit actions of signing in and out, hidden on request. */
const SIGN_IN_ACTIONS = new Set(['auth.login', 'auth.login_failed', 'auth.logout', 'auth.refresh'])

/** A display name of an audit entry's target: its name now, else the name the entry recorded. */
function nameOf(
  e: { target: string; before: unknown; after: unknown },
  names: Map<string, string>,
): string {
  const recorded = (v: unknown) =>
    v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string'
      ? (v as { name: string }).name
      : ''
  return names.get(e.target) ?? (recorded(e.after) || recorded(e.before))
}

/** Analytics controller. */
export function adminAnalyticsRoutes(deps: AnalyticsRouteDeps) {
  const { usage, clock, config } = deps
  const tz = config.TIMEZONE_OFFSET

  /** The range and granularity of a trend query (default: the last 7 days by day). */
  function range(q: Q): { from: number; to: number; granularity: 'hour' | 'day' } {
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
    q: Q,
    nameOf: (id: string) => Promise<string | undefined>,
  ) {
    const { from, to, granularity } = range(q)
    const topN = Math.min(50, Math.max(1, Number(q.topN ?? q.limit ?? 10)))
    const metric = q.metric === 'requests' ? 'requests' : q.metric === 'tokens' ? 'tokens' : 'cost'
    const days = periodRange(from, to, 'day', tz).map((p) => p.period)
    // Rank by one field (cheap), then read full series for the top N only.
    const fields: CounterField[] =
      metric === 'requests'
        ? ['requests']
        : metric === 'tokens'
          ? [
              'inputTokens',
              'outputTokens',
              'cacheCreate5mTokens',
              'cacheCreate1hTokens',
              'cacheReadTokens',
            ]
          : ['costNanos']
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

  /** Names of every key, account and group by id. */
  async function targetNames(): Promise<Map<string, string>> {
    const [keyList, entries, groups] = await Promise.all([
      deps.keys.list(),
      deps.accounts.snapshot(),
      deps.accounts.listGroups(),
    ])
    const names = new Map<string, string>()
    for (const k of keyList) names.set(k.id, k.name)
    for (const e of entries) names.set(e.account.id, e.account.name)
    for (const g of groups) names.set(g.id, g.name)
    return names
  }

  return new Elysia({ prefix: '/admin', name: 'crs.admin-analytics' })
    .use(adminGuard(deps.guard))
    .get(
      '/dashboard',
      async ({ query }) => {
        const now = clock.now()
        const p = usagePeriods(now, tz)
        const keys = await deps.keys.list()
        const live = keys.filter((k) => !k.isDeleted)
        const [[today, lifetime], accounts, rt] = await Promise.all([
          usage.series('global', 'all', [p.day, 'total']),
          accountsByHealth(),
          realtime(Math.min(60, Math.max(1, Number(query.windowMinutes ?? 5)))),
        ])
        return {
          success: true,
          data: {
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
          },
        }
      },
      {
        detail: {
          tags: ['analytics'],
          summary: 'Overview: keys, accounts by health, today and lifetime usage, RPM/TPM',
        },
      },
    )
    .get(
      '/realtime',
      async ({ query }) => ({
        success: true,
        data: await realtime(Math.min(60, Math.max(1, Number(query.windowMinutes ?? 5)))),
      }),
      {
        detail: {
          tags: ['analytics'],
          summary:
            'Requests and tokens per minute over a sliding window (windowMinutes, default 5)',
        },
      },
    )
    .get(
      '/usage-trend',
      async ({ query }) => {
        const { from, to, granularity } = range(query)
        const buckets = periodRange(from, to, granularity, tz)
        const rows = await usage.series(
          'global',
          'all',
          buckets.map((b) => b.period),
        )
        return {
          success: true,
          data: {
            granularity,
            series: buckets.map((b, i) => trendPoint(b.t, rows[i] ?? emptyCounters())),
          },
        }
      },
      {
        detail: {
          tags: ['analytics'],
          summary:
            'Requests, each token kind and cost over time (granularity hour|day, startDate, endDate or days)',
        },
      },
    )
    .get(
      '/model-stats',
      async ({ query }) => {
        const { from, to } = range({ ...query, granularity: 'day' })
        const totals = await usage.sumBy(
          'model',
          periodRange(from, to, 'day', tz).map((p) => p.period),
        )
        const data = [...totals]
          .map(([model, c]) => ({ model, ...usageView(c) }))
          .sort((a, b) => b.cost - a.cost || b.requests - a.requests)
        return { success: true, data }
      },
      {
        detail: {
          tags: ['analytics'],
          summary: 'Per-model requests, tokens and cost over a range (unpriced models flagged)',
        },
      },
    )
    .get(
      '/api-keys-usage-trend',
      async ({ query }) => {
        return {
          success: true,
          data: await topTrend('key', query, async (id) => (await deps.keys.get(id))?.name),
        }
      },
      {
        detail: {
          tags: ['analytics'],
          summary: 'Top N keys by cost, requests or tokens with their series',
        },
      },
    )
    .get(
      '/account-usage-trend',
      async ({ query }) => {
        const names = new Map(
          (await deps.accounts.snapshot()).map((e) => [e.account.id, e.account.name]),
        )
        return {
          success: true,
          data: await topTrend('account', query, async (id) => names.get(id)),
        }
      },
      {
        detail: {
          tags: ['analytics'],
          summary: 'Top N accounts by cost, requests or tokens with their series',
        },
      },
    )
    .get(
      '/accounts/:id/usage-stats',
      async ({ params, query }) => {
        const { from, to, granularity } = range(query)
        const buckets = periodRange(from, to, granularity, tz)
        const p = usagePeriods(clock.now(), tz)
        const [rows, summary] = await Promise.all([
          usage.series(
            'account',
            params.id,
            buckets.map((b) => b.period),
          ),
          usage.series('account', params.id, ['total', p.day, p.month]),
        ])
        return {
          success: true,
          data: {
            total: usageView(summary[0] ?? emptyCounters()),
            today: usageView(summary[1] ?? emptyCounters()),
            month: usageView(summary[2] ?? emptyCounters()),
            series: buckets.map((b, i) => trendPoint(b.t, rows[i] ?? emptyCounters())),
          },
        }
      },
      { detail: { tags: ['analytics'], summary: 'Usage of one account: totals and a series' } },
    )
    .get(
      '/api-keys/:id/usage-trend',
      async ({ params, query }) => {
        const { from, to, granularity } = range(query)
        const buckets = periodRange(from, to, granularity, tz)
        const rows = await usage.series(
          'key',
          params.id,
          buckets.map((b) => b.period),
        )
        return {
          success: true,
          data: {
            granularity,
            series: buckets.map((b, i) => trendPoint(b.t, rows[i] ?? emptyCounters())),
          },
        }
      },
      { detail: { tags: ['analytics'], summary: 'Usage series of one key' } },
    )
    .get(
      '/audit-log',
      async ({ query }) => {
        const limit = Math.min(500, Math.max(1, Number(query.limit ?? 100)))
        const before = query.before ? Number(query.before) || Date.parse(query.before) : undefined
        const filter = { actor: query.actor || undefined, action: query.action || undefined }
        const hide = query.hideSignIns === 'true' || query.hideSignIns === '1'
        // Sign-ins are skipped page by page (at most 20 pages), so a page stays full.
        const entries: Awaited<ReturnType<AuditLog['list']>> = []
        let cursor = before
        let more = true
        for (let round = 0; round < 20 && entries.length < limit && more; round++) {
          const page = await deps.audit.list({ limit, before: cursor, ...filter })
          more = page.length === limit
          for (const e of page)
            if (!(hide && SIGN_IN_ACTIONS.has(e.action)) && entries.length < limit) entries.push(e)
          cursor = page.at(-1)?.at
          if (!hide) break
        }
        const names = await targetNames()
        const named = entries.map((e) => ({ ...e, targetName: nameOf(e, names) }))
        return {
          success: true,
          data: {
            entries: named,
            nextBefore:
              entries.length === limit ? entries.at(-1)!.at : more ? (cursor ?? null) : null,
          },
        }
      },
      {
        detail: {
          tags: ['audit'],
          summary:
            'Admin writes, newest first (limit, before, actor, action, hideSignIns); targetName names the key, account or group',
        },
      },
    )
}
