/**
 * @module
 * Schemas of what a key holder reads with the key alone (`/api/v1/key-info`, `/api/v1/usage`,
 * `/apiStats/api/*`): the shapes of the system we replace, cost in dollars. Properties are listed
 * in the order the answers have always had them.
 */
import type { Static } from '@sinclair/typebox'
import { t as T } from 'elysia'
import { ApiKey } from '../../keys/model.ts'
import { UsageView } from '../../usage/views.ts'
import { ok } from './common.ts'

const nullableTime = T.Union([T.String(), T.Null()])

/** A key's limits next to its current use of each (the old system's `limits` object). */
export const KeyLimits = T.Object({
  tokenLimit: T.Number(),
  concurrencyLimit: T.Number(),
  currentConcurrency: T.Number(),
  rateLimitWindow: T.Number({ description: 'minutes' }),
  rateLimitRequests: T.Number(),
  rateLimitCost: T.Number({ description: 'USD' }),
  dailyCostLimit: T.Number({ description: 'USD' }),
  totalCostLimit: T.Number({ description: 'USD' }),
  weeklyOpusCostLimit: T.Number({ description: 'USD' }),
  currentWindowRequests: T.Number(),
  currentWindowTokens: T.Number(),
  currentWindowCost: T.Number({ description: 'USD' }),
  currentDailyCost: T.Number({ description: 'USD' }),
  currentTotalCost: T.Number({ description: 'USD' }),
  weeklyOpusCost: T.Number({ description: 'USD' }),
  windowStartTime: nullableTime,
  windowEndTime: nullableTime,
  windowRemainingSeconds: T.Number(),
})
export type KeyLimits = Static<typeof KeyLimits>

/** `/api/v1/key-info`: the calling key and its lifetime usage. */
export const KeyInfoAnswer = T.Object({
  keyInfo: T.Object({
    id: T.String(),
    name: T.String(),
    tokenLimit: T.Number(),
    usage: UsageView,
  }),
  timestamp: T.String(),
})

/** `/api/v1/usage`: the calling key's usage (total, today, this month) and its limits. */
export const KeyUsageAnswer = T.Object({
  usage: T.Object({
    total: UsageView,
    daily: UsageView,
    monthly: UsageView,
    averages: T.Object({
      rpd: T.Number({ description: 'requests per day since the key was created' }),
      tpd: T.Number({ description: 'tokens per day since the key was created' }),
    }),
  }),
  limits: T.Composite([KeyLimits, T.Object({ tokens: T.Number(), requests: T.Number() })]),
  timestamp: T.String(),
})
export type KeyUsageAnswer = Static<typeof KeyUsageAnswer>

/** `/apiStats/api/get-key-id`. */
export const KeyIdAnswer = ok(T.Object({ id: T.String() }))

const key = ApiKey.properties

/** `/apiStats/api/user-stats`: a key's usage, limits and restrictions. */
export const UserStats = T.Object({
  id: T.String(),
  name: T.String(),
  description: T.String(),
  isActive: T.Boolean(),
  createdAt: T.String(),
  expiresAt: key.expiresAt,
  expirationMode: key.expirationMode,
  isActivated: T.Boolean(),
  activationDays: key.activationDays,
  activationUnit: key.activationUnit,
  activatedAt: key.activatedAt,
  permissions: key.permissions,
  usage: T.Object({ total: UsageView, daily: UsageView, monthly: UsageView }),
  limits: KeyLimits,
  accounts: T.Object({
    claudeAccountId: T.Union([T.String(), T.Null()]),
    claudeConsoleAccountId: T.Union([T.String(), T.Null()]),
  }),
  restrictions: T.Object({
    enableModelRestriction: T.Boolean(),
    modelRestrictionMode: key.modelRestrictionMode,
    restrictedModels: T.Array(T.String()),
    enableClientRestriction: T.Boolean(),
    allowedClients: T.Array(T.String()),
  }),
  /** The relay's zone (hours east of UTC): days and weeks of the limits start in it. */
  timezoneOffset: T.Number(),
})
export type UserStats = Static<typeof UserStats>

const period = T.Union([T.Literal('daily'), T.Literal('monthly')])

/** `/apiStats/api/user-model-stats`: a key's usage by model, most expensive first. */
export const UserModelStats = T.Object({
  success: T.Boolean(),
  data: T.Array(
    T.Composite([
      T.Object({ model: T.String() }),
      UsageView,
      T.Object({
        costs: T.Object({ total: T.Number({ description: 'USD' }) }),
        formatted: T.Object({ total: T.String() }),
      }),
    ]),
  ),
  period,
})

const dailyMonthlyTotal = T.Object({ daily: UsageView, monthly: UsageView, total: UsageView })

/** One key of a batch lookup on the public page. */
export const BatchKeyStats = T.Object({
  id: T.String(),
  name: T.String(),
  isActive: T.Boolean(),
  expiresAt: key.expiresAt,
  permissions: key.permissions,
  usage: dailyMonthlyTotal,
  periodUsage: UsageView,
  limits: KeyLimits,
  /** This key's part of the period's cost (0 to 1). */
  share: T.Number(),
})
export type BatchKeyStats = Static<typeof BatchKeyStats>

/** `/apiStats/api/batch-stats`: several keys' usage added up, and each key's. */
export const BatchStats = T.Object({
  period: T.Union([T.Literal('daily'), T.Literal('monthly'), T.Literal('total')]),
  keyCount: T.Integer(),
  /** The relay's zone (hours east of UTC). */
  timezoneOffset: T.Number(),
  aggregated: T.Object({ usage: dailyMonthlyTotal, periodUsage: UsageView }),
  individual: T.Array(BatchKeyStats),
})
export type BatchStats = Static<typeof BatchStats>

/** `/apiStats/api/batch-model-stats`: several keys' usage by model, added up. */
export const BatchModelStats = T.Object({
  success: T.Boolean(),
  data: T.Array(T.Composite([T.Object({ model: T.String(), keyCount: T.Integer() }), UsageView])),
  period,
})
