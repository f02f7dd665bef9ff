/**
 * @module
 * Usage read next to lists in the admin UI, one call per page instead of one per row: each listed
 * key's limits with their current use and when each window resets, today's / this month's / lifetime
 * usage of every account, and one account's usage per model. Read-only (GET), so nothing here is
 * audited.
 */
import { Elysia } from 'elysia'
import type { AccountService } from '../accounts/service.ts'
import type { Config } from '../config/schema.ts'
import { InvalidRequestError, NotFoundError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import { nextLocalMidnight, nextLocalMonday } from '../core/time.ts'
import type { KeyService } from '../keys/service.ts'
import type { LimitsRepository } from '../limits/repository.ts'
import { usagePeriods } from '../usage/cost-caps.ts'
import { emptyCounters } from '../usage/model.ts'
import type { UsageRepository } from '../usage/repository.ts'
import type { UsageService } from '../usage/service.ts'
import { type AdminGuardDeps, adminGuard } from './admin-guard.ts'
import { keyLimitsView, usageView } from './key-routes.ts'

/** What the usage views need. */
export interface UsageViewRouteDeps {
  config: Config
  guard: AdminGuardDeps
  keys: KeyService
  accounts: AccountService
  usage: UsageService
  /** Counter storage, for the per-account model rows the usage service has no reader for. */
  usageRepo: Pick<UsageRepository, 'list'>
  limits: LimitsRepository
  clock: Clock
}

/** At most this many keys per limit-usage call (a page of the keys list). */
export const MAX_LIMIT_KEYS = 200

/** Usage views controller. */
export function adminUsageViewRoutes(deps: UsageViewRouteDeps) {
  const { keys, usage, clock } = deps
  const tz = deps.config.TIMEZONE_OFFSET
  return new Elysia({ prefix: '/admin', name: 'crs.admin-usage-views' })
    .use(adminGuard(deps.guard))
    .get(
      '/api-keys/limit-usage',
      async ({ query }) => {
        const ids = [...new Set((query.ids ?? '').split(',').filter(Boolean))]
        if (ids.length > MAX_LIMIT_KEYS)
          throw new InvalidRequestError(`ids: at most ${MAX_LIMIT_KEYS} key ids per request`)
        const now = clock.now()
        const resets = {
          daily: new Date(nextLocalMidnight(now, tz)).toISOString(),
          weeklyOpus: new Date(nextLocalMonday(now, tz)).toISOString(),
        }
        const found = await Promise.all(ids.map((id) => keys.get(id)))
        const data: Record<string, unknown> = {}
        await Promise.all(
          found.map(async (k) => {
            if (!k) return
            const { limits } = await keyLimitsView({ usage, limits: deps.limits, clock }, k)
            data[k.id] = { limits, resets: { ...resets, window: limits.windowEndTime } }
          }),
        )
        return { success: true, data }
      },
      {
        detail: {
          tags: ['api keys'],
          summary:
            'Limits of the listed keys (ids=a,b,c) with their current use and when each window resets',
        },
      },
    )
    .get(
      '/accounts/usage-summary',
      async () => {
        const p = usagePeriods(clock.now(), tz)
        const [today, month, total] = await Promise.all([
          usage.sumBy('account', [p.day]),
          usage.sumBy('account', [p.month]),
          usage.sumBy('account', ['total']),
        ])
        const ids = new Set([...today.keys(), ...month.keys(), ...total.keys()])
        const data: Record<string, unknown> = {}
        for (const id of ids)
          data[id] = {
            today: usageView(today.get(id) ?? emptyCounters()),
            month: usageView(month.get(id) ?? emptyCounters()),
            total: usageView(total.get(id) ?? emptyCounters()),
          }
        return { success: true, data }
      },
      {
        detail: {
          tags: ['analytics'],
          summary: "Every account's usage today, this month and in total (by account id)",
        },
      },
    )
    .get(
      '/accounts/:id/model-stats',
      async ({ params, query }) => {
        const known = (await deps.accounts.snapshot()).some((e) => e.account.id === params.id)
        if (!known) throw new NotFoundError(`Cannot find account "${params.id}"`)
        const period = query.period ?? 'daily'
        if (period !== 'daily' && period !== 'monthly')
          throw new InvalidRequestError('period: expected daily or monthly')
        const p = usagePeriods(clock.now(), tz)
        const rows = await deps.usageRepo.list(
          'account-model',
          period === 'daily' ? p.day : p.month,
          params.id,
        )
        const data = rows
          .map((r) => ({ model: r.model ?? '', ...usageView(r.counters) }))
          .sort((a, b) => b.cost - a.cost || b.requests - a.requests)
        return { success: true, data, period }
      },
      {
        detail: {
          tags: ['analytics'],
          summary: 'Per-model usage of one account today or this month (period daily|monthly)',
        },
      },
    )
}
