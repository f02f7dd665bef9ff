/**
 * @module
 * Usage counters: one set of additive fields, kept per scope (key, account, model…) and per
 * period (`total`, `h:YYYY-MM-DDTHH`, `d:YYYY-MM-DD`, `m:YYYY-MM`, `w:YYYY-Www`, …). Money is
 * integer nano-dollars (1e-9 USD): every Anthropic price (at most three decimals per million tokens)
 * is a whole number of nano-dollars per token, so costs are exact and sums never drift.
 */
import { type Static, Type as T } from '@sinclair/typebox'

/** The token kinds a counter adds up. */
export const TOKEN_FIELDS = [
  'inputTokens',
  'outputTokens',
  'cacheCreate5mTokens',
  'cacheCreate1hTokens',
  'cacheReadTokens',
] as const

/** The additive fields of a counter. */
export const COUNTER_FIELDS = [
  'requests',
  ...TOKEN_FIELDS,
  'costNanos',
  'unpricedRequests',
  'errorRequests',
] as const
export type CounterField = (typeof COUNTER_FIELDS)[number]

/** Values of every counter field. */
export const Counters = T.Object(
  Object.fromEntries(COUNTER_FIELDS.map((f) => [f, T.Integer({ default: 0 })])) as Record<
    CounterField,
    ReturnType<typeof T.Integer>
  >,
)
export type Counters = Static<typeof Counters>

/** All-zero counters. */
export function emptyCounters(): Counters {
  return Object.fromEntries(COUNTER_FIELDS.map((f) => [f, 0])) as Counters
}

/** Adds `b` into `a` (mutates and returns `a`). */
export function addCounters(a: Counters, b: Partial<Counters>): Counters {
  for (const f of COUNTER_FIELDS) a[f] += b[f] ?? 0
  return a
}

/**
 * Who a counter belongs to. `key-model` and `account-model` are per model within a key or an
 * account; `global` has the single subject `all`.
 */
export type CounterScope = 'key' | 'account' | 'model' | 'key-model' | 'account-model' | 'global'

/** Identity of one counter. `model` is set exactly for the `*-model` scopes. */
export interface CounterRef {
  scope: CounterScope
  /** keyId, accountId, model name, or `all` for global. */
  id: string
  model?: string
  period: string
}

/** One increment of one counter. */
export interface CounterIncrement extends CounterRef {
  values: Partial<Counters>
  /** When the counter may be deleted (epoch ms); null = keep forever. */
  expiresAt: number | null
}

/** A counter with its identity, as listed by {@link UsageRepository.list}. */
export interface CounterRow {
  id: string
  model?: string
  counters: Counters
}
