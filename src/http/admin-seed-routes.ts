// Over 400 lines: the seed's remaining admin paths stay together, one short route each.
/**
 * @module
 * Admin routes of the seed that its UI and scripts call, in its paths and `{ success, data }`
 * envelopes, all read from the usage counters: per-key usage (`usage-stats`), costs by model
 * (`usage-costs`), every account's usage (`accounts/usage-stats`) and one account's daily series
 * (`accounts/:id/usage-history`), the keys list's lazily loaded columns (`api-keys/batch-stats`,
 * `api-keys/batch-last-usage`), the manual cleanup and `check-updates` (answered offline).
 */
import { Elysia, t } from 'elysia'
import type { AccountService } from '../accounts/service.ts'
import type { Config } from '../config/schema.ts'
import { InvalidRequestError, NotFoundError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import type { HistoryService } from '../history/service.ts'
import type { KeyService } from '../keys/service.ts'
import type { ClientIdentity } from '../platforms/claude/client-identity.ts'
import type { ConsoleQuota } from '../platforms/claude/console-quota.ts'
import type { Stores } from '../storage/stores.ts'
import { usagePeriods } from '../usage/cost-caps.ts'
import { type Counters, emptyCounters } from '../usage/model.ts'
import { periodRange, type UsageService } from '../usage/service.ts'
import { trendPoint as point } from '../usage/views.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import { usageView } from './key-routes.ts'

/** What the seed admin routes need. */
export interface AdminSeedRouteDeps {
  config: Config
  guard: AdminGuardDeps
  keys: KeyService
  accounts: AccountService
  usage: UsageService
  history: HistoryService
  stores: Pick<Stores, 'sweepExpired'>
  clock: Clock
  version: string
  consoleQuota?: ConsoleQuota
  identity?: ClientIdentity
}

const DAY = 86_400_000
const MAX_BATCH = 500

/** Period names of a seed time range (`today`, `7days`, `30days`, `monthly`, `all`, `custom`). */
export function rangePeriods(
  range: string,
  now: number,
  tz: number,
  custom?: { startDate?: string; endDate?: string },
): string[] {
  const p = usagePeriods(now, tz)
  switch (range) {
    case 'today':
    case 'daily':
      return [p.day]
    case 'monthly':
      return [p.month]
    case 'all':
    case 'total':
      return ['total']
    case '7days':
    case '30days': {
      const days = range === '7days' ? 7 : 30
      return periodRange(now - (days - 1) * DAY, now + 1, 'day', tz).map((x) => x.period)
    }
    case 'custom': {
      const from = Date.parse(custom?.startDate ?? '')
      const to = Date.parse(custom?.endDate ?? '')
      if (!Number.isFinite(from) || !Number.isFinite(to) || from > to)
        throw new InvalidRequestError('custom range: expected startDate <= endDate (ISO dates)')
      if (to - from > 400 * DAY) throw new InvalidRequestError('custom range: at most 400 days')
      return periodRange(from, to + DAY, 'day', tz).map((x) => x.period)
    }
    default:
      throw new InvalidRequestError(
        'timeRange: expected today, 7days, 30days, monthly, all or custom',
      )
  }
}

function sum(list: Counters[]): Counters {
  const out = emptyCounters()
  for (const c of list) for (const f of Object.keys(out) as (keyof Counters)[]) out[f] += c[f]
  return out
}

/** Seed admin controller. */
export function adminSeedRoutes(deps: AdminSeedRouteDeps) {
  const { usage, clock, keys, accounts } = deps
  const tz = deps.config.TIMEZONE_OFFSET
  const Ids = t.Array(t.String({ maxLength: 100 }), { maxItems: MAX_BATCH })

  return new Elysia({ prefix: '/admin', name: 'crs.admin-seed' })
    .use(adminGuard(deps.guard))
    .get(
      '/usage-stats',
      async ({ query }) => {
        const period = query.period ?? 'daily'
        const periods = rangePeriods(period, clock.now(), tz)
        const [byKey, list] = await Promise.all([usage.sumBy('key', periods), keys.list()])
        const data = list
          .filter((k) => !k.isDeleted)
          .map((k) => ({
            keyId: k.id,
            keyName: k.name,
            usage: usageView(byKey.get(k.id) ?? emptyCounters()),
          }))
          .sort((a, b) => b.usage.cost - a.usage.cost || a.keyName.localeCompare(b.keyName))
        return { success: true, data, period }
      },
      {
        query: t.Object({ period: t.Optional(t.String({ maxLength: 20 })) }),
        detail: {
          tags: ['analytics'],
          summary: 'Usage of every key (period daily|monthly|7days|30days|all)',
        },
      },
    )
    .get(
      '/usage-costs',
      async ({ query }) => {
        const period = query.period ?? 'all'
        const periods = rangePeriods(period, clock.now(), tz)
        const byModel = await usage.sumBy('model', periods)
        const models = [...byModel]
          .map(([model, c]) => ({ model, usage: usageView(c) }))
          .sort((a, b) => b.usage.cost - a.usage.cost)
        const total = usageView(sum([...byModel.values()]))
        return {
          success: true,
          data: {
            period,
            totalCosts: { totalCost: total.cost, formatted: { totalCost: total.formattedCost } },
            usage: total,
            modelCount: models.length,
            models,
          },
        }
      },
      {
        query: t.Object({ period: t.Optional(t.String({ maxLength: 20 })) }),
        detail: {
          tags: ['analytics'],
          summary: 'Total cost and cost per model (period all|today|monthly|7days|30days)',
        },
      },
    )
    .get(
      '/accounts/usage-stats',
      async () => {
        const p = usagePeriods(clock.now(), tz)
        const [entries, daily, monthly, total] = await Promise.all([
          accounts.snapshot(),
          usage.sumBy('account', [p.day]),
          usage.sumBy('account', [p.month]),
          usage.sumBy('account', ['total']),
        ])
        const data = entries.map(({ account: a }) => ({
          accountId: a.id,
          name: a.name,
          platform: a.platform,
          daily: usageView(daily.get(a.id) ?? emptyCounters()),
          monthly: usageView(monthly.get(a.id) ?? emptyCounters()),
          total: usageView(total.get(a.id) ?? emptyCounters()),
        }))
        const all = (m: Map<string, Counters>) => usageView(sum([...m.values()]))
        return {
          success: true,
          data,
          summary: {
            totalAccounts: data.length,
            daily: all(daily),
            monthly: all(monthly),
            total: all(total),
          },
        }
      },
      {
        detail: {
          tags: ['analytics'],
          summary: 'Usage of every account today, this month, in total',
        },
      },
    )
    .get(
      '/accounts/:id/usage-history',
      async ({ params, query }) => {
        const entry = (await accounts.snapshot()).find((e) => e.account.id === params.id)
        if (!entry) throw new NotFoundError(`Cannot find account "${params.id}"`)
        const days = Math.min(400, Math.max(1, Number(query.days ?? 30) || 30))
        const now = clock.now()
        const buckets = periodRange(now - (days - 1) * DAY, now + 1, 'day', tz)
        const rows = await usage.series(
          'account',
          params.id,
          buckets.map((b) => b.period),
        )
        const history = buckets.map((b, i) => ({
          date: b.period.slice(2),
          ...point(b.t, rows[i] ?? emptyCounters()),
        }))
        return {
          success: true,
          data: {
            accountId: params.id,
            platform: query.platform ?? entry.account.platform,
            days,
            history,
            summary: usageView(sum(rows)),
          },
        }
      },
      {
        query: t.Object({
          platform: t.Optional(t.String({ maxLength: 40 })),
          days: t.Optional(t.String({ maxLength: 4 })),
        }),
        detail: { tags: ['analytics'], summary: 'Daily usage of one account over the last N days' },
      },
    )
    .post(
      '/api-keys/batch-stats',
      async ({ body }) => {
        const periods = rangePeriods(body.timeRange ?? 'all', clock.now(), tz, body)
        const ids = [...new Set(body.keyIds)]
        const rows = await Promise.all(ids.map((id) => usage.series('key', id, periods)))
        const data: Record<string, ReturnType<typeof usageView>> = {}
        ids.forEach((id, i) => {
          data[id] = usageView(sum(rows[i] ?? []))
        })
        return { success: true, data }
      },
      {
        body: t.Object({
          keyIds: Ids,
          timeRange: t.Optional(t.String({ maxLength: 20 })),
          startDate: t.Optional(t.String({ maxLength: 40 })),
          endDate: t.Optional(t.String({ maxLength: 40 })),
        }),
        detail: {
          tags: ['api keys'],
          summary:
            'Usage and cost of the listed keys (timeRange all|today|7days|30days|monthly|custom)',
        },
      },
    )
    .post(
      '/api-keys/batch-last-usage',
      async ({ body }) => {
        const ids = [...new Set(body.keyIds)]
        const names = new Map((await accounts.snapshot()).map((e) => [e.account.id, e.account]))
        const found = await Promise.all(
          ids.map((keyId) => deps.history.query({ keyId }, { limit: 1, offset: 0 })),
        )
        const data: Record<string, unknown> = {}
        ids.forEach((id, i) => {
          const last = found[i]?.items[0]
          data[id] = last?.accountId
            ? {
                accountId: last.accountId,
                accountName: last.accountName || names.get(last.accountId)?.name || '',
                accountType: last.platform || names.get(last.accountId)?.platform || '',
                model: last.model,
                timestamp: new Date(last.startTime).toISOString(),
              }
            : null
        })
        return { success: true, data }
      },
      {
        body: t.Object({ keyIds: Ids }),
        detail: {
          tags: ['api keys'],
          summary: 'The account each listed key used last (from history)',
        },
      },
    )
    .post(
      '/cleanup',
      async () => {
        const now = clock.now()
        let expiredKeys = 0
        for (const k of await keys.list()) {
          if (k.isDeleted || !k.isActive || !k.expiresAt) continue
          if (Date.parse(k.expiresAt) > now) continue
          await keys.update(k.id, { isActive: false })
          expiredKeys++
        }
        const historyRemoved = await deps.history.cleanup()
        const swept = await deps.stores.sweepExpired(now)
        return {
          success: true,
          message: 'Cleanup completed',
          data: { expiredKeys, history: historyRemoved, expiredRows: swept },
        }
      },
      {
        detail: {
          tags: ['system'],
          summary: 'Disables expired keys, runs history retention and sweeps expired rows now',
        },
      },
    )
    .get(
      '/claude-console-accounts/:id/usage',
      async ({ params }) => {
        const entry = (await accounts.snapshot()).find(
          (e) => e.account.id === params.id && e.account.platform === 'claude-console',
        )
        if (!entry || !deps.consoleQuota)
          throw new NotFoundError(`Cannot find Claude Console account "${params.id}"`)
        return { success: true, data: await deps.consoleQuota.usageOf(entry) }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: "A console account's cost today against its dailyQuota, and when it resets",
        },
      },
    )
    .post(
      '/claude-console-accounts/reset-all-usage',
      async () => {
        const reset = (await deps.consoleQuota?.resetAll()) ?? 0
        return {
          success: true,
          message: 'Daily usage of every console account reset',
          data: { reset },
        }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: 'Starts the quota day of every console account over (quota stops lifted)',
        },
      },
    )
    .get(
      '/claude-code-headers',
      async () => {
        const entries = (await accounts.snapshot()).filter(
          (e) => e.account.platform === 'claude-oauth',
        )
        const names = new Map(entries.map((e) => [e.account.id, e.account.name]))
        const list = (await deps.identity?.list([...names.keys()])) ?? []
        return {
          success: true,
          data: list.map((h) => ({ ...h, accountName: names.get(h.accountId) ?? '' })),
        }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: 'Claude Code headers captured per OAuth account (replayed for other clients)',
        },
      },
    )
    .delete(
      '/claude-code-headers/:accountId',
      async ({ params }) => {
        await deps.identity?.clear(params.accountId)
        return { success: true, message: 'Captured headers cleared' }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: "Forgets an account's captured Claude Code headers",
        },
      },
    )
    .get(
      '/claude-code-version',
      async () => ({
        success: true,
        data: { userAgent: (await deps.identity?.unifiedUserAgent()) ?? null },
      }),
      { detail: { tags: ['accounts'], summary: 'The newest captured Claude Code user agent' } },
    )
    .post(
      '/claude-code-version/clear',
      async () => {
        await deps.identity?.clearUserAgent()
        return { success: true, message: 'Captured user agent cleared' }
      },
      {
        detail: {
          tags: ['accounts'],
          summary: 'Forgets the newest captured Claude Code user agent',
        },
      },
    )
    .get(
      '/check-updates',
      () => ({
        success: true,
        data: {
          current: deps.version,
          latest: deps.version,
          hasUpdate: false,
          releaseInfo: null,
          offline: true,
          message: 'Update checks are offline: the relay reports its running version only',
        },
      }),
      { detail: { tags: ['system'], summary: 'The running version (no call to GitHub)' } },
    )
}
