/**
 * @module
 * What a key holder can see with nothing but the key: `/api/v1/key-info`, `/api/v1/usage` and the
 * public stats lookups under `/apiStats/api/*` (shapes of the system we replace). Unlike that
 * system, a key id alone reveals nothing: every lookup needs the key itself.
 */
import { Elysia, t } from 'elysia'
import type { Config } from '../config/schema.ts'
import { AuthenticationError, PermissionError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import type { ApiKey } from '../keys/model.ts'
import { extractApiKey, type KeyService } from '../keys/service.ts'
import type { LimitsRepository } from '../limits/repository.ts'
import { allTokens, type UsageService } from '../usage/service.ts'
import { money, usageView, usd } from '../usage/views.ts'
import { BODY_LIMITS, parseLimitedBody } from './body-limit.ts'
import { ok } from './schemas/common.ts'
import {
  KeyIdAnswer,
  KeyInfoAnswer,
  type KeyLimits,
  KeyUsageAnswer,
  UserModelStats,
  UserStats,
} from './schemas/key-holder.ts'

/** What the key-holder routes need. */
export interface KeyRouteDeps {
  config: Config
  keys: KeyService
  usage: UsageService
  limits: LimitsRepository
  clock: Clock
}

export { usageView }

/** A key's usage counters by period, as the usage service reads them. */
type KeySummary = Awaited<ReturnType<UsageService['keySummary']>>

/** What {@link keyLimitsView} reads. */
export interface KeyLimitsDeps {
  usage: UsageService
  limits: LimitsRepository
  clock: Clock
}

/** A key's limits next to its current use of each (the old system's `limits` object). */
export async function keyLimitsView(
  deps: KeyLimitsDeps,
  key: ApiKey,
): Promise<{ summary: KeySummary; limits: KeyLimits }> {
  const { usage, limits, clock } = deps
  const now = clock.now()
  const summary = await usage.keySummary(key.id)
  const lengthMs = key.rateLimitWindow * 60_000
  const w = lengthMs > 0 ? await limits.getWindow(key.id, lengthMs, now) : null
  const concurrency = key.concurrencyLimit > 0 ? await limits.countLeases(key.id, now) : 0
  return {
    summary,
    limits: {
      tokenLimit: key.tokenLimit,
      concurrencyLimit: key.concurrencyLimit,
      currentConcurrency: concurrency,
      rateLimitWindow: key.rateLimitWindow,
      rateLimitRequests: key.rateLimitRequests,
      rateLimitCost: key.rateLimitCost,
      dailyCostLimit: key.dailyCostLimit,
      totalCostLimit: key.totalCostLimit,
      weeklyOpusCostLimit: key.weeklyOpusCostLimit,
      currentWindowRequests: w?.requests ?? 0,
      currentWindowTokens: w?.tokens ?? 0,
      currentWindowCost: usd(w?.costNanos ?? 0),
      currentDailyCost: usd(summary.day.costNanos),
      currentTotalCost: usd(summary.total.costNanos),
      weeklyOpusCost: usd(summary.opusWeek.costNanos),
      windowStartTime: w ? new Date(w.start).toISOString() : null,
      windowEndTime: w ? new Date(w.start + lengthMs).toISOString() : null,
      windowRemainingSeconds: w ? Math.max(0, Math.ceil((w.start + lengthMs - now) / 1000)) : 0,
    },
  }
}

/** A key's usage (total, today, this month, daily averages) and its limits, as of now. */
export async function keyUsageAnswer(deps: KeyLimitsDeps, key: ApiKey): Promise<KeyUsageAnswer> {
  const { summary, limits } = await keyLimitsView(deps, key)
  const now = deps.clock.now()
  const days = Math.max(1, Math.ceil((now - Date.parse(key.createdAt)) / 86_400_000))
  return {
    usage: {
      total: usageView(summary.total),
      daily: usageView(summary.day),
      monthly: usageView(summary.month),
      averages: {
        rpd: Math.round((summary.total.requests / days) * 100) / 100,
        tpd: Math.round(allTokens(summary.total) / days),
      },
    },
    limits: { ...limits, tokens: key.tokenLimit, requests: key.rateLimitRequests },
    timestamp: new Date(now).toISOString(),
  }
}

const KeyBody = t.Object({
  apiKey: t.Optional(t.String()),
  apiId: t.Optional(t.String()),
  period: t.Optional(t.String()),
})

/**
 * The key a holder proves by sending it (never activates it); a disabled or expired key is a 403,
 * an unknown one a 401.
 */
export async function holderKey(keys: KeyService, apiKey: string): Promise<ApiKey> {
  try {
    return await keys.authenticate(apiKey, { activate: false })
  } catch (err) {
    const msg = err instanceof Error ? err.message : ''
    if (/disabled|expired/.test(msg)) throw new PermissionError(msg)
    throw err
  }
}

/** Key-holder controller. */
export function keyRoutes(deps: KeyRouteDeps) {
  const { keys, usage, limits, clock, config } = deps

  async function fromBody(body: { apiKey?: string; apiId?: string }): Promise<ApiKey> {
    if (!body.apiKey) {
      throw new AuthenticationError(
        body.apiId
          ? 'A key id alone is not accepted: send the API key itself as apiKey'
          : 'apiKey: field required',
      )
    }
    return holderKey(keys, body.apiKey)
  }

  const limitsView = (key: ApiKey) => keyLimitsView({ usage, limits, clock }, key)

  const doc = { tags: ['key holder'] }
  const app = new Elysia({ name: 'crs.key-holder' })
  // The Gemini routes of the old system had them without `/v1`.
  for (const prefix of ['/api/v1', '/claude/v1', '/gemini']) {
    app
      .get(
        `${prefix}/key-info`,
        async ({ request }) => {
          const key = await keys.authenticate(extractApiKey(request.headers, request.url), {
            activate: false,
          })
          const { summary } = await limitsView(key)
          return {
            keyInfo: {
              id: key.id,
              name: key.name,
              tokenLimit: key.tokenLimit,
              usage: usageView(summary.total),
            },
            timestamp: new Date(clock.now()).toISOString(),
          }
        },
        {
          response: KeyInfoAnswer,
          detail: { ...doc, summary: 'The calling key and its lifetime usage' },
        },
      )
      .get(
        `${prefix}/usage`,
        async ({ request }) => {
          const key = await keys.authenticate(extractApiKey(request.headers, request.url), {
            activate: false,
          })
          return keyUsageAnswer(deps, key)
        },
        {
          response: KeyUsageAnswer,
          detail: {
            ...doc,
            summary: 'Usage of the calling key (total, today, this month) and its limits',
          },
        },
      )
  }
  return app
    .onParse(({ request, contentType }) =>
      parseLimitedBody(request, contentType, BODY_LIMITS.public),
    )
    .post(
      '/apiStats/api/get-key-id',
      async ({ body }) => {
        const key = await fromBody(body)
        return { success: true, data: { id: key.id } }
      },
      {
        body: KeyBody,
        response: KeyIdAnswer,
        detail: { ...doc, summary: 'Resolve a key to its id (needs the key)' },
      },
    )
    .post(
      '/apiStats/api/user-stats',
      async ({ body }) => {
        const key = await fromBody(body)
        const { summary, limits: l } = await limitsView(key)
        return {
          success: true,
          data: {
            id: key.id,
            name: key.name,
            description: key.description,
            isActive: key.isActive,
            createdAt: key.createdAt,
            expiresAt: key.expiresAt,
            expirationMode: key.expirationMode,
            isActivated: key.isActivated,
            activationDays: key.activationDays,
            activationUnit: key.activationUnit,
            activatedAt: key.activatedAt,
            permissions: key.permissions,
            usage: {
              total: usageView(summary.total),
              daily: usageView(summary.day),
              monthly: usageView(summary.month),
            },
            limits: l,
            accounts: {
              claudeAccountId: key.claudeAccountId || null,
              claudeConsoleAccountId: key.claudeConsoleAccountId || null,
            },
            restrictions: {
              enableModelRestriction: key.enableModelRestriction,
              modelRestrictionMode: key.modelRestrictionMode,
              restrictedModels: key.restrictedModels,
              enableClientRestriction: key.enableClientRestriction,
              allowedClients: key.allowedClients,
            },
            timezoneOffset: config.TIMEZONE_OFFSET,
          },
        }
      },
      {
        body: KeyBody,
        response: ok(UserStats),
        detail: { ...doc, summary: 'Usage, limits and restrictions of a key (needs the key)' },
      },
    )
    .post(
      '/apiStats/api/user-model-stats',
      async ({ body }) => {
        const key = await fromBody(body)
        const rows = await usage.keyModels(key.id, body.period === 'monthly' ? 'monthly' : 'daily')
        const data = rows
          .map((r) => ({
            model: r.model ?? '',
            ...usageView(r.counters),
            costs: { total: usd(r.counters.costNanos) },
            formatted: { total: money(r.counters.costNanos) },
          }))
          .sort((a, b) => b.cost - a.cost || b.requests - a.requests)
        return {
          success: true,
          data,
          period: body.period === 'monthly' ? ('monthly' as const) : ('daily' as const),
        }
      },
      {
        body: KeyBody,
        response: UserModelStats,
        detail: { ...doc, summary: 'Per-model usage of a key today or this month (needs the key)' },
      },
    )
}
