/**
 * @module
 * Several keys checked together on the public stats page (the old system's
 * `/apiStats/api/batch-stats` and `/apiStats/api/batch-model-stats`). Unlike that system, which
 * took bare key ids, every key is proven by sending the key itself; a list with one unknown,
 * disabled or expired key is refused with the position of that key, so nothing is shown about
 * keys the caller does not hold.
 */
import { Elysia, t } from 'elysia'
import { InvalidRequestError, RelayError } from '../core/errors.ts'
import type { Clock } from '../core/ports.ts'
import type { ApiKey } from '../keys/model.ts'
import type { KeyService } from '../keys/service.ts'
import type { LimitsRepository } from '../limits/repository.ts'
import { type Counters, emptyCounters } from '../usage/model.ts'
import type { UsageService } from '../usage/service.ts'
import { holderKey, keyLimitsView, usageView } from './key-routes.ts'
import { ok } from './schemas/common.ts'
import { BatchModelStats, BatchStats } from './schemas/key-holder.ts'

/** What the batch routes need. */
export interface KeyBatchRouteDeps {
  /** The relay's zone (TIMEZONE_OFFSET): days and weeks of the limits start in it. */
  tzOffsetHours: number
  keys: KeyService
  usage: UsageService
  limits: LimitsRepository
  clock: Clock
}

/** At most this many keys per call (as the old system). */
export const MAX_BATCH_KEYS = 30

const BatchBody = t.Object({
  apiKeys: t.Optional(t.Array(t.String())),
  apiIds: t.Optional(t.Array(t.String())),
  period: t.Optional(t.String()),
})

type Period = 'daily' | 'monthly' | 'total'

function periodOf(v: string | undefined, allowTotal: boolean): Period {
  if (v === undefined || v === '' || v === 'daily') return 'daily'
  if (v === 'monthly') return 'monthly'
  if (v === 'total' && allowTotal) return 'total'
  throw new InvalidRequestError(
    `period: expected daily${allowTotal ? ', monthly or total' : ' or monthly'}`,
  )
}

function add(into: Counters, c: Counters): void {
  for (const f of Object.keys(into) as (keyof Counters)[]) into[f] += c[f]
}

/** Batch key-holder controller. */
export function keyBatchRoutes(deps: KeyBatchRouteDeps) {
  const { keys, usage, limits, clock } = deps

  /** The distinct keys of a body, each proven by itself; errors name the failing position. */
  async function keysOf(body: { apiKeys?: string[]; apiIds?: string[] }): Promise<ApiKey[]> {
    const list = body.apiKeys ?? []
    if (list.length === 0)
      throw new InvalidRequestError(
        body.apiIds?.length
          ? 'apiKeys: key ids alone are not accepted; send the API keys themselves'
          : 'apiKeys: expected 1 to 30 API keys',
      )
    if (list.length > MAX_BATCH_KEYS)
      throw new InvalidRequestError(`apiKeys: at most ${MAX_BATCH_KEYS} keys per request`)
    const found = await Promise.all(
      list.map(async (k, i) => {
        try {
          return await holderKey(keys, k.trim())
        } catch (err) {
          if (err instanceof RelayError)
            throw new RelayError(err.status, err.type, `apiKeys[${i}]: ${err.message}`, {
              details: { index: i },
            })
          throw err
        }
      }),
    )
    const seen = new Set<string>()
    return found.filter((k) => !seen.has(k.id) && seen.add(k.id))
  }

  const doc = { tags: ['key holder'] }
  return new Elysia({ name: 'crs.key-holder-batch' })
    .post(
      '/apiStats/api/batch-stats',
      async ({ body }) => {
        const list = await keysOf(body)
        const period = periodOf(body.period, true)
        const views = await Promise.all(list.map((k) => keyLimitsView({ usage, limits, clock }, k)))
        const sum = { daily: emptyCounters(), monthly: emptyCounters(), total: emptyCounters() }
        const individual = list.map((k, i) => {
          const { summary, limits: l } = views[i]!
          add(sum.daily, summary.day)
          add(sum.monthly, summary.month)
          add(sum.total, summary.total)
          const chosen =
            period === 'daily' ? summary.day : period === 'monthly' ? summary.month : summary.total
          return {
            id: k.id,
            name: k.name,
            isActive: k.isActive,
            expiresAt: k.expiresAt,
            permissions: k.permissions,
            usage: {
              daily: usageView(summary.day),
              monthly: usageView(summary.month),
              total: usageView(summary.total),
            },
            periodUsage: usageView(chosen),
            limits: l,
            chosenNanos: chosen.costNanos,
          }
        })
        const chosen = sum[period]
        return {
          success: true,
          data: {
            period,
            keyCount: list.length,
            timezoneOffset: deps.tzOffsetHours,
            aggregated: {
              usage: {
                daily: usageView(sum.daily),
                monthly: usageView(sum.monthly),
                total: usageView(sum.total),
              },
              periodUsage: usageView(chosen),
            },
            individual: individual.map(({ chosenNanos, ...k }) => ({
              ...k,
              /** This key's part of the period's cost (0 to 1). */
              share: chosen.costNanos > 0 ? chosenNanos / chosen.costNanos : 0,
            })),
          },
        }
      },
      {
        body: BatchBody,
        response: ok(BatchStats),
        detail: {
          ...doc,
          summary:
            'Usage and limits of up to 30 keys together, each proven by the key itself (period daily|monthly|total)',
        },
      },
    )
    .post(
      '/apiStats/api/batch-model-stats',
      async ({ body }) => {
        const list = await keysOf(body)
        const period = periodOf(body.period, false) as 'daily' | 'monthly'
        const perKey = await Promise.all(list.map((k) => usage.keyModels(k.id, period)))
        const byModel = new Map<string, { counters: Counters; keys: Set<string> }>()
        perKey.forEach((rows, i) => {
          for (const r of rows) {
            const model = r.model ?? ''
            const m = byModel.get(model) ?? { counters: emptyCounters(), keys: new Set<string>() }
            add(m.counters, r.counters)
            m.keys.add(list[i]!.id)
            byModel.set(model, m)
          }
        })
        const data = [...byModel]
          .map(([model, m]) => ({ model, keyCount: m.keys.size, ...usageView(m.counters) }))
          .sort((a, b) => b.cost - a.cost || b.requests - a.requests)
        return { success: true, data, period }
      },
      {
        body: BatchBody,
        response: BatchModelStats,
        detail: {
          ...doc,
          summary:
            'Per-model usage of up to 30 keys added up, each proven by the key itself (period daily|monthly)',
        },
      },
    )
}
