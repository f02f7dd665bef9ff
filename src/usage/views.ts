/**
 * @module
 * Usage counters as the admin and key-holder APIs show them (the old system's usage objects,
 * cost in dollars): the TypeBox shape the routes declare and the function that builds it.
 */
import { type Static, Type as T } from '@sinclair/typebox'
import type { Counters } from './model.ts'
import { allTokens } from './service.ts'

/** The token counts every usage shape shows (cache writes also summed). */
const TOKEN_COUNTS = {
  inputTokens: T.Number(),
  outputTokens: T.Number(),
  cacheCreateTokens: T.Number(),
  cacheCreate5mTokens: T.Number(),
  cacheCreate1hTokens: T.Number(),
  cacheReadTokens: T.Number(),
}

/** Counters as the old system's usage objects (cost in USD). */
export const UsageView = T.Object({
  requests: T.Number(),
  tokens: T.Number({ description: 'input + output tokens' }),
  allTokens: T.Number({ description: 'every token, cache writes and reads included' }),
  ...TOKEN_COUNTS,
  cost: T.Number({ description: 'USD' }),
  formattedCost: T.String({ examples: ['$0.012345'] }),
  unpricedRequests: T.Number(),
  errorRequests: T.Number(),
})
export type UsageView = Static<typeof UsageView>

/** Nanodollars as dollars, to the micro-dollar. */
export const usd = (nanos: number) => Math.round(nanos / 1000) / 1e6
/** Nanodollars as `$0.000000`. */
export const money = (nanos: number) => `$${(nanos / 1e9).toFixed(6)}`

/** The token counts every usage shape shows. */
function tokenCounts(c: Counters) {
  return {
    inputTokens: c.inputTokens,
    outputTokens: c.outputTokens,
    cacheCreateTokens: c.cacheCreate5mTokens + c.cacheCreate1hTokens,
    cacheCreate5mTokens: c.cacheCreate5mTokens,
    cacheCreate1hTokens: c.cacheCreate1hTokens,
    cacheReadTokens: c.cacheReadTokens,
  }
}

/** Counters as the old system's usage objects. */
export function usageView(c: Counters): UsageView {
  return {
    requests: c.requests,
    tokens: c.inputTokens + c.outputTokens,
    allTokens: allTokens(c),
    ...tokenCounts(c),
    cost: usd(c.costNanos),
    formattedCost: money(c.costNanos),
    unpricedRequests: c.unpricedRequests,
    errorRequests: c.errorRequests,
  }
}

/** A point of a usage series (a bucket starting at `t`; cost in USD). */
export const TrendPoint = T.Object({
  t: T.Number({ description: 'epoch ms' }),
  time: T.String(),
  requests: T.Number(),
  ...TOKEN_COUNTS,
  allTokens: T.Number(),
  cost: T.Number(),
  errors: T.Number(),
})
export type TrendPoint = Static<typeof TrendPoint>

/** A point of a usage series. */
export function trendPoint(t: number, c: Counters): TrendPoint {
  return {
    t,
    time: new Date(t).toISOString(),
    requests: c.requests,
    ...tokenCounts(c),
    allTokens: allTokens(c),
    cost: c.costNanos / 1e9,
    errors: c.errorRequests,
  }
}
