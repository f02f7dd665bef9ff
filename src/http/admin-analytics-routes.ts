/**
 * @module
 * Dashboard analytics routes, all computed from usage counters (never by scanning history):
 * overview, realtime, usage trends, per-model statistics, top-N keys and accounts, one account's
 * or key's usage (`usage/analytics.ts`), and the audit log (`admin/audit-page.ts`).
 */
import { Elysia, t } from 'elysia'
import type { AccountService } from '../accounts/service.ts'
import type { AuditLog } from '../admin/audit.ts'
import { AuditPage, auditPage } from '../admin/audit-page.ts'
import type { Config } from '../config/schema.ts'
import type { Clock } from '../core/ports.ts'
import type { KeyService } from '../keys/service.ts'
import {
  AccountUsageStats,
  createAnalytics,
  Dashboard,
  Realtime,
  TopTrend,
  Trend,
  windowOf,
} from '../usage/analytics.ts'
import type { UsageService } from '../usage/service.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import { IdParams, ok } from './schemas/common.ts'
import { ModelStat } from './schemas/keys.ts'

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

const text = (description: string) => t.Optional(t.String({ description }))

/** A range of days or hours (read as the seed's UI sends it; checked by the analytics). */
const RangeQuery = t.Object({
  granularity: text('hour | day (default)'),
  days: text('1 to 400 (default 7 by day, 1 by hour)'),
  startDate: text('ISO date or epoch ms'),
  endDate: text('ISO date (the whole day) or epoch ms'),
  from: text('alias of startDate'),
  to: text('alias of endDate'),
})

/** A top-N query. */
const TopQuery = t.Composite([
  RangeQuery,
  t.Object({
    topN: text('1 to 50 (default 10)'),
    limit: text('alias of topN'),
    metric: text('cost (default) | requests | tokens'),
  }),
])

const WindowQuery = t.Object({ windowMinutes: text('1 to 60 (default 5)') })

const AuditQuery = t.Object({
  limit: text('1 to 500 (default 100)'),
  before: text('epoch ms or ISO time: older entries'),
  actor: text('only this admin'),
  action: text('only this action'),
  hideSignIns: text('true | 1: without sign-ins, sign-outs and refreshes'),
})

const doc = (summary: string) => ({ tags: ['analytics'], summary })

/** Analytics controller. */
export function adminAnalyticsRoutes(deps: AnalyticsRouteDeps) {
  const analytics = createAnalytics({
    keys: deps.keys,
    accounts: deps.accounts,
    usage: deps.usage,
    clock: deps.clock,
    timezoneOffset: deps.config.TIMEZONE_OFFSET,
  })
  return new Elysia({ prefix: '/admin', name: 'crs.admin-analytics' })
    .use(adminGuard(deps.guard))
    .get(
      '/dashboard',
      async ({ query }) => ({
        success: true,
        data: await analytics.dashboard(windowOf(query.windowMinutes)),
      }),
      {
        query: WindowQuery,
        response: ok(Dashboard),
        detail: doc('Overview: keys, accounts by health, today and lifetime usage, RPM/TPM'),
      },
    )
    .get(
      '/realtime',
      async ({ query }) => ({
        success: true,
        data: await analytics.realtime(windowOf(query.windowMinutes)),
      }),
      {
        query: WindowQuery,
        response: ok(Realtime),
        detail: doc(
          'Requests and tokens per minute over a sliding window (windowMinutes, default 5)',
        ),
      },
    )
    .get(
      '/usage-trend',
      async ({ query }) => ({ success: true, data: await analytics.usageTrend(query) }),
      {
        query: RangeQuery,
        response: ok(Trend),
        detail: doc(
          'Requests, each token kind and cost over time (granularity hour|day, startDate, endDate or days)',
        ),
      },
    )
    .get(
      '/model-stats',
      async ({ query }) => ({ success: true, data: await analytics.modelStats(query) }),
      {
        query: RangeQuery,
        response: ok(t.Array(ModelStat)),
        detail: doc('Per-model requests, tokens and cost over a range (unpriced models flagged)'),
      },
    )
    .get(
      '/api-keys-usage-trend',
      async ({ query }) => ({ success: true, data: await analytics.keysTop(query) }),
      {
        query: TopQuery,
        response: ok(TopTrend),
        detail: doc('Top N keys by cost, requests or tokens with their series'),
      },
    )
    .get(
      '/account-usage-trend',
      async ({ query }) => ({ success: true, data: await analytics.accountsTop(query) }),
      {
        query: TopQuery,
        response: ok(TopTrend),
        detail: doc('Top N accounts by cost, requests or tokens with their series'),
      },
    )
    .get(
      '/accounts/:id/usage-stats',
      async ({ params, query }) => ({
        success: true,
        data: await analytics.accountStats(params.id, query),
      }),
      {
        params: IdParams,
        query: RangeQuery,
        response: ok(AccountUsageStats),
        detail: doc('Usage of one account: totals and a series'),
      },
    )
    .get(
      '/api-keys/:id/usage-trend',
      async ({ params, query }) => ({
        success: true,
        data: await analytics.keyTrend(params.id, query),
      }),
      {
        params: IdParams,
        query: RangeQuery,
        response: ok(Trend),
        detail: doc('Usage series of one key'),
      },
    )
    .get(
      '/audit-log',
      async ({ query }) => ({ success: true, data: await auditPage(deps, query) }),
      {
        query: AuditQuery,
        response: ok(AuditPage),
        detail: {
          tags: ['audit'],
          summary:
            'Admin writes, newest first (limit, before, actor, action, hideSignIns); targetName names the key, account or group',
        },
      },
    )
}
